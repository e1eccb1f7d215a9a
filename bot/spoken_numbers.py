"""Numbers, durations and dates as people say them aloud or type them loosely, rewritten into the
written forms the calculator's readers read (:func:`bot.calculator.normalize` applies it).

A voice message turned into text (「嗯，我干了三年，不对，是四年，一个月柒仟伍佰」) and a hurried
note differ from a typed question in a few regular ways, each handled here by the number grammar,
not by any one question's words:

- a number said again to correct it (「三年，不对，是四年」): the later one stands;
- banker's numerals (壹贰叁 … 拾佰仟): ordinary numerals;
- a year said digit by digit (「二零二三年」, 「二四年三月」): Arabic digits;
- spaces inside Chinese text (「3 年 5 个月」), interjections between clauses (嗯, 呃);
- a duration said without 个 (「3年5月」 is three years and five months, 「三周年」 three years),
  told from a date (「23年5月」, 「2023年5月」) by its year having one digit;
- a month and day said without 号 before what happened on it (「三月十五入职」);
- a verb split around 的 (「入的职」 is 入职);
- a term of the law the phone heard as a word that sounds the same (「申请重裁」 is 仲裁, 「认了工商」 is
  工伤, 「加般费」 is 加班费), only where the sound-alike cannot be meant (工商局 and 工商登记 stay).
"""
from __future__ import annotations

import re

_BANKERS = str.maketrans({"壹": "一", "贰": "二", "貳": "二", "叁": "三", "參": "三", "肆": "四", "伍": "五", "陆": "六",
                          "陸": "六", "柒": "七", "捌": "八", "玖": "九", "拾": "十", "佰": "百", "仟": "千", "萬": "万"})
_CN_DIGIT = {"零": "0", "〇": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_D = "零〇一二三四五六七八九"
_CN = "零〇一二两三四五六七八九十百千万"
_DAY = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"

# Chinese text has no spaces between words. Inside a number (「3 年 5 个月」, 「7 千 5」) a space is noise;
# between words it is where the speaker paused — a voice message transcribed without punctuation
# (「干了八个月 工资一共六万四 现在公司跟我协商解除」) — so it ends a clause, as a comma would.
_SPACE = re.compile(r"(?<=[\u4e00-\u9fff\d])[ \t\u3000]+(?=[\u4e00-\u9fff\d])")
_NUM_CH = "0-9零〇一二两三四五六七八九十百千万"
_UNIT_AFTER = re.compile(rf"(?:[{_NUM_CH}.]+\s*)?(?:个|年|月|天|日|号|块|元|小时|钟|级|岁|周|%|倍|k|K|w|W|千|万|百)")
_NUMBER_END = "0123456789零〇一二两三四五六七八九十百千万半个年月天日号块元钱级岁周倍%"
"""What a number or a number's unit ends with: a number after one of these starts a new phrase (「干了八个月 八个月工资」)."""
_NUMBER_GOES_ON = re.compile(rf"(?:零|又)?\s*[0-9{_NUM_CH}]{{1,3}}\s*(?:个月|个半月|月(?!份|[0-9{_NUM_CH}])|天|日(?![0-9{_NUM_CH}])|号)")
_INTERJECTION = re.compile(r"(^|[，,。！!？?；;\s])(?:嗯+|呃+|额+|唔+|emm+|呃呃)(?:[，,。\s]+|$)", re.IGNORECASE)
_YEAR_FOUR = re.compile(rf"(?<![{_D}\d])([{_D}]{{4}})(?=\s*年)")
_YEAR_TWO = re.compile(rf"(?<![{_D}十\d])([{_D}]{{2}})(?=\s*年\s*{_DAY}\s*月(?!\s*份?\s*[多几]))")
"""「二四年三月」: a year only when a month follows (「二三年」 alone may be two or three years)."""
_DURATION_NO_GE = re.compile(rf"(?<![\d{_CN}])([1-9]|[一二两三四五六七八九十])\s*年\s*(零|又)?\s*(\d{{1,2}}|[一二两三四五六七八九十]{{1,2}})\s*月(?!\s*[\d{_CN}]*\s*[日号份底初中])")
_ANNIVERSARY = re.compile(r"周年")
_DAY_WITHOUT_HAO = re.compile(
    rf"(月\s*{_DAY})(?=\s*(?:那天|那日|当天|的时候|那会儿)?\s*(?:入职|进|来的|来了|开始|上班|到岗|报到|被|离职|辞职|走的|受伤|受的伤|摔|出事|出的事|出了事|发生|签|提出|提交|交了|申请))"
)
_SPLIT_VERB = re.compile(r"(入|离|辞|报)的(职|到)")
# 「三年，不对，是四年」: a number corrected by the speaker; the correction's number replaces the one before
_CORRECTION = re.compile(
    r"[，,、\s]*(?:不对不对|不对|不是不是|哦不|噢不|啊不|说错了|我说错了|口误|更正一下|纠正一下|错了)[，,、\s]*"
    r"(?:应该是|准确(?:地)?说是|其实是|是|就是)?\s*"
)
_NUMBER_PHRASE = re.compile(
    rf"(?:\d+(?:\.\d+)?|[{_CN}]+|半)(?:[千万kKwW](?:\d|[一二两三四五六七八九])?)?"
    r"(?:\s*(?:个半月|个月|年半|年|周|天|日|号|块钱|块|元|小时|个钟头|级|岁|胎))?(?:\s*(?:零|又)?\s*(?:\d+|[一二两三四五六七八九十]+)\s*个月)?"
)


# sound-alikes of the law's words in a transcribed voice message; each only where the heard word makes no sense
_HOMOPHONES = (
    (re.compile(r"(?:重裁|众裁|中裁|仲才|重才)(?!判)"), "仲裁"),
    (re.compile(r"(认了|认定|认成|算|评|报|申请|属于|是)工商(?!局|所|银行|登记|执照|部门|营业|注册|户)|工商(?=认定|鉴定|保险|待遇|赔偿|假|期间|伤残|事故)"),
     lambda m: (m.group(1) or "") + "工伤"),
    (re.compile(r"加般|家班|加斑"), "加班"),
    (re.compile(r"合动"), "合同"),
    (re.compile(r"陪偿|培偿"), "赔偿"),
)


def _terms(text: str) -> str:
    for pattern, word in _HOMOPHONES:
        text = pattern.sub(word, text)
    return text


def _space(m: re.Match) -> str:
    """A space inside a number or between a number and its unit is dropped; any other ends a clause."""
    text, before, after = m.string, m.string[m.start() - 1], m.string[m.end():]
    if before in "0123456789零〇一二两三四五六七八九十百千万半" and _UNIT_AFTER.match(after):
        return ""  # 「3 年」, 「7 千 5」, 「20 号」
    if before in "0123456789零〇一二两三四五六七八九十百千万" and re.match(rf"[{_NUM_CH}.]+(?![\u4e00-\u9fff])", after):
        return ""  # 「7 千 5」
    if re.match(rf"[{_NUM_CH}]", after) and before not in _NUMBER_END:
        return ""  # 「干了 3 年」, 「月薪 7500」: a word and the number it introduces
    if before in "年月" and re.search(r"[0-9零〇一二两三四五六七八九十半]\s*$", text[: m.start() - 1]) and _NUMBER_GOES_ON.match(after):
        return ""  # 「3 年 5 个月」, 「2026年 3月 5号」
    return "，"


def _unit_of(phrase: str) -> str:
    m = re.search(r"个半月|个月|年半|年|周|天|日|号|块钱|块|元|小时|个钟头|级|岁|胎", phrase)
    if m is None:
        return ""
    return {"块钱": "元", "块": "元", "个半月": "个月", "年半": "年", "日": "天"}.get(m.group(), m.group())


def _apply_corrections(text: str) -> str:
    """Each 「X，不对，是Y」 becomes 「Y」 in X's place, when Y is a number of the same kind as X's last number."""
    for _ in range(3):  # a few corrections in one message at most
        for m in _CORRECTION.finditer(text):
            after = _NUMBER_PHRASE.match(text, m.end())
            if after is None or not after.group().strip():
                continue
            before_text = text[: m.start()]
            clause_start = max(before_text.rfind(ch) for ch in "，,。；;！!？?\n") + 1
            earlier = list(_NUMBER_PHRASE.finditer(before_text, clause_start))
            earlier = [e for e in earlier if e.group().strip() and re.search(r"[\d一二两三四五六七八九十半]", e.group())]
            if not earlier:
                continue
            said, fixed = earlier[-1], after.group()
            said_unit, fixed_unit = _unit_of(said.group()), _unit_of(fixed)
            if fixed_unit and said_unit and fixed_unit != said_unit and not {said_unit, fixed_unit} <= {"年", "个月"}:
                continue
            if not fixed_unit and said_unit:  # 「四年，不对，五」: the unit said the first time
                fixed += re.sub(r"^[\d.零〇一二两三四五六七八九十百千万kKwW半]+", "", said.group())
            text = before_text[: said.start()] + fixed + before_text[said.end() :] + text[after.end() :]
            break
        else:
            return text
    return text


def spoken_to_written(text: str) -> str:
    """The question with its spoken or loose number forms rewritten into the written ones."""
    if not text:
        return text
    text = text.translate(_BANKERS)
    text = _SPACE.sub(_space, text)
    text = _INTERJECTION.sub(lambda m: m.group(1) if m.group(1).strip() else m.group(1), text)
    text = _YEAR_FOUR.sub(lambda m: "".join(_CN_DIGIT[c] for c in m.group(1)), text)
    text = _YEAR_TWO.sub(lambda m: "".join(_CN_DIGIT[c] for c in m.group(1)), text)
    text = _apply_corrections(text)
    text = _ANNIVERSARY.sub("年", text)
    text = _DURATION_NO_GE.sub(lambda m: f"{m.group(1)}年{m.group(2) or ''}{m.group(3)}个月", text)
    text = _DAY_WITHOUT_HAO.sub(lambda m: m.group(1) if re.search(r"[日号]$", m.group(1)) else m.group(1) + "号", text)
    return _terms(_SPLIT_VERB.sub(r"\1\2", text))


__all__ = ["spoken_to_written"]
