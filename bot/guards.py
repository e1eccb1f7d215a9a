"""Checks on a question before (and beside) retrieval: length, prompt injection, cited articles.

These are general rules about the *form* of a question, never about one particular question:
an instruction to ignore the rules, a request for the system prompt, or a reference to an
article number that the named law does not have.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kb.numerals import NUMERALS, chinese_numeral, parse_chinese_numeral


class QuestionError(ValueError):
    """A question the bot cannot take; ``message`` is for the user, in Chinese."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


_FULLWIDTH_ALNUM = {code: code - 0xFEE0 for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}


def clean_question(raw: str, *, max_chars: int) -> str:
    """Trim, drop control characters, refuse empty or overlong input (nothing is silently cut)."""
    if raw is None:
        raise QuestionError("请先输入你的问题。", code="empty")
    # Control, format (zero-width, BOM) and surrogate characters go; full-width Latin letters and
    # digits (ＡＢＣ１２３ from a Chinese keyboard) become ordinary ones, so 「第１４条」 and
    # 「Ｉ ｇｏｔ ｈｕｒｔ」 read like their half-width forms. Chinese punctuation is left as typed.
    text = "".join(ch for ch in str(raw) if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    text = text.translate(_FULLWIDTH_ALNUM)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("请先输入你的问题。", code="empty")
    if len(text) > max_chars:
        raise QuestionError(
            f"问题太长了（{len(text)} 字），请控制在 {max_chars} 字以内，说清楚发生了什么、想问什么就好。", code="too_long"
        )
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        raise QuestionError("没看懂这个问题，请用文字描述一下你遇到的情况。", code="no_text")
    return text


_INJECTION = re.compile(
    r"忽略(以上|上面|之前|前面|所有|你的)|无视(以上|上面|之前|规则|你的)|不要管(以上|上面|规定|规则)|"
    r"(系统|system)\s*(提示|prompt)|提示词|你的(指令|设定|规则)是|扮演|越狱|"
    r"忘(掉|记)(你的|之前的?|以上的?|前面的?|所有的?)(指令|规则|设定|提示|规定)|假装你是|从现在(开始|起)[，, ]?你(就)?是|"
    r"(告诉我|说出|打印|输出|显示|重复|列出|泄露)(一下)?你的(指令|设定|规则|提示|配置|初始)|开发者模式|"
    r"pretend (that )?you are|forget (all |everything |your |the )?(previous |above |prior )?(instructions|rules)|"
    r"(reveal|print|show|repeat) (me )?your (instructions|prompt|rules)|developer mode|"
    r"ignore (all |the |your |any )?(previous|prior|above|earlier)? ?(instructions|rules|prompts?)|"
    r"disregard (the |your |all )?(previous |above )?(instructions|rules)|system prompt|jailbreak|you are now",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    """An attempt to change the bot's rules rather than ask about the worker's situation."""
    return bool(_INJECTION.search(text))


# 万 too: a question may name an article no law has (第一万条), answered as not existing.
_ARTICLE_REF = re.compile(rf"《?([\u4e00-\u9fff（）()]{{2,40}}?)》?\s*第\s*([{NUMERALS}万]+|\d+)\s*条")


@dataclass(frozen=True)
class ArticleRef:
    law: str
    """The law's name as the user wrote it."""
    number: int
    label: str
    """``第十四条``: the article heading as the texts write it."""


# English names of the most-asked texts, for "Article 82 of the Labor Contract Law".
ENGLISH_LAW_NAMES = {
    "labor contract law": "劳动合同法",
    "labour contract law": "劳动合同法",
    "employment contract law": "劳动合同法",
    "labor law": "劳动法",
    "labour law": "劳动法",
    "social insurance law": "社会保险法",
    "work injury insurance regulations": "工伤保险条例",
    "work-related injury insurance regulations": "工伤保险条例",
    "regulations on work-related injury insurance": "工伤保险条例",
    "labor dispute mediation and arbitration law": "劳动争议调解仲裁法",
    "labour dispute mediation and arbitration law": "劳动争议调解仲裁法",
    "work safety law": "安全生产法",
    "employment promotion law": "就业促进法",
    "trade union law": "工会法",
}
_ENGLISH_REF = re.compile(
    r"\barticle\s+(\d{1,3})\s+of\s+(?:the\s+)?(?:china'?s\s+|prc\s+|chinese\s+)?(?:the\s+)?([a-z\- ]+?(?:law|regulations))\b",
    re.IGNORECASE,
)


def article_label(number: int) -> str:
    """``第十四条`` for 14, as the texts write article headings; up to 第九千九百九十九条 (the longest
    code, 民法典, has 1,260). Beyond that, or for 0, a label no text has (``第0条``), so the
    answer says the article does not exist instead of failing."""
    if 0 < number < 1000:
        return f"第{chinese_numeral(number)}条"
    if 1000 <= number < 10000:
        thousands, rest = divmod(number, 1000)
        tail = "" if rest == 0 else ("零" if rest < 100 else "") + (chinese_numeral(rest) if rest >= 20 or rest < 10 else "一" + chinese_numeral(rest))
        return f"第{chinese_numeral(thousands)}千{tail}条"
    return f"第{number}条"


def _parse_number(raw: str) -> int:
    """Arabic (also full-width) or Chinese numerals, with 万 for the absurdly large."""
    if raw.isdigit():
        return int(raw)
    if "万" in raw:
        high, _, low = raw.partition("万")
        return (parse_chinese_numeral(high) if high else 1) * 10000 + (parse_chinese_numeral(low) if low else 0)
    return parse_chinese_numeral(raw)


def article_refs(text: str) -> list[ArticleRef]:
    """Explicit article references like 「劳动合同法第八十二条」, 「工伤保险条例第14条」 or
    "Article 82 of the Labor Contract Law". Impossible numbers (第0条, 第一万条) are kept: the
    answer then says that the law has no such article."""
    refs = []
    for m in _ENGLISH_REF.finditer(text):
        law = ENGLISH_LAW_NAMES.get(m.group(2).lower().strip())
        number = int(m.group(1))
        if law:
            refs.append(ArticleRef(law=law, number=number, label=article_label(number)))
    for m in _ARTICLE_REF.finditer(text):
        try:
            number = _parse_number(m.group(2))
        except ValueError:
            continue
        refs.append(ArticleRef(law=m.group(1), number=number, label=article_label(number)))
    return refs


_PLACES = (
    "美国|美國|日本|英国|英國|德国|德國|法国|法國|韩国|韓國|新加坡|加拿大|澳大利亚|澳大利亞|澳洲|新西兰|欧盟|歐盟|"
    "香港|澳门|澳門|台湾|台灣|泰国|越南|马来西亚|印度|俄罗斯|迪拜|沙特"
)
_LAW_WORDS = "法|规定|規定|政策|最低工资|最低工資|工资标准|加班|工伤|工傷|劳工|勞工|签证|簽證|社保|保险"
_FOREIGN = re.compile(rf"({_PLACES})[^，。？！,.?!]{{0,8}}?({_LAW_WORDS})")
_FOREIGN_EN = re.compile(
    r"\b(us|u\.s\.|usa|america|american|uk|britain|british|japan|japanese|hong kong|canada|canadian|australia|australian|"
    r"germany|german|france|french|singapore|california|new york|texas)\b",
    re.IGNORECASE,
)
_LAW_EN = re.compile(r"\b(law|laws|labor|labour|wage|wages|overtime|visa|legal|statute|osha|flsa)\b", re.IGNORECASE)


# Work done abroad (「在香港送外卖」, 「喺香港做外賣」, 「去日本打工」) or paid in another currency (港币, 新币,
# 美元 …) is governed by that place's law whatever the question asks. 「在日本料理店送外卖」 is not: the
# place must be followed by the work itself.
_WORK_ABROAD = re.compile(rf"(在|喺|去|到|于)({_PLACES})(做|送|打工|工作|上班|开车|跑|当|干|務工|务工|搵食|返工|返工)")
_FOREIGN_MONEY = re.compile(r"港币|港幣|港纸|港紙|港元|美元|美金|日元(?!旦)|日币|新币|新加坡元|澳元|澳币|欧元|歐元|英镑|英鎊|新台币|台币|台幣|韩元|泰铢|令吉")


def mentions_foreign_law(text: str) -> bool:
    """A question about another country's or region's rules: the knowledge base holds mainland
    Chinese texts only, so such a question is refused rather than answered with the wrong law."""
    if _FOREIGN.search(text) or _WORK_ABROAD.search(text) or _FOREIGN_MONEY.search(text):
        return True
    return bool(_FOREIGN_EN.search(text) and _LAW_EN.search(text))


# Other branches of law and everyday matters that are not labour rights. A question is out of
# scope only when it has one of these *and* nothing about work: 「房东不退押金」 is out,
# 「公司宿舍押金不退」 is in.
_OTHER_LAW = re.compile(
    r"离婚|離婚|抚养权|撫養權|彩礼|彩禮|遗产|遺產|继承|繼承|遗嘱|遺囑|房东|房東|租房|房租|物业费|私家车|私家車|剐蹭|刮蹭|"
    r"车损|定损|刑事|判刑|坐牢|取保候审|彩票|股票|炒股|基金定投|房贷|网贷|借钱不还|欠钱不还"
)
_WORK = re.compile(
    r"公司|老板|老闆|单位|單位|上班|工资|工資|工钱|站长|站點|站点|平台|骑手|騎手|快递|快遞|司机|司機|工伤|工傷|劳动|勞動|"
    r"合同|雇主|干活|打工|员工|員工|职工|職工|加班|辞退|宿舍|车队|车队长|网点|派送|接单|失业|失業|社保|仲裁|劳动监察"
)


# Money lent between people — a workmate, a friend, even the boss in person — is 民间借贷 (civil
# law), whatever job they share: 「同事借了我3000块说发了工资就还，现在拉黑了」. Not 借支 / 预支 (an
# advance on wages), 借口 (a pretext) or 借调 (a secondment), which are about work.
_PERSONAL_LOAN = re.compile(
    r"(同事|工友|朋友|老乡|室友|亲戚|熟人|舍友|队友)[^，。？！,.?!]{0,4}借(?!口|支|调|用)[了走给去]?[^，。？！,.?!]{0,8}?"
    r"(\d+|[一二两三四五六七八九十百千万几]+)\s*(块|元|万|千|百)"
    r"|借(?!口|支|调|用)[了给]?(同事|工友|朋友|老乡|室友|亲戚|熟人|舍友|队友)[^，。？！,.?!]{0,8}?"
    r"(\d+|[一二两三四五六七八九十百千万几]+)\s*(块|元|万|千|百)"
)


# Money matters of one's own that no labour text governs: credit and its interest, tax, a private
# insurance policy, a lottery prize, investments. Who the worker is (骑手, 司机, 主播) does not make them
# labour questions; only a labour matter named beside them does (拖欠工资的利息, 工伤保险, 公司让我交车险).
_PRIVATE_MONEY = re.compile(
    r"利息|利率|年化|月供|分期|网贷|網貸|贷款|貸款|信用卡|花呗|借呗|最低还款|个人所得税|個人所得稅|个税|個稅|(交|缴|扣)(多少|几)(钱)?(的)?税|"
    r"(增值|消费|印花|营业|所得|关|契|房产)税|稅率|税率|报税|報稅|纳税|納稅|退税|退稅|税务|稅務|(交|缴|繳)(的)?税|发票|發票|"
    r"车险|車險|交强险|交強險|商业险|商業險|车损险|三者险|第三者责任险|彩票|中奖|中獎|炒股|股票|(买|炒|投|定投)基金|基金(定投|亏|赚|收益)|理财|理財|比特币|虚拟币"
)
_LABOUR_MATTER = re.compile(
    r"工资|工資|工钱|工錢|薪|加班|工伤|工傷|职业伤害|職業傷害|劳动|勞動|合同|辞退|辭退|开除|開除|解除|补偿|補償|赔偿金|賠償金|"
    r"社保|社会保险|社會保險|五险|五險|养老|養老|医保|醫保|医疗保险|生育|公积金|公積金|仲裁|劳动监察|试用期|試用期|年假|产假|產假|失业|失業|最低工资|拖欠|克扣|扣钱|扣錢|罚款|罰款|押金|"
    r"(公司|单位|單位|老板|老闆|平台|站点|站點|站长|站長|车队|車隊|雇主)(让|讓|要|要求|强制|強制|逼|叫)我"
)


def outside_labour_law(text: str) -> bool:
    """About another branch of law (family, tenancy, private traffic damage, criminal, money) and
    not about work at all — or a loan between people, which stays civil law whatever their work —
    or about one's own credit, tax, private insurance, prize or investment with no labour matter beside it."""
    if _PERSONAL_LOAN.search(text):
        return True
    if _PRIVATE_MONEY.search(text) and not _LABOUR_MATTER.search(text):
        return True
    return bool(_OTHER_LAW.search(text)) and not _WORK.search(text)


# Requests to write something (a poem, a story, a joke, an advertisement) are not questions about a
# worker's rights, even when they name the job: 「帮我写首小诗夸夸快递小哥」. Documents a worker
# needs for a claim (申请书, 欠条, 证明) are not in the list.
_WRITING = re.compile(
    r"(写|寫|作|编|編|来|來|讲|講|说|說)(一|两|几|幾)?(首|篇|段|个|個|则|則)?[^，。？！,.?!]{0,8}?"
    r"(诗|詩|歌词|歌詞|故事|作文|段子|笑话|笑話|对联|對聯|文案|祝福语|祝福語|顺口溜|順口溜|绕口令|繞口令)"
)


def asks_for_writing(text: str) -> bool:
    """A request to compose or tell something (poem, story, joke, slogan) rather than a question."""
    return bool(_WRITING.search(text))


# Requests the bot cannot answer from texts even inside a conversation about work: a particular
# lawyer's phone number, a plan to hit someone, or today's local amount of a figure each place sets.
_PRIVATE_CONTACT = re.compile(
    r"(推荐|介绍|找)[^，。？！,.?!]{0,14}(律师|律所|律师事务所)|(律师|律所)[^，。？！,.?!]{0,8}(电话|手机号|微信|联系方式)"
)
_VIOLENCE = re.compile(
    r"(揍|打|教训|收拾)(他|她|站长|老板|经理|主管|组长|对方|那人|那个人)(一顿|一下|几拳|两拳|一拳)|打一架|干一架|动手打(人|他|她)|捅(他|她)|报复(他|她|站长|老板)"
)
_LOCAL_FIGURE = re.compile(
    r"(我们|咱们|我们这|我们市|我们省|本地|当地|这边|现在|今年)[^，。？！,.?!]{0,10}(最低工资|社平工资|社会平均工资|平均工资)[^，。？！,.?!]{0,10}(多少|几千|几百)"
)


def asks_for_a_private_contact(text: str) -> bool:
    """Asks the bot to recommend a lawyer or law firm, or for their phone number (「推荐个律师，把电话发我」)."""
    return bool(_PRIVATE_CONTACT.search(text))


def threatens_violence(text: str) -> bool:
    """The worker means to hit someone (「真想去揍站长一顿」); being hit (「被乘客打伤」) is not it."""
    return bool(_VIOLENCE.search(text))


def asks_for_a_local_figure(text: str) -> bool:
    """Asks for the current amount of a figure each place sets (「我们市现在的最低工资是多少」), which
    the texts do not hold: they hold the rule that it applies."""
    return bool(_LOCAL_FIGURE.search(text))
