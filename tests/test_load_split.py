"""Loading and splitting: real official texts (Markdown, plain text, both PDFs) and small fixtures."""
from __future__ import annotations

import re

import pytest

from kb.load import SourceError, load_source
from kb.normalize import fix_radicals, is_page_mark, join_wrapped_lines
from kb.numerals import chinese_numeral, parse_chinese_numeral
from kb.split import split_articles


def _articles(chunks):
    return [c.article for c in chunks if c.article.startswith("第")]


def test_chinese_numerals_round_trip():
    for n in range(1, 260):
        assert parse_chinese_numeral(chinese_numeral(n)) == n
    assert chinese_numeral(14) == "十四"
    assert chinese_numeral(82) == "八十二"
    assert chinese_numeral(108) == "一百零八"
    assert parse_chinese_numeral("二百") == 200


def test_fix_radicals_maps_lookalikes_and_leaves_punctuation():
    assert fix_radicals("中华⼈⺠共和国劳动⾏政部⻔") == "中华人民共和国劳动行政部门"
    assert fix_radicals("（一）职工，“工伤”") == "（一）职工，“工伤”"


def test_page_marks():
    assert is_page_mark("—27—") and is_page_mark(" - 3 - ") and is_page_mark("第 2 页 共 9 页")
    assert not is_page_mark("第二十七条 劳动争议申请仲裁的时效期间为一年。")


def test_join_wrapped_lines_rebuilds_paragraphs_across_a_page_break():
    lines = [
        ("第一条 为了保护劳动者的合法权益，调整劳动关系，建立和维护", 1),
        ("适应社会主义市场经济的劳动制度，制定本法。", 1),
        ("第二条 用人单位应当依法建立和完善规章制度，保障劳动者享有劳", 1),
        ("动权利、履行劳动义务；依照本法第四十六条规定支付经济补偿的", 1),
        ("第四十六条规定的情形除外。", 2),
    ]
    paragraphs = join_wrapped_lines(lines)
    assert [p[0][:4] for p in paragraphs] == ["第一条 ", "第二条 "]
    assert paragraphs[1][1:] == (1, 2)
    assert paragraphs[1][0].endswith("经济补偿的第四十六条规定的情形除外。")


@pytest.mark.integration
def test_markdown_law_splits_into_its_articles(sources_dir):
    source = load_source(sources_dir / "texts" / "工伤保险条例(2010-12-20).md")
    chunks = split_articles(source, doc_id="gongshang-baoxian-tiaoli", title="工伤保险条例")
    articles = _articles(chunks)
    assert len(set(articles)) == 67
    art14 = next(c for c in chunks if c.article == "第十四条")
    assert art14.chapter == "第三章 工伤认定"
    assert art14.text.startswith("第十四条 职工有下列情形之一的，应当认定为工伤：")
    assert "(六)在上下班途中" in art14.text and art14.paragraphs == (1, 1)  # items stay with their 款
    assert art14.embed_text.startswith("工伤保险条例 第三章 工伤认定\n第十四条")
    # the header (wrong 2003 promulgation line) is not indexed
    assert not any("国务院令第375号" in c.text for c in chunks)


@pytest.mark.integration
def test_plain_text_interpretation_keeps_its_preamble(sources_dir):
    source = load_source(sources_dir / "texts" / "最高人民法院关于审理劳动争议案件适用法律问题的解释（二）(2025-07-31).txt")
    chunks = split_articles(source, doc_id="laodong-zhengyi-jieshi-2", title="解释（二）")
    assert len(set(_articles(chunks))) == 21
    assert chunks[0].article == "前言" and "2025年9月1日" in chunks[0].text


@pytest.mark.integration
@pytest.mark.parametrize(
    "name, count",
    [("中华人民共和国劳动合同法.pdf", 98), ("中华人民共和国劳动合同法实施条例.pdf", 38)],
)
def test_pdf_articles_are_all_found_with_pages(sources_dir, name, count):
    source = load_source(sources_dir / "pdf" / name)
    assert not re.search("[\u2e80-\u2eff\u2f00-\u2fdf]", source.text), "radical look-alikes left in the text"
    chunks = split_articles(source, doc_id="x", title="劳动合同法")
    articles = _articles(chunks)
    assert len(set(articles)) == count
    assert all(c.pages for c in chunks)
    assert not any(is_page_mark(line) for c in chunks for line in c.text.split("\n"))


@pytest.mark.integration
def test_pdf_article_across_a_page_footer_is_whole(sources_dir):
    source = load_source(sources_dir / "pdf" / "中华人民共和国劳动合同法.pdf")
    chunks = split_articles(source, doc_id="x", title="劳动合同法")
    art97 = [c for c in chunks if c.article == "第九十七条"]
    assert len(art97) == 1
    assert art97[0].pages == (26, 27)
    assert "—27—" not in art97[0].text and "本法施行前已建立劳动关系" in art97[0].text
    art82 = next(c for c in chunks if c.article == "第八十二条")
    assert "二倍的工资" in art82.text and art82.paragraphs == (1, 2)


@pytest.mark.integration
def test_pdf_with_kangxi_radicals_reads_as_ordinary_text(sources_dir):
    source = load_source(sources_dir / "pdf" / "中华人民共和国劳动合同法实施条例.pdf")
    chunks = split_articles(source, doc_id="x", title="劳动合同法实施条例")
    art6 = next(c for c in chunks if c.article == "第六条")
    assert "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同" in art6.text
    assert "第四十七条的规定支付经济补偿。" in art6.text  # a cross-reference wrapped to a line start stays inside


def test_long_article_splits_at_paragraph_boundaries_within_budget():
    from kb.load import Line, SourceText

    paragraphs = [f"第{n}款的内容，" + "用人单位应当依法支付劳动报酬。" * 12 for n in "一二三四"]
    lines = [Line("第五十条 " + paragraphs[0])] + [Line(p) for p in paragraphs[1:]] + [Line("（一）第一项；"), Line("（二）第二项。")]
    chunks = split_articles(SourceText(path=None, format="text", lines=tuple(lines)), doc_id="d", title="某法", max_tokens=450)
    assert len(chunks) > 1
    assert all(c.article == "第五十条" and c.parts == len(chunks) for c in chunks)
    assert "\n".join(c.text for c in chunks) == "\n".join(line.text for line in lines)  # verbatim, nothing lost
    assert chunks[-1].text.endswith("（一）第一项；\n（二）第二项。")  # items stay with their paragraph
    assert len({c.chunk_id for c in chunks}) == len(chunks)


@pytest.mark.integration
def test_case_collection_is_split_per_case(sources_dir):
    source = load_source(sources_dir / "texts" / "人社部最高法劳动人事争议典型案例（第二批·加班）(2021).md")
    chunks = split_articles(source, doc_id="cases", title="典型案例", kind="典型案例")
    labels = sorted({c.article for c in chunks}, key=lambda a: parse_chinese_numeral(a[2:]))
    assert labels == [f"案例{chinese_numeral(n)}" for n in range(1, 11)]
    assert not any("LawRefBook" in c.text for c in chunks)  # the editors' note is not official text


@pytest.mark.parametrize(
    "name, data, code",
    [
        ("empty.md", b"", "空"),
        ("binary.txt", b"\x00\x01\x02PK\x03\x04", "不是文本"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj <<", "PDF"),
        ("notes.docx", b"hello", "不支持"),
    ],
)
def test_bad_files_give_a_clear_error(tmp_path, name, data, code):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceError, match=code):
        load_source(path)


def test_gb18030_text_and_html_load(tmp_path):
    text = tmp_path / "gbk.txt"
    text.write_bytes("第一条 劳动者享有平等就业的权利。\n第二条 用人单位应当支付工资。".encode("gb18030"))
    assert len(split_articles(load_source(text), doc_id="g", title="某规定")) == 2
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><script>var x=1;</script></head><body><nav>首页</nav><h1>某办法</h1>"
        "<div><p>第一条 为了保障骑手权益，制定本办法。</p><p>第二条 平台应当公示规则。</p></div></body></html>",
        encoding="utf-8",
    )
    chunks = split_articles(load_source(page), doc_id="h", title="某办法")
    assert [c.article for c in chunks] == ["第一条", "第二条"]
    assert "var x" not in chunks[0].text and "首页" not in chunks[0].text
