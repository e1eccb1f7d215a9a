"""Load a source file (Markdown, plain text, HTML, PDF) into lines the splitter understands.

Every loader returns a :class:`SourceText`: the text as a sequence of :class:`Line` — one
paragraph each, with the page it came from (PDFs only) and its heading level (Markdown ``#`` and
HTML ``<h1>``–``<h6>``). Metadata is *not* read from the files' own headers: several are wrong
(see ``../shared/corpus-raw/README.md``); the catalog is the source of truth.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kb.normalize import fix_radicals, is_page_mark, join_wrapped_lines

FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html", ".htm": "html", ".pdf": "pdf"}


class SourceError(Exception):
    """A source file that cannot be read as text; the message says why, in Chinese and English."""


@dataclass(frozen=True)
class Line:
    text: str
    page: int | None = None
    last_page: int | None = None
    heading: int = 0
    """Heading level (1 = ``#``), 0 for body text."""


@dataclass(frozen=True)
class SourceText:
    path: Path
    format: str
    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def detect_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise SourceError(f"不支持的文件类型 {path.suffix!r}（支持 md/txt/html/pdf）: {path.name}") from None


def load_source(path: Path, *, format: str | None = None) -> SourceText:
    """Read ``path`` with the loader for its format (from the suffix unless given)."""
    path = Path(path)
    fmt = format or detect_format(path)
    if not path.is_file():
        raise SourceError(f"文件不存在 / file not found: {path}")
    if path.stat().st_size == 0:
        raise SourceError(f"文件是空的 / empty file: {path.name}")
    loader = {"markdown": load_markdown, "text": load_plain_text, "html": load_html, "pdf": load_pdf}[fmt]
    source = loader(path)
    if not any(line.text.strip() for line in source.lines):
        why = "可能是扫描件或图片PDF" if fmt == "pdf" else "只有空白、标记或脚本"
        raise SourceError(f"没有读出任何文字（{why}）/ no text found: {path.name}")
    return source


def read_text(path: Path) -> str:
    return decode_text(path.read_bytes(), name=path.name)


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# Control characters a text never needs: dropped (a form feed or vertical tab becomes a line break).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_MOSTLY_CHINESE = re.compile(r"[\u4e00-\u9fff]{2}")


def decode_text(data: bytes, *, name: str) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16/UTF-32 with their BOM, else GB18030
    (which covers GBK and GB2312); a file whose lines mix UTF-8 and GB18030 (two texts pasted
    together) is decoded line by line. Binary data (NUL bytes) and undecodable bytes are refused
    with a message naming the file, never guessed."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _clean(data.decode(encoding))
            except UnicodeDecodeError:
                raise SourceError(f"无法按 {encoding.upper()} 读取（文件可能已损坏）/ invalid {encoding.upper()} text: {name}") from None
    if b"\x00" in data:
        raise SourceError(f"不是文本文件（含空字节，可能是二进制文件或已损坏）/ binary data (NUL bytes): {name}")
    try:
        return _clean(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    utf8_lines = [line for line in lines if _is_chinese_utf8(line)]
    if not utf8_lines:
        try:
            return _clean(data.decode("gb18030"))
        except UnicodeDecodeError:
            raise SourceError(f"无法识别文件编码（请另存为UTF-8）/ unknown encoding: {name}") from None
    try:  # some lines are UTF-8 Chinese, others are not: mixed encodings, decoded line by line
        return _clean("\n".join(_decode_line(line) for line in lines))
    except UnicodeDecodeError:
        raise SourceError(f"无法识别文件编码（请另存为UTF-8）/ unknown encoding: {name}") from None


def _is_chinese_utf8(line: bytes) -> bool:
    try:
        return bool(_MOSTLY_CHINESE.search(line.decode("utf-8")))
    except UnicodeDecodeError:
        return False


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return line.decode("gb18030")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\x0c", "\n").replace("\x0b", "\n"))


_INFO_END = "<!-- INFO END -->"
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def load_markdown(path: Path) -> SourceText:
    """LawRefBook-style Markdown: header lines before ``<!-- INFO END -->`` are skipped (their
    dates are unreliable), ``#`` headings keep their level, block quotes (editors' notes, not
    official text) are dropped."""
    raw = read_text(path)
    if _INFO_END in raw:
        raw = raw.split(_INFO_END, 1)[1]
    lines: list[Line] = []
    for text in raw.splitlines():
        text = text.strip().replace("\u3000", " ").strip()
        if not text or text.startswith(">") or text.startswith("<!--"):
            continue
        m = _MD_HEADING.match(text)
        if m:
            lines.append(Line(m.group(2).strip(), heading=len(m.group(1))))
        else:
            lines.append(Line(text))
    return SourceText(path, "markdown", tuple(lines))


def load_plain_text(path: Path) -> SourceText:
    lines = [Line(t.strip()) for t in read_text(path).splitlines() if t.strip()]
    return SourceText(path, "text", tuple(lines))


def load_html(path: Path) -> SourceText:
    """Visible text of an HTML page, one line per block element; scripts, styles and navigation
    are dropped. Headings keep their level."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(read_text(path), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        tag.decompose()
    root = soup.body or soup
    lines: list[Line] = []
    for element in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "div", "td", "pre", "br"]):
        if element.name == "div" and element.find(["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table"]):
            continue  # a wrapper: its children are visited on their own
        text = element.get_text(" ", strip=True) if element.name != "pre" else element.get_text()
        level = int(element.name[1]) if element.name[0] == "h" and element.name[1:].isdigit() else 0
        for part in text.splitlines():
            part = re.sub(r"[ \u3000\xa0]+", " ", part).strip()
            if part:
                lines.append(Line(part, heading=level))
    return SourceText(path, "html", tuple(lines))


def load_pdf(path: Path) -> SourceText:
    """Text page by page with pypdf; radicals repaired, page marks dropped, wrapped lines joined.
    Each paragraph keeps the page(s) it came from."""
    import pypdf

    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted:
            # A PDF with only an owner password opens with the empty user password; one that needs
            # a password to open does not (decrypt returns NOT_DECRYPTED, or raises for AES
            # without the cryptography package).
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several kinds here
                raise SourceError(f"PDF已加密，无法读取 / encrypted PDF: {path.name}") from exc
            if opened == pypdf.PasswordType.NOT_DECRYPTED:
                raise SourceError(f"PDF需要密码才能打开，请提供未加密的文件 / password-protected PDF: {path.name}")
        raw_lines: list[tuple[str, int]] = []
        for number, page in enumerate(reader.pages, start=1):
            text = _clean(fix_radicals(page.extract_text() or ""))
            raw_lines.extend((line, number) for line in text.splitlines() if not is_page_mark(line))
    except SourceError:
        raise
    except Exception as exc:  # pypdf on a malformed file raises many kinds (PdfReadError, RecursionError, IndexError…)
        raise SourceError(f"PDF文件损坏或不完整 / broken PDF ({type(exc).__name__}): {path.name}") from exc
    paragraphs = join_wrapped_lines(raw_lines)
    return SourceText(path, "pdf", tuple(Line(text, first, last) for text, first, last in paragraphs))
