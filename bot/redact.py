"""Find and mask personal data in a worker's question before it is stored, logged or shown again.

Workers paste whatever they have: 身份证号, 手机号, 车牌, 银行卡号, their own name. None of it helps
retrieval, and none of it may end up in a log or a report. :func:`redact` replaces each item with a
short token (〔身份证号〕, 〔手机号〕, …) so the question still reads naturally — and still
retrieves the same articles — while the data itself is gone.

What counts (each detector is a rule about the *form* of the data, checked where a checksum exists):

- ``id_card`` 〔身份证号〕: 18 digits (the last may be X) with a real birth date and a valid
  GB 11643-1999 check digit, or the old 15-digit form with a real birth date (it has no check digit).
  Spaces or dashes between the 6-8-4 groups are allowed.
- ``bank_card`` 〔银行卡〕: 16–19 digits, spaces or dashes allowed between groups, passing the Luhn check.
- ``long_number`` 〔号码〕: any other run of 15–19 digits. *Decision:* an 18-digit number whose check
  digit is wrong is **not** reported as a 身份证号, but it is not left in clear either: it is most
  likely a mistyped ID or card number, and legal text never contains such runs (文号, dates,
  amounts and hotlines are all far shorter), so masking it costs retrieval nothing.
- ``phone`` 〔手机号〕: mainland mobiles ``1[3-9]`` + 9 digits, optionally ``+86``/``0086``/``86``,
  with spaces or dashes in the 3-4-4 groups.
- ``landline`` 〔电话〕: area code (``0`` + 2–3 digits, also in brackets) + 7–8 digits, optional
  extension. Service numbers (12333, 12345, 400-…) are not personal and stay.
- ``plate`` 〔车牌〕: 省简称 + letter + 5 characters (6 for new-energy plates), with an optional
  ``·``/space/dash after the letter (粤B·D12345); at least one digit, so words are not mistaken.
- ``email`` 〔邮箱〕.
- ``wechat`` 〔微信号〕, ``qq`` 〔QQ号〕, ``alipay`` 〔支付宝账号〕: an account ID right after the app's
  name (微信/微信号/V信/vx/wx/WeChat, QQ/扣扣, 支付宝/alipay, with 号/账号 and 「：」「是」 allowed in
  between): 「微信zs_wx_8888」「QQ 12345678」「支付宝账号 zhang_san88」. The app's name stays; words
  after it (「加我微信吧」「微信群」「支付宝付款」) are not IDs. An e-mail address or mobile given as the
  account is masked as 〔邮箱〕 / 〔手机号〕 (「支付宝 abc@163.com」).
- ``name`` 〔姓名〕: only where the worker *gives* a name: 「我叫张三」, 「我是李四」, 「姓名：王五」,
  「联系人 赵六」, 「本人张三」. The trigger words stay (「我叫〔姓名〕」). Names are the least certain
  kind: after 「我是」 only a common surname plus one or two characters followed by punctuation or
  the end counts, and job words (「我是司机」「我是江西人」) are not names.

Legal text is left alone: 第十四条, 2023年7月1日, 12333, 人社部发〔2021〕56号, 3000元, 24小时.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

TOKENS = {
    "email": "〔邮箱〕",
    "id_card": "〔身份证号〕",
    "bank_card": "〔银行卡〕",
    "long_number": "〔号码〕",
    "phone": "〔手机号〕",
    "landline": "〔电话〕",
    "plate": "〔车牌〕",
    "wechat": "〔微信号〕",
    "qq": "〔QQ号〕",
    "alipay": "〔支付宝账号〕",
    "name": "〔姓名〕",
}
"""Replacement token per kind; the order is the priority when two matches overlap."""


@dataclass(frozen=True)
class Match:
    """One piece of personal data: its kind (a key of :data:`TOKENS`) and where it is in the text."""

    kind: str
    start: int
    end: int


# -- checksums ------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character (``0``–``9`` or ``X``) for the first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def is_id_number(digits: str) -> bool:
    """An 18-digit 身份证号 with a real birth date and a valid check digit, or a 15-digit old one
    with a real birth date (``digits`` without separators; the last may be ``X``)."""
    digits = digits.upper()
    if len(digits) == 18 and digits[:17].isdigit():
        if digits[0] not in "123456789" or not _real_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14])):
            return False
        return id_check_digit(digits[:17]) == digits[17]
    if len(digits) == 15 and digits.isdigit():
        return digits[0] in "123456789" and _real_date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    return False


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check that bank card numbers carry."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


# -- detectors ------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9])")
# A run of digits with single spaces or dashes between them (an ID may end in X).
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){14,18}(?:[ -]?[Xx])?(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[ -]?|86[ -])?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9])")
_LANDLINE = re.compile(
    r"(?<![\d])(?:[(（]0\d{2,3}[)）][ -]?|0\d{2,3}[ -])[2-9]\d{6,7}(?:(?:-|转|ext\.?\s?)\d{1,5})?(?!\d)"
    r"|(?<!\d)0[1-9]\d{1,2}[2-9]\d{6,7}(?!\d)"
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    rf"[{_PROVINCES}][A-Za-z][·•.\- ]?(?=[A-Za-z0-9]{{0,5}}\d)(?:[A-Za-z0-9]{{6}}|[A-Za-z0-9]{{5}}[挂学警港澳领]?)(?![A-Za-z0-9])"
)

_ACCOUNT_GLUE = r"\s*(?:号码|号|账号|帐号|账户|ID|id)?\s*(?:是|为|[：:=])?\s*"
_ACCOUNTS = (
    ("wechat", re.compile(rf"(?:微信|威信|薇信|(?<![A-Za-z0-9])[Vv]信|(?<![A-Za-z0-9])(?:[Vv][Xx]|[Ww][Xx]|weixin|WeiXin|[Ww]e[Cc]hat)(?![A-Za-z0-9])){_ACCOUNT_GLUE}"
                          r"(?P<id>[A-Za-z0-9][A-Za-z0-9_-]{4,19})(?![A-Za-z0-9_-])")),
    ("qq", re.compile(rf"(?:(?<![A-Za-z0-9])[Qq][Qq](?![A-Za-z0-9])|扣扣){_ACCOUNT_GLUE}(?P<id>[1-9]\d{{4,10}})(?!\d)")),
    ("alipay", re.compile(rf"(?:支付宝|(?<![A-Za-z0-9])[Aa]li[Pp]ay(?![A-Za-z0-9])){_ACCOUNT_GLUE}"
                          r"(?P<id>[A-Za-z0-9][A-Za-z0-9._-]{3,39})(?![A-Za-z0-9._@-])")),
)


def _accounts(text: str) -> list[Match]:
    found = []
    for kind, pattern in _ACCOUNTS:
        for m in pattern.finditer(text):
            ident = m.group("id")
            if kind == "wechat" and ident.isalpha() and len(ident) < 6:
                continue  # 「微信 hello」 is a word; a WeChat ID of letters only has at least 6
            found.append(Match(kind, m.start("id"), m.end("id")))
    return found


# Common surnames (single and compound): a name after 「我是」/「本人」 must start with one.
_SURNAMES_2 = "欧阳|司马|上官|诸葛|东方|皇甫|令狐|慕容|尉迟|长孙|宇文|司徒|夏侯|公孙|轩辕|端木|独孤|南宫|西门|呼延"
_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞"
    "颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻"
    "祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇"
    "栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_CJK = r"[\u4e00-\u9fff]"
_SURNAME = rf"(?:{_SURNAMES_2}|[{_SURNAMES_1}])"
# After a name the sentence goes on with punctuation, the end, or a few words that start a new clause.
_NAME_END = r"(?=$|[\s，。,.!！？?；;：:、）)\]」』]|今年|在|从|来自|家住|住在|身份证|电话|手机|工号|于)"
_NAME_STRICT_END = r"(?=$|[\s，。,.!！？?；;：:、）)\]」』]|今年|来自|家住|身份证|电话|手机|工号)"
_NAME_PATTERNS = (
    # 「我叫张三」「我的名字是张三」「名字叫张三」: what follows is a name (a nickname like 小王 too).
    re.compile(rf"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|本人名叫)\s*(?P<name>(?:[小老阿]{_SURNAME}|{_SURNAME}{_CJK}{{1,2}})){_NAME_END}"),
    # 「姓名：王五」「联系人 赵六」「申请人：阿依古丽·买买提」: a field label with a separator.
    re.compile(rf"(?:姓名|联系人|申请人|当事人|本人姓名|收件人)(?:\s*[：:]\s*|\s+)(?P<name>{_CJK}{{2,4}}(?:·{_CJK}{{2,5}})?){_NAME_END}"),
    re.compile(rf"姓名(?P<name>{_SURNAME}{_CJK}{{1,2}}){_NAME_END}"),
    # 「我是李四」「本人张三」: only a surname + 1–2 characters that end the clause.
    re.compile(rf"(?:我是|本人)\s*(?P<name>{_SURNAME}{_CJK}{{1,2}}){_NAME_STRICT_END}"),
)
# Words that look like a surname + 1–2 characters after 「我是」 but describe a person's role.
_NOT_NAMES = {
    "司机", "单位", "包工头", "党员", "高中生", "新人", "新手", "全职", "全日制", "江湖", "万一", "文员", "师傅", "车主", "房东",
    "房客", "孕妇", "学生", "程序员", "保安", "保洁", "保姆", "农民", "农民工", "常驻", "长期", "长工", "正式", "临时", "关系户",
    "管理员", "单亲", "外地", "本地", "安装工", "和平", "明星", "主播", "骆驼", "车队长", "全勤", "白班", "夏天", "冬天", "合同工",
}
_ROLE_SUFFIX = "工员人生长师手者户的家主"


def _names(text: str) -> list[Match]:
    found = []
    for n, pattern in enumerate(_NAME_PATTERNS):
        for m in pattern.finditer(text):
            name = m.group("name")
            strict = n == len(_NAME_PATTERNS) - 1
            if name in _NOT_NAMES or (strict and name[-1] in _ROLE_SUFFIX):
                continue
            found.append(Match("name", m.start("name"), m.end("name")))
    return found


def _long_number_kind(digits: str) -> str:
    if is_id_number(digits):
        return "id_card"
    if re.fullmatch(r"(?:0086|86)1[3-9]\d{9}", digits):  # a mobile written with its country code
        return "phone"
    if digits.isdigit() and 16 <= len(digits) <= 19 and luhn_ok(digits):
        return "bank_card"
    return "long_number"


def _grouped_as_one_number(groups: list[str]) -> bool:
    """Separators as people write one card or ID number: 4-4-4-4(-1…4), or 6-8-4 for an ID.
    Anything else (``20230701 20230801``: two dates) is several numbers, not one."""
    sizes = [len(g) for g in groups]
    return len(sizes) == 1 or sizes == [6, 8, 4] or (all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4)


def _digit_runs(text: str) -> list[Match]:
    found = []
    for m in _DIGIT_RUN.finditer(text):
        groups = re.split(r"[ -]", m.group())
        if _grouped_as_one_number(groups):
            found.append(Match(_long_number_kind("".join(groups)), m.start(), m.end()))
            continue
        at = m.start()  # several numbers side by side: each long one on its own
        for group in groups:
            at = text.index(group, at)
            if 15 <= len(group) <= 19:
                found.append(Match(_long_number_kind(group), at, at + len(group)))
            at += len(group)
    return found


def find_personal_data(text: str) -> list[Match]:
    """Every piece of personal data in ``text``, in order, none overlapping (when two detectors
    claim the same characters the kind earlier in :data:`TOKENS` wins: an e-mail address made of a
    phone number is an e-mail address)."""
    if not text:
        return []
    candidates = [Match("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    candidates += _digit_runs(text)
    candidates += [Match("phone", m.start(), m.end()) for m in _MOBILE.finditer(text)]
    candidates += [Match("landline", m.start(), m.end()) for m in _LANDLINE.finditer(text)]
    candidates += [Match("plate", m.start(), m.end()) for m in _PLATE.finditer(text)]
    candidates += _accounts(text)
    candidates += _names(text)
    priority = list(TOKENS)
    chosen: list[Match] = []
    for match in sorted(candidates, key=lambda m: (priority.index(m.kind), m.start, -(m.end - m.start))):
        if all(match.end <= c.start or match.start >= c.end for c in chosen):
            chosen.append(match)
    return sorted(chosen, key=lambda m: m.start)


def redact(text: str) -> str:
    """``text`` with each piece of personal data replaced by its token (〔手机号〕, 〔姓名〕, …)."""
    out, at = [], 0
    for match in find_personal_data(text):
        out += [text[at:match.start], TOKENS[match.kind]]
        at = match.end
    out.append(text[at:])
    return "".join(out)


__all__ = ["TOKENS", "Match", "find_personal_data", "id_check_digit", "is_id_number", "luhn_ok", "redact"]
