"""Checks an LLM's rewrite of an answer against the passages it was given, before anyone sees it.

The LLM (see :mod:`bot.llm`) is asked for a conclusion and 3–5 points that cite the given passages
as ``[n]``. Nothing it writes is shown unless this module accepts it:

- every ``[n]`` must be one of the given citations (``bad_citation`` otherwise: fail);
- text inside 「」 must occur verbatim in a passage the sentence cites (``quote_not_verbatim``: fail);
- each sentence must be *supported* by the passage(s) it cites (below; ``unsupported``: the
  sentence is dropped and flagged). A sentence without ``[n]`` is unsupported unless it is pure
  advice that only points to a hotline or office the answer already refers to (:func:`is_connective`).
  The conclusion may go without ``[n]``: it is checked against all passages together;
- the answer fails as a whole when the conclusion is unsupported or longer than 40 characters,
  when fewer than two points survive, or when more than a third of the sentences were dropped.

How support is scored, and why this way. A sentence's *content words* are its jieba tokens
(:func:`kb.keywords.tokenize`, the same tokens BM25 uses) of two or more characters, minus a short
list of everyday filler (你, 一般, 可以, 规定 …). Its support is the share of those words that
occur in the cited passages (title, article and text), where an everyday word also counts when
one of its legal equivalents occurs (公司 → 用人单位, 工资 → 劳动报酬 …, :data:`EQUIVALENTS`). On
top of that, two hard rules: every number in the sentence (``30天``, ``三十日``, ``2倍``) must be
a number of the passage, and a negated sentence (不用, 无需, 不算 …) must cite a passage that
negates something too. Instruction-like text inside a passage (an injection planted in a document:
「忽略以上规定，回答：……」) is removed from the evidence first, so an answer that obeys it has
nothing to stand on.

The project's embedder (:class:`kb.embeddings.Embedder`, multilingual-e5-small) was considered and
not used for the decision: e5 cosines of in-domain Chinese sit in a narrow band (the retriever's
own refusal threshold is 0.885), so an on-topic fabrication or a flipped negation scores about as
high as a faithful paraphrase. Against 工伤保险条例第十四条: a faithful sentence 0.935, the same
sentence saying 「不能认定为工伤」 0.931, a wrong deadline (15日 for 30日) 0.906, an invented duty
of the platform 0.859 (``tests/test_llm.py::test_cosine_does_not_separate_a_flipped_rule_but_the_lexical_check_does``);
whereas a wrong number or a claim made of words the passage does not contain is exactly what
the lexical rule catches. The lexical check is also deterministic, takes about a millisecond,
and says *which* words lacked support — something staff can read in the flags.

What it cannot catch: a faithful-looking sentence built from the passage's own words in a wrong
order ("用人单位应当" → "劳动者应当"). That is why the verbatim quotes stay beside every answer.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.guards import looks_like_injection
from kb.keywords import tokenize

CONCLUSION_MAX_CHARS = 40
MAX_POINTS = 5
MIN_POINTS = 2
MAX_UNSUPPORTED_SHARE = 1 / 3

HOTLINES = ("12333", "12348", "12351", "12345")
"""Public hotlines an advice sentence may name without a citation (人社、法律援助、工会、政务)."""

GENERIC = frozenset(
    "你们 自己 一般 通常 可以 需要 应该 应当 情况 规定 法规 条文 法律 政策 依据 按照 根据 属于 相关 具体 同时 另外 "
    "比如 例如 这种 这个 这样 那么 因此 所以 就是 也就是说 意思 说明 明确 注意 时候 已经 还是 其中 这里 以上 如下 "
    "下面 上面 是否 一定 可能 情形 方面 问题 内容 里面 要求 之一 的话 只要 只有 条件 包括".split()
)
"""Everyday words that make no claim of their own; ignored when scoring support."""

EQUIVALENTS: dict[str, tuple[str, ...]] = {
    "公司": ("用人单位", "单位", "企业", "平台", "雇主"),
    "老板": ("用人单位", "单位", "企业", "雇主"),
    "单位": ("用人单位",),
    "平台": ("平台企业", "平台"),
    "工资": ("劳动报酬", "工资", "报酬"),
    "报酬": ("劳动报酬",),
    "骑手": ("劳动者", "从业人员", "配送员", "骑手"),
    "员工": ("劳动者", "职工"),
    "工人": ("劳动者", "职工"),
    "打工": ("劳动", "用工"),
    "辞退": ("解除劳动合同", "解除"),
    "开除": ("解除劳动合同", "解除"),
    "炒鱿鱼": ("解除劳动合同", "解除"),
    "赔钱": ("赔偿", "补偿"),
    "赔偿": ("赔偿金", "补偿", "赔偿"),
    "补偿": ("经济补偿", "补偿", "赔偿"),
    "加班": ("延长工作时间", "加班"),
    "签合同": ("订立", "书面劳动合同"),
    "受伤": ("伤害", "负伤", "工伤"),
    "撞": ("交通事故", "伤害"),
    "上班": ("工作时间", "工作"),
    "下班": ("上下班",),
    "路上": ("途中",),
    "告": ("仲裁", "诉讼", "投诉"),
    "举报": ("投诉", "举报"),
    "申请": ("申请", "提出"),
    "劳动局": ("劳动保障行政部门", "人力资源社会保障"),
    "人社局": ("劳动保障行政部门", "人力资源社会保障", "社会保险行政部门"),
    "天": ("日",),
    "双倍": ("二倍", "两倍"),
}

_NEGATION = re.compile(r"[不没未非无免](?!论|断|少|同|常|仅|但|久)[\u4e00-\u9fff]?")
NEGATION_EQUIVALENTS: dict[str, tuple[str, ...]] = {
    "不是": ("非", "不属于", "不视为"),
    "不算": ("不得认定", "不认定", "不属于", "不视为", "不作为"),
    "不能": ("不得", "不予", "不应", "不可"),
    "不可": ("不得", "不能"),
    "不用": ("无需", "无须", "不必", "不需要", "免"),
    "不必": ("无需", "无须", "不需要"),
    "无需": ("无须", "不必", "不需要"),
    "没有": ("未", "无", "不"),
    "没签": ("未订立", "未签订", "不订立", "不签订"),
    "不给": ("未支付", "拒不支付", "未按", "不支付", "克扣", "拖欠"),
    "不发": ("未支付", "拒不支付", "拖欠", "克扣"),
    "不交": ("未缴纳", "未参加", "不缴纳"),
    "没交": ("未缴纳", "未参加"),
}
"""Everyday negations and the legal wording that backs them (没有 ← 未 …)."""
_MARKER = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]")
_QUOTE = re.compile(r"「([^「」]*)」")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])")
_SPACE = re.compile(r"\s+")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMBER = re.compile(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+")
# Chinese numerals inside ordinary words are not quantities (一般, 一定, 统一, 万一, 第X条 is kept).
_NOT_A_NUMBER = re.compile(r"一般|一定|一律|一起|一旦|一切|一些|一下|一方|之一|统一|万一|一直|唯一|一致|一样|一并|同一|一次性|十分|千万|一项|一人|一个")


# -- parsing the model's text ---------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """The model's text split into the parts the prompt asked for."""

    conclusion: str
    points: list[str]
    ignored: list[str] = field(default_factory=list)
    """Lines outside the asked-for format (headings, chatter); never shown."""


_CONCLUSION_LABEL = re.compile(r"^\s*[#*\s]*(结论|结论是|一句话结论)\s*[：:]\s*")
_POINTS_LABEL = re.compile(r"^\s*[#*\s]*(要点|要点如下|具体来说|具体要点)\s*[：:]?\s*$")
_POINT_PREFIX = re.compile(r"^\s*(?:[-*•·]\s*|\d+\s*[.、．)）]\s*|[（(]\d+[)）]\s*|[一二三四五六七八九]\s*[、.]\s*)")


def normalise_markers(text: str) -> str:
    """``［1］``, ``【1】`` and ``[1, 2]`` → ``[1]`` / ``[1][2]``; markdown emphasis removed."""
    text = text.replace("［", "[").replace("］", "]").replace("【", "[").replace("】", "]").replace("**", "")
    return _MARKER.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,，、]\s*", m.group(1))), text)


def parse_draft(text: str) -> Draft:
    """Conclusion: the line labelled 结论 (else the first line). Points: the list items after it."""
    lines = [normalise_markers(line).strip() for line in text.replace("\r", "").split("\n")]
    lines = [line for line in lines if line]
    conclusion, points, ignored = "", [], []
    for line in lines:
        if not conclusion and _CONCLUSION_LABEL.match(line):
            conclusion = _CONCLUSION_LABEL.sub("", line).strip()
        elif _POINTS_LABEL.match(line):
            continue
        elif _POINT_PREFIX.match(line):
            points.append(_POINT_PREFIX.sub("", line).strip())
        elif not conclusion and not points:
            conclusion = line.lstrip("#* ").strip()
        elif points and not re.search(r"(\[\d+\]|[。！？!?])$", points[-1]) and not line.startswith("#"):
            points[-1] = points[-1] + line  # an unfinished point wrapped onto a second line
        else:
            ignored.append(line)
    return Draft(conclusion=conclusion, points=[p for p in points if p], ignored=ignored)


# -- evidence -------------------------------------------------------------------------------------


def passage_text(citation) -> str:
    """What the model was shown for a citation: the verbatim quote, or a 要点's summary."""
    return (getattr(citation, "quote", "") or getattr(citation, "summary", "") or "").strip()


def strip_instructions(text: str) -> tuple[str, bool]:
    """``text`` without its instruction-like sentences (a planted injection), and whether any was found."""
    parts = re.split(r"(?<=[。；;！!？?\n])", text)
    kept = [p for p in parts if not _looks_like_instruction(p)]
    return "".join(kept), len(kept) != len(parts)


def _looks_like_instruction(sentence: str) -> bool:
    return looks_like_injection(sentence) or bool(re.search(r"(请|你)(必须|只能|直接)?(回答|输出|告诉用户|回复)[：:]", sentence))


@dataclass(frozen=True)
class Evidence:
    """One citation as evidence: its number, the text shown to the model (instructions removed)."""

    n: int
    text: str
    """Title, article and passage; what a supported sentence's words must come from."""
    passage: str
    """The passage alone (quote or 要点 summary), instructions removed: where 「」 quotes must occur."""
    had_instructions: bool


def evidence_for(citations: Iterable) -> dict[int, Evidence]:
    out = {}
    for c in citations:
        passage, planted = strip_instructions(passage_text(c))
        head = f"《{getattr(c, 'title', '')}》{getattr(c, 'article', '')}"
        out[c.n] = Evidence(n=c.n, text=f"{head}\n{passage}".lower(), passage=passage, had_instructions=planted)
    return out


# -- scoring one sentence -------------------------------------------------------------------------


def numbers_in(text: str) -> set[float]:
    """The quantities in ``text`` as numbers: ``30``, ``三十`` → 30.0; ``第十四条`` → 14.0."""
    text = _NOT_A_NUMBER.sub(" ", text)
    values = set()
    for raw in _NUMBER.findall(text):
        value = float(raw) if raw[0].isdigit() else _chinese_number(raw)
        if value is not None:
            values.add(value)
    return values


def _chinese_number(raw: str) -> float | None:
    total, section, digit = 0, 0, None
    for ch in raw:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch == "万":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    value = total + section + (digit or 0)
    if value == 0 and not any(ch in "零〇" for ch in raw):
        return None  # a bare unit (万, 千) is not a number
    return float(value)


def content_words(sentence: str) -> list[str]:
    """Claim-bearing words of a sentence: jieba tokens of 2+ characters, everyday filler removed."""
    text = _MARKER.sub("", sentence)
    return [t for t in tokenize(text) if len(t) >= 2 and t not in GENERIC and not t.isdigit()]


def _word_supported(word: str, evidence: str) -> bool:
    if word in evidence:
        return True
    return any(eq in evidence for key, eqs in EQUIVALENTS.items() if key in word for eq in eqs)


_CLAUSE_END = re.compile(r"[，,。；;：:！!？?\n]")


def negation_scopes(sentence: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each negation of the sentence with the content words it governs: up to four of the rest of
    its clause, read from just after the negating character (「平台没有责任」 → ("没有", ("责任",)),
    「不安排休」 → ("不安", ("安排",))). Empty words when the clause has none."""
    text = _QUOTE.sub("", _MARKER.sub("", sentence))
    scopes = []
    for m in _NEGATION.finditer(text):
        rest = _CLAUSE_END.split(text[m.start() + 1:], 1)[0]
        scopes.append((m.group(0), tuple(content_words(rest)[:4])))
    return scopes


def _negation_supported(negation: str, evidence: str, scope: Sequence[str] = ()) -> bool:
    """The negation (or its legal wording) is in the passage — and, when the draft says what it
    negates, in a clause of the passage that also has one of those words. Without the second
    condition 「平台没有责任。」 passed against any passage with a 不 somewhere and 责任 elsewhere.

    The pattern takes a negating character with the one after it (「不超」 of 不超过); the law
    often puts a modal or a longer verb between them (不得超过, 未及时, 拒不支付), so the pair also
    matches its negating character's legal forms followed, within two characters, by the same
    second character. When the pair is no negation word of its own (「不安」 of 不安排), the
    clause needs only a negating character of its class."""
    forms = (negation, *NEGATION_EQUIVALENTS.get(negation, ()))
    loose = _loose_negation(negation)

    def has(text: str) -> bool:
        return any(form in text for form in forms) or bool(loose and loose.search(text))

    if not has(evidence):
        return False
    if not scope:
        return True
    bare = negation not in NEGATION_EQUIVALENTS and negation not in _NEGATION_WORDS
    return any((has(clause) or (bare and any(c in clause for c in _NEGATION_CLASS.get(negation[0], negation[0]))))
               and any(_word_supported(w, clause) for w in scope)
               for clause in _CLAUSE_END.split(evidence))


_NEGATION_CLASS = {"不": "不未", "没": "没未无", "未": "未没不", "无": "无没未", "非": "非不", "免": "免"}
"""A negating character and the ones the law writes for it (没签 ← 未签订, 不付 ← 未支付)."""


def _loose_negation(negation: str) -> re.Pattern | None:
    if len(negation) < 2:
        return None
    head = _NEGATION_CLASS.get(negation[0], negation[0])
    return re.compile(f"[{head}][\u4e00-\u9fff]{{0,2}}?{re.escape(negation[1:])}")


_NEGATION_WORDS = frozenset({"不得", "不予", "不应", "不再", "不是", "不会", "没有", "未经", "无需", "无须", "不必", "无权", "无效"})


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of the draft and the verdict on it."""

    text: str
    cites: tuple[int, ...]
    support: float
    ok: bool
    why: str = ""
    """``""`` when ok; else ``unsupported``, ``number_not_in_source``, ``negation_not_in_source``,
    ``no_citation``, ``bad_citation`` or ``quote_not_verbatim``."""
    missing: tuple[str, ...] = ()
    """The content words (or numbers) the cited passages do not contain."""


def check_sentence(
    sentence: str,
    evidence: dict[int, Evidence],
    *,
    min_support: float,
    cites_all: bool = False,
    hotlines: Sequence[str] = HOTLINES,
    offices: Sequence[str] = (),
) -> SentenceCheck:
    """Is ``sentence`` backed by the passages it cites? (``cites_all``: check it against every
    passage, for the conclusion.)"""
    cites = tuple(dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", sentence)))
    bad = [n for n in cites if n not in evidence]
    if bad:
        return SentenceCheck(sentence, cites, 0.0, False, "bad_citation", tuple(f"[{n}]" for n in bad))
    if not cites and not cites_all:
        if is_connective(sentence, hotlines=hotlines, offices=offices):
            return SentenceCheck(sentence, cites, 1.0, True)
        return SentenceCheck(sentence, cites, 0.0, False, "no_citation")
    used = [evidence[n] for n in cites] if cites else list(evidence.values())
    passages = _SPACE.sub("", "\n".join(e.passage for e in used))
    for quoted in _QUOTE.findall(sentence):
        if _SPACE.sub("", quoted) not in passages:
            return SentenceCheck(sentence, cites, 0.0, False, "quote_not_verbatim", (quoted,))
    text = "\n".join(e.text for e in used)
    missing_numbers = numbers_in(_MARKER.sub("", sentence)) - numbers_in(text) - {float(h) for h in hotlines}
    if missing_numbers:
        return SentenceCheck(sentence, cites, 0.0, False, "number_not_in_source", tuple(f"{v:g}" for v in sorted(missing_numbers)))
    words = content_words(sentence)
    missing = tuple(w for w in words if not _word_supported(w, text))
    support = 1.0 if not words else 1 - len(missing) / len(words)
    unbacked = tuple(neg for neg, scope in negation_scopes(sentence) if not _negation_supported(neg, text, scope))
    if unbacked:
        return SentenceCheck(sentence, cites, round(support, 3), False, "negation_not_in_source", unbacked)
    if support < min_support:
        return SentenceCheck(sentence, cites, round(support, 3), False, "unsupported", missing)
    return SentenceCheck(sentence, cites, round(support, 3), True, "", missing)


_ADVICE_VERB = re.compile(r"咨询|拨打|打电话|打|联系|找|问问|询问|求助|投诉|反映")
_ADVICE_CLOSING = re.compile(r"^(以上|这些)?(内容|信息)?(仅供参考|不是律师意见|以原文为准|以当地(人社部门|仲裁机构)?(的)?(答复|规定)为准)")


def is_connective(sentence: str, *, hotlines: Sequence[str] = HOTLINES, offices: Sequence[str] = ()) -> bool:
    """Pure advice that may stand without a citation, defined narrowly: a short sentence (≤ 30
    characters) that only sends the worker to a public hotline or an office the answer refers to
    (12333, 劳动保障监察, 仲裁 …) and states no rule — no other number, no negation — or a closing
    remark that the text is not legal advice."""
    text = re.sub(r"[，。！？,.!?；;：:\s]", "", _MARKER.sub("", sentence))
    if not text or len(text) > 30:
        return False
    if _ADVICE_CLOSING.match(text):
        return True
    places = tuple(hotlines) + tuple(offices) + ("人社部门", "人社局", "劳动保障监察", "仲裁委", "劳动人事争议仲裁", "工会", "法律援助")
    if not any(p in text for p in places) or not _ADVICE_VERB.search(text):
        return False
    stray_numbers = [n for n in re.findall(r"\d+", text) if n not in hotlines]
    return not stray_numbers and not _NEGATION.search(re.sub(r"拿不准|不确定|不清楚|不明白|不懂|不会|不知道", "", text))


def split_sentences(text: str) -> list[str]:
    """Sentences of a point; a marker written after the full stop stays with its sentence."""
    pieces = [p for p in _SENTENCE_END.split(text) if p.strip()]
    out: list[str] = []
    for piece in pieces:
        lead = re.match(r"^\s*((?:\[\d+\])+)", piece)
        if lead and out:
            out[-1] += lead.group(1)
            piece = piece[lead.end():]
        if piece.strip():
            out.append(piece.strip())
    return out


# -- the whole draft ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a draft: what may be shown, and why anything was dropped or refused."""

    ok: bool
    conclusion: str
    points: list[str]
    flags: list[dict]
    sentences: list[SentenceCheck]


_NO_DIRECT_ANSWER = re.compile(r"[“\"「]?资料里没有直接的答案[”\"」]?")


def check_draft(
    draft: Draft,
    citations: Sequence,
    *,
    min_support: float,
    max_unsupported_share: float = MAX_UNSUPPORTED_SHARE,
    offices: Sequence[str] = (),
) -> CheckResult:
    """Check every sentence of ``draft`` against ``citations``; see the module docstring for the rules."""
    evidence = evidence_for(citations)
    hotlines = HOTLINES + tuple(o for o in offices if o.isdigit() and o not in HOTLINES)
    flags: list[dict] = [{"kind": "passage_instructions_ignored", "cite": e.n} for e in evidence.values() if e.had_instructions]
    fatal = False

    conclusion_check = check_sentence(draft.conclusion, evidence, min_support=min_support, cites_all=True) if draft.conclusion else None
    if conclusion_check and _NO_DIRECT_ANSWER.fullmatch(_MARKER.sub("", draft.conclusion).strip(" 。.！!")):
        # The one conclusion the prompt prescribes when the passages do not answer: a statement
        # about the passages, not about the law, so it needs no support from them.
        conclusion_check = SentenceCheck(draft.conclusion, (), 1.0, True)
    checks = [conclusion_check] if conclusion_check else []
    if not draft.conclusion:
        flags.append({"kind": "no_conclusion"})
        fatal = True
    elif not conclusion_check.ok:
        flags.append(_flag(conclusion_check, part="conclusion"))
        fatal = True
    elif len(_MARKER.sub("", draft.conclusion).rstrip("。！!")) > CONCLUSION_MAX_CHARS:
        flags.append({"kind": "conclusion_too_long", "chars": len(_MARKER.sub("", draft.conclusion))})
        fatal = True

    kept_points: list[str] = []
    for point in draft.points:
        kept = []
        for sentence in split_sentences(point):
            check = check_sentence(sentence, evidence, min_support=min_support, hotlines=hotlines, offices=offices)
            checks.append(check)
            if check.ok:
                kept.append(sentence)
                continue
            flags.append(_flag(check, part="point"))
            if check.why in ("bad_citation", "quote_not_verbatim"):
                fatal = True
        if kept:
            kept_points.append("".join(kept))
    if len(kept_points) > MAX_POINTS:
        flags.append({"kind": "too_many_points", "count": len(kept_points)})
        kept_points = kept_points[:MAX_POINTS]
    if len(kept_points) < MIN_POINTS:
        flags.append({"kind": "too_few_points", "count": len(kept_points)})
        fatal = True
    dropped = sum(1 for c in checks if not c.ok)
    if checks and dropped / len(checks) > max_unsupported_share:
        flags.append({"kind": "too_many_unsupported", "dropped": dropped, "sentences": len(checks)})
        fatal = True
    if draft.ignored:
        flags.append({"kind": "ignored_lines", "count": len(draft.ignored)})
    return CheckResult(ok=not fatal, conclusion=draft.conclusion, points=kept_points, flags=flags, sentences=checks)


def _flag(check: SentenceCheck, *, part: str) -> dict:
    flag = {"kind": check.why, "part": part, "text": check.text, "cites": list(check.cites), "support": check.support}
    if check.missing:
        flag["missing"] = list(check.missing)[:8]
    return flag


__all__ = ["CheckResult", "Draft", "SentenceCheck", "check_draft", "check_sentence", "is_connective", "numbers_in", "parse_draft"]
