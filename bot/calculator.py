"""算一算: the numbers a worker asks about, worked out by rule from the facts in the question.

Standard library plus the retriever's 繁體 reader (kb.simplified). :func:`read_facts` reads service length, wage, dates, hours
and the like from a Chinese question; :func:`calculate` decides which rules the question asks
about, works each one out with the article it rests on, and lists the facts still missing.
What the law leaves to local rules (the average-wage cap, the minimum wage, extra local leave) is
said in a caveat, never given as a number — unless the question itself gives the local figure
(「当地社平工资7000」, 「最低工资标准每月2500」), which is then applied.

Besides 经济补偿 and the rest, it works out: the total when several amounts are paid together
(经济补偿 + 代通知金), wages owed for the time between an unlawful dismissal and reinstatement
(解释（二）第十八条), the 第四十二条第五项 bar (15 years and under 5 to retirement), 伤残津贴, hours
beyond the 8/40 standard, the 终局裁决 limit, the 2-year 劳动监察 limit, a pay day falling on a
weekend, and 工会法第五十三条's twice the annual income; and (session 6) the 仲裁 award term (45 + 15
days), 赔偿金 less 经济补偿 already paid, 违法试用期赔偿金, 综合计算工时 and 计件 overtime, no 二倍工资
when the worker would not sign, 失业保险金 months, sick leave that takes the year's annual leave, the 20%
cap on deductions for a loss, 生活护理费, 哺乳时间, wages over a 停工留薪期, the days to annul a 终局裁决.

A hotline volunteer's third-person note (「当事人干了3年，公司让他走人」) is read as the worker's own words
(:func:`first_person`).

Periods are counted as 民法典第二百零一、二百零二条 say: the first day is not counted; a period of
months or years ends on the same day of the last month, or on that month's last day when it has
no such day (one year from 2024-02-29 ends on 2025-02-28).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

from bot.spoken_numbers import spoken_to_written
from kb.simplified import to_simplified  # 繁體 read as simplified, as the retriever reads it

# ----------------------------------------------------------------------------------- results


class Kind(StrEnum):
    """What a calculation works out."""

    SEVERANCE = "经济补偿"
    NOTICE_PAY = "代通知金"
    UNLAWFUL_DISMISSAL = "违法解除赔偿金"
    DOUBLE_WAGE = "未签合同二倍工资"
    OPEN_ENDED_FROM = "视为无固定期限合同"
    PROBATION_LIMIT = "试用期上限"
    PROBATION_WAGE = "试用期工资下限"
    OVERTIME_WORKDAY = "工作日加班费"
    OVERTIME_REST_DAY = "休息日加班费"
    OVERTIME_HOLIDAY = "法定节假日加班费"
    OVERTIME_TOTAL = "加班费合计"
    OVERTIME_LIMIT = "延长工作时间上限"
    ANNUAL_LEAVE = "年休假天数"
    LEAVE_THIS_YEAR = "当年折算年休假"
    UNUSED_LEAVE_PAY = "未休年假工资"
    MATERNITY_LEAVE = "产假天数"
    DISABILITY_GRANT = "一次性伤残补助金"
    INJURY_LEAVE = "停工留薪期"
    INJURY_LEAVE_PAY = "停工留薪期工资"
    INJURY_CLAIM_EMPLOYER = "单位申请工伤认定期限"
    INJURY_CLAIM_WORKER = "本人申请工伤认定期限"
    INJURY_DECISION = "工伤认定决定期限"
    ARBITRATION = "劳动仲裁时效"
    RESIGNATION_NOTICE = "辞职通知期"
    LEAVING_PAPERS = "档案和社保转移期限"
    TOTAL = "合计"
    BACK_PAY = "违法解除后到恢复履行前的工资"
    DISMISSAL_BAR = "不得依第四十条、第四十一条解除"
    DISABILITY_ALLOWANCE = "伤残津贴"
    WORKING_HOURS = "超出标准工时"
    FINAL_AWARD = "终局裁决"
    INSPECTION_LIMIT = "劳动监察查处期限"
    PAYDAY = "发薪日"
    UNION_DISMISSAL = "工会法年收入二倍赔偿"
    REAPPRAISAL = "再次鉴定申请期限"
    SUIT_AFTER_AWARD = "不服裁决起诉期限"
    ANNUL_AWARD = "申请撤销终局裁决期限"
    OWED_WAGES = "拖欠工资及加付赔偿金"
    PART_TIME_END = "非全日制终止用工经济补偿"
    INSURANCE_REGISTRATION = "社保登记期限"
    NON_COMPETE = "竞业限制经济补偿"
    DEATH_FUNERAL = "丧葬补助金"
    DEATH_GRANT = "一次性工亡补助金"
    DEATH_PENSION = "供养亲属抚恤金"
    AWARD_TERM = "仲裁审理期限"
    PAID_BALANCE = "违法解除还可再要"
    PROBATION_DAMAGES = "违法约定试用期赔偿金"
    OVERTIME_PIECE = "计件加班工资"
    UNEMPLOYMENT_MONTHS = "失业保险金领取期限"
    WAGE_DEDUCTION = "赔偿损失每月可扣工资上限"
    NURSING_CARE = "生活护理费"
    NURSING_TIME = "哺乳时间"
    MEDIATION_LIMIT = "调解期限"
    LATE_FEE = "社保费滞纳金"
    DRIVING_LIMIT = "连续驾驶上限"


class Unit(StrEnum):
    YUAN = "元"
    DAY = "天"
    MONTH = "个月"
    DATE = "日期"
    HOUR = "小时"
    YEAR = "年"
    PERCENT = "%"


class ContractType(StrEnum):
    FIXED = "固定期限"
    OPEN_ENDED = "无固定期限"
    TASK = "以完成一定工作任务为期限"


class FactName(StrEnum):
    """A fact a calculation may need (the :class:`Facts` field it fills)."""

    SERVICE = "service_months"
    WAGE = "monthly_wage"
    START_DATE = "start_date"
    END_DATE = "end_date"
    INCIDENT_DATE = "incident_date"
    APPLIED_DATE = "applied_date"
    CONTRACT = "contract_months"
    OVERTIME_HOURS = "overtime_hours"
    OVERTIME_KIND = "overtime_kind"
    OVERTIME_DAYS = "overtime_workday_days"
    DISABILITY_GRADE = "disability_grade"
    CAREER = "career_months"
    BABIES = "babies"
    ANNUAL_INCOME = "annual_income"
    MINIMUM_WAGE = "minimum_wage"
    AVERAGE_WAGE = "local_average_wage"
    DISPOSABLE_INCOME = "disposable_income"
    INSURED = "insured_months"
    CARE_LEVEL = "care_level"
    ARREARS = "arrears"


@dataclass(frozen=True)
class Cite:
    doc_id: str
    article: str


@dataclass(frozen=True)
class Calculation:
    kind: Kind
    value: Decimal | int | date
    unit: Unit
    sentence: str
    """One plain sentence with the number, for the worker."""
    formula: str
    cites: tuple[Cite, ...]
    caveats: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissingFact:
    name: FactName
    ask: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    """What a question says about the worker's case; ``None`` where it says nothing."""

    service_months: int | None = None
    """Time with this employer, whole months (the lower end when given as a range)."""
    service_upto: int | None = None
    """Upper end (inclusive) when given as a range: 「一年多」 is 13 to 23."""
    service_approx: bool = False
    monthly_wage: Decimal | None = None
    wage_approx: bool = False
    wage_net: bool = False
    """The wage given is take-home pay (到手, 税后): less than the 应得工资 the law counts on."""
    wage_extra: Decimal | None = None
    """Commission, bonus or allowances paid each month on top of a base pay (「底薪4500加提成每月两千」)."""
    daily_wage: Decimal | None = None
    hourly_wage: Decimal | None = None
    """An hour's pay (「时薪25元」)."""
    """A day's pay (「日薪260」, 「一天200块」)."""
    wage_total: Decimal | None = None
    """Wages over ``wage_total_months`` months added up (「9个月工资加起来58500」): the wage is their average."""
    wage_total_months: int | None = None
    last_month_wage: Decimal | None = None
    """Last month's wage (what 代通知金 is paid at, 实施条例第二十条)."""
    annual_income: Decimal | None = None
    local_average_wage: Decimal | None = None
    """The local average monthly wage (社平工资) the question gives."""
    minimum_wage: Decimal | None = None
    """The local monthly minimum wage the question gives."""
    disposable_income: Decimal | None = None
    """上一年度全国城镇居民人均可支配收入, as the question gives it (what 一次性工亡补助金 is counted on)."""
    claim_amount: Decimal | None = None
    """Money owed or claimed (「欠的工资2万8」)."""
    severance_paid: Decimal | None = None
    """经济补偿 already paid (「按经济补偿给了2万」): what a 赔偿金 claimed later is reduced by."""
    probation_wage: Decimal | None = None
    start_date: date | None = None
    start_approx: bool = False
    service_merged: bool = False
    """``service_months`` adds up the years with an earlier employer that sent the worker on (实施条例第十条)."""
    end_date: date | None = None
    end_month: date | None = None
    """The month the job ended when only the month is said (「2026年9月被辞退」, its first day): for the time worked only."""
    signed_date: date | None = None
    """The day a written contract was signed (late: 「7月1日才补签」)."""
    resume_date: date | None = None
    """The day work resumed after an unlawful dismissal (「7月1日回去上班」)."""
    incident_date: date | None = None
    notice_date: date | None = None
    """The day the worker gave notice of resignation."""
    applied_date: date | None = None
    """The day a 工伤认定 application was filed or accepted."""
    received_date: date | None = None
    """The day a paper was received (「鉴定结论11月18日收到的」, 「裁决书是25号拿到的」)."""
    other_date: date | None = None
    """A date the question gives without saying what happened on it."""
    contract_type: ContractType | None = None
    contract_months: int | None = None
    probation_months: Decimal | None = None
    in_probation: bool | None = None
    overtime_workday_hours: Decimal | None = None
    overtime_daily_hours: Decimal | None = None
    overtime_workday_days: int | None = None
    overtime_rest_hours: Decimal | None = None
    overtime_holiday_hours: Decimal | None = None
    overtime_unknown_hours: Decimal | None = None
    """Overtime hours the question does not say were on workdays, rest days or holidays."""
    overtime_by_day: bool = False
    """Rest-day or holiday overtime was given in days (counted 8 hours each)."""
    overtime_month_hours: Decimal | None = None
    """Overtime hours in a month (「一个月加班七八十个小时」 70: the lower end)."""
    time_off_in_lieu: bool | None = None
    injury_leave_months: int | None = None
    """The 停工留薪期 given (「停工留薪期3个月」)."""
    insured_months: int | None = None
    """Time paid into unemployment insurance, in months (「累计交失业保险7年」)."""
    sick_leave_months: Decimal | None = None
    """Sick leave taken this year, in months (「今年病假累计两个半月」)."""
    care_level: int | None = None
    """生活护理 need after a work injury: 1 完全不能自理, 2 大部分, 3 部分."""
    comprehensive_hours: bool = False
    """The overtime hours are those past a 综合计算工时 period's standard total (「季度标准工时500小时，实际干了540小时」)."""
    piece_rate: Decimal | None = None
    """计件单价 (「单价0.5元/件」)."""
    overtime_pieces: int | None = None
    """Pieces made in overtime after the day's quota (「延时这段分了800件」)."""
    daily_hours: Decimal | None = None
    """Hours worked a day (「早9点到晚9点」 12, less a stated break)."""
    week_days: int | None = None
    """Days worked a week (「一周干6天」, 「单休」)."""
    retirement_months: int | None = None
    """At most this many months to the statutory retirement age (「离退休还剩4年」 48, 「不到5年」 59)."""
    disability_grade: int | None = None
    career_months: int | None = None
    """Cumulative years worked (all employers), in months: what annual leave depends on."""
    career_approx: bool = False
    leave_taken_days: int | None = None
    leave_unused_days: int | None = None
    leave_due_days: int | None = None
    """The leave days the worker was due, as the question states them (「去年应休5天年假」)."""
    babies: int | None = None
    birth_order: int | None = None
    difficult_birth: bool | None = None
    caesarean: bool | None = None
    miscarriage_month: int | None = None
    notice_given: bool | None = None
    written_contract: bool | None = None
    unlawful_dismissal: bool | None = None
    wages_owed: bool | None = None

    def filled_from(self, earlier: Facts | None) -> Facts:
        """These facts, with gaps filled from ``earlier`` (e.g. an earlier turn)."""
        if earlier is None:
            return self
        changes = {}
        for f in fields(self):
            if f.name in _DEPENDENT:
                continue
            if getattr(self, f.name) is None and getattr(earlier, f.name) is not None:
                for name in (f.name, *_GROUPS.get(f.name, ())):
                    changes[name] = getattr(earlier, name)
        return replace(self, **changes)


_GROUPS = {
    "service_months": ("service_upto", "service_approx", "service_merged"),
    "monthly_wage": ("wage_approx", "wage_net", "wage_extra"),
    "start_date": ("start_approx",),
    "career_months": ("career_approx",),
    "contract_type": ("contract_months",),
    "wage_total": ("wage_total_months",),
}
_DEPENDENT = {name for group in _GROUPS.values() for name in group}


@dataclass(frozen=True)
class CalcResult:
    calculations: tuple[Calculation, ...]
    missing: tuple[MissingFact, ...]
    facts: Facts
    """The facts used: the question's, with gaps filled from the earlier ones (keep for the next turn)."""

    def get(self, kind: Kind) -> Calculation | None:
        return next((c for c in self.calculations if c.kind == kind), None)


# ------------------------------------------------------------------------------- reading text

def normalize(text: str) -> str:
    """Half-width digits and letters, simplified characters, no thousands separators (7,500)."""
    text = re.sub(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d.])", lambda m: m.group().replace(",", ""), text or "")
    text = spoken_to_written(_english(to_simplified(unicodedata.normalize("NFKC", text))))  # 「三年，不对，四年」, 柒仟, 「二四年」
    text = re.sub(r"(?:¥|(?<![a-zA-Z])(?:rmb|cny)|人民币)\s*(?=\d)", "", text, flags=re.IGNORECASE)  # 「¥6000」, 「RMB 6000」: the amount
    # 「今年（2026年）10月」: the year said twice is one year
    return re.sub(r"(?:今年|去年|前年)\s*\(\s*(\d{4})\s*年?\s*\)\s*", r"\1年", text)


_THIRD_PERSON = re.compile(r"当事人|来电人|咨询人|求助人|该员工|该职工|(?<![其吉])[他她](?![们人])")


def first_person(text: str) -> str:
    """A note about the worker (「当事人干了3年」, 「公司让他走人」) read as the worker's own words
    (「我干了3年」, 「公司让我走人」), which is how every pattern below is written."""
    return _THIRD_PERSON.sub("我", text)


_MONTHS_EN = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                           "september", "october", "november", "december"), 1)}
_EN_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december)"
_ENGLISH = (  # the facts of an English question, said the way the Chinese reader reads them
    (rf"\b(\d{{1,2}})(?:st|nd|rd|th)? {_EN_MONTH},? (\d{{4}})\b", lambda m: f"{m[3]}年{_MONTHS_EN[m[2]]}月{m[1]}日"),
    (rf"\b{_EN_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})\b", lambda m: f"{m[3]}年{_MONTHS_EN[m[1]]}月{m[2]}日"),
    (r"\bworked (?:there |here |for (?:them|it|the company) )?(?:for )?(\d+) years?(?: and (\d+) months?)? in total\b", lambda m: f"累计工作{m[1]}年" + (f"{m[2]}个月" if m[2] else "")),
    (r"\bworked (?:there |here |for (?:them|it|the company) )?(?:for )?(\d+) years?(?: and (\d+) months?)?", lambda m: f"干了{m[1]}年" + (f"{m[2]}个月" if m[2] else "")),
    (r"\bworked (?:there |here )?(?:for )?(\d+) months?", lambda m: f"干了{m[1]}个月"),
    (r"\b(?:average )?monthly (?:wage|salary|pay) (?:was|is|of) (?:rmb |cny |¥)?(\d+(?:\.\d+)?)(?: ?(?:rmb|yuan|cny))?", lambda m: f"月薪{m[1]}元"),
    (r"\b(?:fired|dismissed|sacked)\b([^.;]*?)(?:with no reason(?: at all)?|without (?:any |a )?reason)", lambda m: f"无故辞退{m[1]}"),
    (r"\b(?:fired|dismissed|sacked|let go|laid off)\b", lambda m: "辞退"),
    (r"\b(?:with )?no reason(?: at all)?|without (?:any )?reason", lambda m: "无故"),
    (r"\bleaving\b[^.;]*?\bon (\d{4}年\d{1,2}月\d{1,2}日)", lambda m: f"{m[1]}离职"),
    (r"\b(?:i've |i have )?taken (\d+) days? of annual leave", lambda m: f"年假已经休了{m[1]}天"),
    (r"\bunused annual leave\b", lambda m: "未休年假工资"),
    (r"\bannual leave\b", lambda m: "年假"),
    (r"\bhow much compensation\b", lambda m: "补偿多少"),
    (r"\bhow (?:much|many)\b", lambda m: "多少"),
)


def _english(text: str) -> str:
    """An English question's facts in Chinese words (「worked 6 years and 4 months」 → 干了6年4个月); other text as it is."""
    if len(re.findall(r"[a-zA-Z]", text)) < 3 * len(re.findall(r"[\u4e00-\u9fff]", text)) + 20:
        return text
    text = text.lower()
    for pattern, said in _ENGLISH:
        text = re.sub(pattern, said, text)
    return text


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "k": 1000, "K": 1000}
_CN_BIG = {"万": 10000, "w": 10000, "W": 10000}


def parse_number(token: str) -> Decimal | None:
    """「7千5」 7500, 「1.2万」 12000, 「一万二」 12000, 「8k」 8000, 「一百零五」 105; None if not a number."""
    token = normalize(token).strip()
    if not token:
        return None
    total = section = Decimal(0)
    pending: Decimal | None = None
    last: int | None = None
    seen = False
    i = 0
    while i < len(token):
        arabic = re.match(r"\d+(?:\.\d+)?", token[i:])
        if arabic:
            if pending is not None:
                return None
            pending, seen = Decimal(arabic.group()), True
            i += len(arabic.group())
            continue
        ch = token[i]
        if ch in "零〇":
            if pending is not None:
                return None
            last, seen = None, True
        elif ch in _CN_DIGITS:
            if pending is not None:
                return None
            pending, seen = Decimal(_CN_DIGITS[ch]), True
        elif ch in _CN_UNITS:
            section += (pending if pending is not None else 1) * _CN_UNITS[ch]
            pending, last, seen = None, _CN_UNITS[ch], True
        elif ch in _CN_BIG:
            if not seen:
                return None
            total += (section + (pending or 0)) * _CN_BIG[ch]
            section, pending, last = Decimal(0), None, _CN_BIG[ch]
        else:
            return None
        i += 1
    if not seen:
        return None
    if pending is not None:
        # A trailing digit after a unit is the next unit down: 7千5 → 7500, 一万二 → 12000, 十五 → 15.
        section += pending * (Decimal(last) / 10 if last and last >= 10 else 1)
    return total + section


_N = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+)"
_STOP = "，,。；;！!？?\n（）()、"
_SPLIT = re.compile(r"[，,。；;！!？?\n（）()、]")


def _num(token: str | None) -> Decimal | None:
    if token is None:
        return None
    return Decimal("0.5") if token == "半" else parse_number(token)


def _clause_before(text: str, start: int, width: int = 10) -> str:
    piece = text[max(0, start - width) : start]
    cut = max(piece.rfind(ch) for ch in _STOP)
    return piece[cut + 1 :]


def _clause_after(text: str, end: int, width: int = 12) -> str:
    piece = text[end : end + width]
    cuts = [piece.find(ch) for ch in _STOP if ch in piece]
    return piece[: min(cuts)] if cuts else piece


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = "□" * (b - a)
    return "".join(chars)


_QUESTION_AROUND = re.compile(r"(算不算|是不是|是否|属不属于|能不能算|算|属于|构成)$")


def _asserted(text: str, m: re.Match) -> bool:
    """The phrase is said as a fact, not asked about (「这算违法辞退吗」 asks)."""
    before = _clause_before(text, m.start(), 6)
    after = _clause_after(text, m.end(), 4)
    if re.search(r"(算不算|是不是|是否|属不属于|能不能算|如果|要是|假如|假设|万一|若)", before):
        return False
    if _QUESTION_AROUND.search(before) and re.match(r"\s*(吗|么|嘛|呢|\?|$)", after):
        return False
    return not re.match(r"\s*(吗|么|嘛)", after)


# dates ----------------------------------------------------------------------------------------

_DN = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_YEAR_CN = {"零": "0", "〇": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_DATE_PATTERNS = (
    re.compile(rf"(?P<y>\d{{4}}|[零〇一二三四五六七八九]{{4}})\s*年\s*(?P<m>{_DN})\s*月\s*(?P<d>{_DN})\s*[日号]?"),
    re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"),
    re.compile(rf"(?<![\d.了满近有干做共])(?P<y>\d{{2}})\s*年\s*(?P<m>{_DN})\s*月\s*(?P<d>{_DN})\s*[日号]?"),
    re.compile(rf"(?P<ry>去年|前年|今年)\s*(?P<m>{_DN})\s*月\s*(?P<d>{_DN})\s*[日号]?"),
    re.compile(rf"(?P<rm>上上个?月|上个?月|这个?月|本月)\s*(?P<d>{_DN})\s*[日号]"),
    re.compile(rf"(?<![\d年])(?P<m>{_DN})\s*月\s*(?P<d>{_DN})\s*[日号]"),
    re.compile(rf"(?<![\d月年个第])(?P<d>{_DN})\s*号(?!线|楼|房|院|码|店|仓)"),
    re.compile(r"(?P<word>大前天|前天|昨天|昨日|今天|今日)"),
    re.compile(r"(?P<wk>上上|上|这|本)个?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"),
    re.compile(rf"(?P<ago>{_N})\s*(?P<agounit>天|个月|周|个星期)(?:前|之前|以前)"),
    re.compile(rf"(?:(?<![\d.了满近有干做共])(?P<y>\d{{4}}年|\d{{2}}年|去年|前年|今年))?\s*(?P<m>{_DN})\s*月份?(?P<part>底|初|中旬|上旬|下旬)?"
               r"(?=(?:的时候|的|时|份)?(?:入职|进|开始|来|到岗|上班|被|离职|辞职|走的|合同到期|解除|终止|起(?!诉)))"),
)

_NOT_WORK_SPAN = re.compile(r"假|病|休|加班|出差|培训|住院|治疗|停工|停薪|医疗期|试用|怀孕|哺乳|借调|外派|隔离")
_ROLE_APPLIED = re.compile(r"(交|递交|提交|提出|报)(了|的)?(工伤)?(认定)?(申请|材料)|受理|申请(了|的)?工伤认定")
_ROLE_RESIGN = re.compile(r"(提|交|递|写|打)(了|的|出|出了)?(书面)?(的)?(辞职|离职)|辞职(信|报告|申请)|申请(了)?离职|说(了)?(要)?辞职")
_ROLE_INCIDENT = re.compile(r"出(了|的)?事|受(了|的)?伤|摔|撞|车祸|事故|工伤|诊断|确诊|砸|烫|夹|割|骨折|伤(了|的|到)|出险|被狗咬|出车祸")
_ROLE_END = re.compile(
    r"被(开|辞|炒|裁|解雇|辞退|开除|劝退|优化)|辞退|开除|解雇|解除|离职|辞职|走人|裁员|终止|到期|不让(我)?干|停(了)?单|封号|离开|最后一天上班|开了我|辞了我|(?<!不)(?<!没)走(了|的)(?!路)|不干了"
    r"|把我(给)?(开|辞|炒|裁|解雇|辞退|开除)"
)
_ROLE_RESUME = re.compile(r"(恢复|回去|回到单位|回单位|回公司|回厂|重新)(上班|工作|上岗|履行)|复工|复岗|返岗|恢复劳动关系")
_ROLE_SIGNED = re.compile(r"补签|补订|(才|终于|又)签|签(了|订了?|的|下)?(书面)?(劳动)?合同")
_ROLE_START = re.compile(r"^\s*起(?!诉)|入职|进(的|了)?(这个|这家|那个|那家)?[\u4e00-\u9fff]{0,4}?(公司|厂|单位|站|网点|店|仓|平台|车队|医院|学校|酒店|餐厅|工地|超市)|进(的|了)?这|开始(在.{1,8})?(上班|干|做|工作|跑|送)|来(的)?(公司|这|单位)|到岗|报到|上班的|用工|进来"
    r"|^(的时候|那天)?(到|去|来)(了)?[\u4e00-\u9fff]{0,6}?(公司|厂|单位|站|网点|店|仓库?|平台|车队|工地|超市)(上班|干活|开车|工作|做事|跑|送|当)")
_ROLES = (
    ("applied_date", _ROLE_APPLIED),
    ("notice_date", _ROLE_RESIGN),
    ("incident_date", _ROLE_INCIDENT),
    ("end_date", _ROLE_END),
    ("resume_date", _ROLE_RESUME),
    ("start_date", _ROLE_START),
    ("signed_date", _ROLE_SIGNED),
    ("received_date", re.compile(r"收到|送达|拿到|接到|签收")),
)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier); the month's last day when it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, _month_days(year, month)))


def _month_days(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def period_end(start: date, *, days: int = 0, months: int = 0, years: int = 0) -> date:
    """Last day of a period counted from ``start`` (民法典第二百零一、二百零二条)."""
    return add_months(start, months + 12 * years) + timedelta(days=days)


def months_between(a: date, b: date) -> tuple[int, int]:
    """Whole months and leftover days from ``a`` to ``b``."""
    months = (b.year - a.year) * 12 + b.month - a.month
    if add_months(a, months) > b:
        months -= 1
    return months, (b - add_months(a, months)).days


def _cn_int(token: str) -> int | None:
    value = parse_number(token)
    return int(value) if value is not None and value == int(value) else None


def _make_date(m: re.Match, today: date, *, ahead: bool = False) -> tuple[date, bool] | None:
    """The date a match names; without a year, the latest such date not after today (or, when
    ``ahead``, up to half a year ahead: a planned last day of work)."""
    g = m.groupdict()
    try:
        if g.get("word"):
            back = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}[g["word"]]
            return today - timedelta(days=back), False
        if g.get("wk"):  # 「上周五」: that weekday of last week (this week's Monday − 7 days, + the weekday)
            monday = today - timedelta(days=today.weekday()) - timedelta(days={"上上": 14, "上": 7}.get(g["wk"], 0))
            wd = "一二三四五六日".find(g["wd"]) if g["wd"] in "一二三四五六日" else (6 if g["wd"] == "天" else int(g["wd"]) - 1)
            day = monday + timedelta(days=wd)
            return (day, False) if day <= today else None
        if g.get("ago"):
            n = _cn_int(g["ago"])
            if n is None:
                return None
            unit = g["agounit"]
            if unit == "天":
                return today - timedelta(days=n), False
            if unit in ("周", "个星期"):
                return today - timedelta(days=7 * n), True
            return add_months(today, -n), True
        day = _cn_int(g["d"]) if g.get("d") else 1
        approx = not g.get("d")
        if g.get("rm"):
            back = {"上上个月": 2, "上上月": 2, "上个月": 1, "上月": 1}.get(g["rm"], 0)
            anchor = add_months(today.replace(day=1), -back)
            return date(anchor.year, anchor.month, day), False
        month = _cn_int(g["m"]) if g.get("m") else None
        if month is None:  # 「15号」: this month, or last month if that day is still to come
            candidate = date(today.year, today.month, day) if day <= _month_days(today.year, today.month) else None
            if candidate is None or candidate > today:
                anchor = add_months(today.replace(day=1), -1)
                candidate = date(anchor.year, anchor.month, day)
            return candidate, False
        year_text = g.get("y") or ""
        year_text = year_text if year_text in ("去年", "前年", "今年") else year_text.rstrip("年")
        ry = g.get("ry") or (year_text if year_text in ("去年", "前年", "今年") else None)
        if ry:
            year = today.year - {"今年": 0, "去年": 1, "前年": 2}[ry]
        elif year_text:
            year = int("".join(_YEAR_CN.get(c, c) for c in year_text))
            if year < 100:  # 「17年」: this century, unless that is still to come
                year += 2000 if 2000 + year <= today.year else 1900
        else:
            year = today.year
            if date(year, month, min(day, _month_days(year, month))) > today + timedelta(days=183 if ahead else 0):
                year -= 1
        if approx and g.get("part") in ("底", "下旬"):
            day = 25 if g["part"] == "下旬" else _month_days(year, month)
        elif approx and g.get("part") == "中旬":
            day = 15
        return date(year, month, day), approx
    except (ValueError, KeyError, TypeError):
        return None


def _find_dates(text: str, today: date) -> list[tuple[int, int, date, bool, str | None]]:
    """(start, end, date, approximate, role) for each date in the text."""
    found: list[tuple[int, int, date, bool, str | None]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b, *_ in found):
                continue
            role = _date_role(text, m.start(), m.end())
            made = _make_date(m, today, ahead=role in ("end_date", "notice_date"))
            if made:
                found.append((m.start(), m.end(), made[0], made[1], role))
    return sorted(found, key=lambda item: item[0])


def _date_role(text: str, start: int, end: int) -> str | None:
    after = _clause_after(text, end, 14)
    before = _clause_before(text, start, 10)
    if re.match(r"\s*(-|~)", after) or re.match(r"\s*(到|至)\s*(\d|[一二三四五六七八九十]|今|去|前|明|现在|目前|上个?月|这个?月|本月|年底|月底|次年|第二年)", after):
        return None  # 「1月1号到6月30号」: one end of a span, not a day something happened
    for window in (after, before):
        for name, pattern in _ROLES:
            if pattern.search(window):
                return name
    return None


# durations -------------------------------------------------------------------------------------

_DURATION = re.compile(
    rf"(?P<under>不到|不满|未满|没满|没到)?"
    rf"(?:(?P<y>{_N}|半)(?P<ya>多|来|几)?个?年(?P<yh>半)?(?P<yb>多)?"
    rf"(?:零|又)?(?:(?P<m>{_N})(?P<ma>多|来|几)?个(?P<mh>半)?(?P<mb>多)?月(?P<mc>多)?)?"
    rf"|(?P<m2>{_N}|半)(?P<m2a>多|来|几)?个(?P<m2h>半)?(?P<m2b>多)?月(?P<m2c>多)?)"
    rf"(?P<about>左右|上下|以上)?"
)


@dataclass(frozen=True)
class _Span:
    months: Decimal
    upto: int | None
    approx: bool


def _span(m: re.Match) -> _Span | None:
    g = m.groupdict()
    if g["y"] is not None:
        years = _num(g["y"])
        months = _num(g["m"]) if g["m"] else Decimal(0)
        if years is None or months is None:
            return None
        total = years * 12 + months + (6 if g["yh"] else 0) + (Decimal("0.5") if g["mh"] else 0)
        approx = any(g[k] for k in ("ya", "yb", "ma", "mb", "mc", "about"))
        more_years = g["yb"] and not g["m"] and not g["yh"]
    else:
        months = _num(g["m2"])
        if months is None:
            return None
        total = months + (Decimal("0.5") if g["m2h"] else 0)
        approx = any(g[k] for k in ("m2a", "m2b", "m2c", "about"))
        more_years = False
    if g["under"]:
        low = 1 if total >= 2 else 0
        return _Span(Decimal(low), int(total) - 1 if total == int(total) else int(total), True)
    if more_years:  # 「一年多」: more than a year, less than two
        return _Span(total + 1, int(total) + 11, True)
    return _Span(total, None, approx)


_BEFORE_CONTRACT = re.compile(r"(签了?|签的|签订了?|续签了?|续了|订了?)(一份|个)?$|合同(期限?|期)?(是|为|签了?|签的|签订了?|只有|才|有|共|就)?$")
_AFTER_CONTRACT = re.compile(r"^期?(的)?(劳动|固定期限|书面)?合同")
_BEFORE_PROBATION = re.compile(r"试用(期)?(是|为|有|约定了?|约了?|写了?|定了?|签了?|长达|要|就|只有|竟然|居然|说|都|了)*$")
_AFTER_PROBATION = re.compile(r"^(的)?试用(期)?")
_BEFORE_PREGNANCY = re.compile(r"怀孕(了|才|刚|都)?$")
_BEFORE_CAREER = re.compile(r"(参加工作|工龄|累计工作|总共工作|一共工作|工作年限|社会工龄)(了|已经|已|有|满|是|为|共|都|快|总共|一共)*$")
_AFTER_CAREER = re.compile(r"^(的)?(工龄|社会工龄)")
_BEFORE_INJURY_LEAVE = re.compile(r"停工留薪(期)?(是|有|为|共|一共|定了?|批了?|确定了?|了|休了?)*$")
_BEFORE_INSURED = re.compile(r"(交|缴|缴纳|缴费|参保|参加)(了)?(失业保险|失业险)(费)?(的时间|时间|年限)?(累计|共|一共|总共|已经|已)?(了|满|有|是|为)*$|(失业保险|失业险)(累计|共|一共|总共|已经|已|才|只|刚|就)*(交|缴|缴纳|缴费|参保)(了|满|有)*$")
_AFTER_INSURED = re.compile(r"^(的)?(失业保险|失业险)")
_BEFORE_SICK = re.compile(r"病假(累计|一共|总共|共|已经|已)?(请|休|歇)?(了|有|是|满|达|快)*$|(请|休)(了)?病假(累计|一共|总共|共)?(了|有)*$")
_EARLIER_EMPLOYER = re.compile(
    r"(之前|以前|此前|原来|先前|上一家|别的|其他|另一家)(在)?(别的|其他|另一家|上一家)?.{0,4}(公司|单位|厂|站点?|平台|车队)"
    r"|(之前|以前|此前|先前|早年|进这家(公司|单位)?前|来这(里|儿)?(之)?前)(还|也|一共|总共|已经)?(在[^，。]{0,8})?(干|做|工作|上班|打工|跑|开)(了|过)?"
)
_TRANSFERRED = re.compile(
    r"(安排|派|调|转|划|弄)(我)?(到|去|进|入)(了)?[^，。；]{0,10}(公司|单位|厂|企业|站点?)|(转|调|换)到(了)?(关联|新|另一家|下属|子|母)"
    r"|(合并|分立|改制|重组|换了?(个)?(公司|主体)|换签|转签|改签)")
_TRANSFER_PAID = re.compile(r"(?<![没未])(已经)?(给|付|支付|结|发)(过|了)(我)?(一次|一笔)?(经济)?补偿")
_PLAIN_SENIORITY = re.compile(r"(工龄|工作年限)(了|已经|已|有|满|是|为|共|都|快|总共|一共)*$")
_CAREER_QUALIFIED = re.compile(r"累计|社会|总|参加工作|一共|总共|连续工作|(以前|之前|别的|其他|各)(单位|公司)")
_MONTH_YEAR = r"(?:\d{4}年|\d{2}年|去年|前年|今年)"
_MONTH_RANGE = re.compile(
    rf"(?<![\d.])(?P<y1>{_MONTH_YEAR})?\s*(?P<m1>{_DN})\s*月份?(?:初|底|中旬)?\s*(?:到|至|-|~|一直到|干到|做到)\s*"
    rf"(?P<y2>{_MONTH_YEAR})?\s*(?P<m2>{_DN})\s*月份?(?:初|底|中旬)?(?!\s*{_DN}\s*[日号])"
)


def _month_range(text: str, today: date) -> int | None:
    """「去年6月到今年2月」, 「2024年3月至2025年1月」: the months from one month to the other (8, 10),
    read as time worked when nothing else says how long; a range of days (「3月5日到4月1日」) is not one."""
    m = _MONTH_RANGE.search(text)
    if m is None or re.match(r"\s*\d", text[m.end():]):
        return None
    def year(token: str | None) -> int | None:
        if not token:
            return None
        if token in ("今年", "去年", "前年"):
            return today.year - {"今年": 0, "去年": 1, "前年": 2}[token]
        y = int(token.rstrip("年"))
        return y + 2000 if y < 100 else y
    m1, m2 = _cn_int(m.group("m1")), _cn_int(m.group("m2"))
    if m1 is None or m2 is None or not (1 <= m1 <= 12 and 1 <= m2 <= 12):
        return None
    y1, y2 = year(m.group("y1")), year(m.group("y2"))
    if y1 is None and y2 is None:
        return None  # 「3月到8月」 alone may be any year, or a season
    if y1 is None:
        y1 = y2 if m1 <= m2 else y2 - 1
    if y2 is None:
        y2 = y1 if m2 >= m1 else y1 + 1
    months = (y2 - y1) * 12 + m2 - m1
    return months if 0 < months <= 600 else None


_SERVICE_FILLERS = r"(了|期间|满|过|有|快|已经|已|都|将近|差不多|大概|约|近|共|总共|一共|整整|整|足足|才|刚|刚好|正好|快要|连续|一直)*$"
_BEFORE_SERVICE = re.compile(
    r"(干|做|工作|待|呆|上班|入职|跑|送|开|拉|来|在职|任职|服务|打工|劳动关系存续|劳动关系持续|存续)"
    r"(车|大车|货车|出租车?|网约车|滴滴|货|外卖|快递|餐|单|活|保洁|家政|司机|保安|仓管)?" + _SERVICE_FILLERS +
    r"|(公司|单位|厂|平台|站点?|店|这家|这里|这儿|那里|那家)(里|上)?(干|做|工作|待|上班|跑)?(了|满|已经|都|快|有)*$"
    r"|司龄(是|为|有|已经|已|满|共|快|都)*$"
    r"|(进|来|到)(了)?(这个|这家|这|那个|那家|我们|咱们)?(公司|单位|厂|工厂|厂里|仓库|车队|工地|站点?|配送站|门店|店|超市|酒店|餐厅|饭店|医院|学校|平台)(里)?" + _SERVICE_FILLERS
)


# money -----------------------------------------------------------------------------------------

_MONEY = re.compile(
    r"(?P<num>(?:\d+(?:\.\d+)?|(?:[零〇一二两三四五六七八九十百千万](?!个))+)(?:[千万kKwW](?:\d|[一二两三四五六七八九](?![十百千万个]))?)?)"
    r"(?P<unit>\s*(?:块钱|块|元|rmb|RMB))?(?P<more>多|左右)?"
)
_WAGE_WORDS = r"(月薪|月工资|工资|薪水|薪资|底薪|月入|收入|转正后|转正|一个月|每个月|每月|(?<![年\d])一月|到手|税前|税后|拿|发|能挣|挣|月均|平均)"
_WAGE_BEFORE = re.compile(_WAGE_WORDS + r"(标准)?(的)?(是|有|为|大概|差不多|才|就|只有|约|:|大约|在)*$")
_WAGE_BEFORE_WIDE = re.compile(
    _WAGE_WORDS + r"(一直|一直都|都|也|也都|基本|基本上|一般|固定|稳定|始终|还是|平均|每月|每个月|一个月)+(是|有|为|大概|差不多|在|约|大约)*$"
)
_WAGE_AFTER = re.compile(r"^(块钱|块|元)?(多|左右)?(一个月|每月|每个月|/月|一月|的月薪|的工资|月薪|的底薪|底薪)")
_NOT_WAGE_BEFORE = re.compile(r"赔|补偿|罚|押金|欠|扣|借|医药费|医疗费|花了|房租|违约金|保证金|定金|日薪|时薪|一天|每天|每小时|一小时|每单|一单|加班费|报销|车费|油费")
_PROBATION_BEFORE = re.compile(r"试用")
_OWED_OR_PAID = re.compile(r"欠|拖欠|补偿|赔|罚|扣|押金|借|报销")
_CLAIMED = re.compile(r"欠|讨|追回|追讨|索要|要回")
_NOT_WAGE_AFTER = re.compile(r"^\s*(块钱|块|元)?(的)?(补偿|赔偿|押金|罚款|违约金|医药费|医疗费|奖金|提成|补贴|路费|油费|房租|加班费)")
_NOT_MONEY_AFTER = re.compile(r"^\s*(个|小时|钟头|天|年|月|号|日|级|倍|%|岁|胎|次|周|点|分|公里|单|人|家|岗)")
_AVERAGE_BEFORE = re.compile(r"社平|社会平均|职工(月)?平均|职工月均|(上一?年度?|公布的?)(的)?(职工)?月均|(当地|本地|全市|全省|市里|省里|统筹地区)的?(上一?年度?)?(职工)?(月)?平均")
_MINIMUM_BEFORE = re.compile(r"最低工资")
_ANNUAL_BEFORE = re.compile(r"(年收入|年薪|去年|上一?年度?|全年|一年|每年)的?(总)?(收入|工资|薪水|挣了?|到手|税前)?(是|有|为|大概|约|共|一共|总共|差不多|大约|能有)*$")
_LAST_MONTH_BEFORE = re.compile(r"上个?月的?(工资|薪水|收入|到手|发了?|拿了?)(是|有|为|共|一共|发了?|拿了?)*$")
_NET_NEAR = re.compile(r"到手|税后|实发|实际(拿|到手|发)|扣完|扣除.{0,6}后")
_GROSS_NEAR = re.compile(r"应发|税前|应得|工资条|合同(上|里)?(写|约定)")
_BASE_PAY = re.compile(r"底薪|基本工资|基础工资|保底")
_WAGE_EXTRA = re.compile(
    r"(?<!年终)(?P<what>提成|奖金|绩效(工资|奖)?|补贴|津贴|全勤奖?)(平均)?(下来|算下来)?(每月|每个月|一个月|月均)?(平均)?(大概|差不多|约|有|能有|是|在|都有)*\s*"
    r"(?P<amt>(?:\d+(?:\.\d+)?|(?:[零〇一二两三四五六七八九十百千万](?!个))+)(?:[千万kKwW](?:\d|[一二两三四五六七八九](?![十百千万个]))?)?)"
    r"(?P<unit>\s*(?:块钱|块|元))?(?P<more>多|左右)?"
)
_DAILY_WAGE = re.compile(
    r"(日薪|日工资|一天(的)?工资|每天(的)?工资|日结|一天|每天)(是|有|为|大概|才)?\s*(?P<amt>\d+(?:\.\d+)?|(?:[零〇一二两三四五六七八九十百千](?!个))+)\s*(块钱|块|元)(?!.{0,2}(加班费|补贴|饭补|餐补))"
    r"|(日薪|日工资)(是|有|为|大概|才)?\s*(?P<amt2>\d+(?:\.\d+)?)"
)
_HOURLY_WAGE = re.compile(r"(时薪|小时工资|每小时(工资)?|一小时(工资)?|一个小时(工资)?)(是|有|为|大概|才)?\s*(?P<amt>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+)\s*(块钱|块|元)?(?!\s*(个|小时|单|件))")
_WAGE_TOTAL = re.compile(  # 「八个月工资加提成一共拿了六万四」: what the months earned together, whatever they were called
    rf"(?P<n>{_N})个月(里|下来|来)?的?(?=[^，。；;]{{0,8}}?(工资|收入|薪水|工钱|提成|奖金|挣|拿|到手))[^，。；;\d]{{0,12}}?"
    r"(加起来|加在一起|一共|总共|合计|共|总计|算下来)(是|有|为|拿了|发了|挣了|到手|才|一共)?\s*(?P<sum>"
    r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)(?:[千万kKwW](?:\d|[一二两三四五六七八九](?![十百千万]))?)?)(\s*(块钱|块|元))?"
)


def _money_facts(text: str) -> dict:
    """The monthly wage (and whether approximate), and the other amounts the question names."""
    out: dict = {}
    # 「七八千」: between 7000 and 8000 — the lower end, as an approximate figure (「7千多」)
    text = re.sub(r"(?<![一二三四五六七八九十])([一二三四五六七八九])([一二三四五六七八九])([千万])",
                  lambda m: f"{_CN_DIGITS[m[1]]}{m[3]}多" if _CN_DIGITS[m[2]] == _CN_DIGITS[m[1]] + 1 else m[0], text)
    candidates: list[tuple[Decimal, bool, int, bool, int]] = []  # value, approx, strength, last month's, gross (1) / net (-1)
    if (t := _WAGE_TOTAL.search(text)) is not None:
        months, total = _cn_int(t.group("n")), parse_number(t.group("sum"))
        if _OWED_OR_PAID.search(_clause_before(text, t.start(), 8)):
            pass  # 「欠了我两个月工资共15000」: owed, not what was earned
        elif months and 1 <= months <= 12 and total is not None and total >= 100 * months:
            out.update(wage_total=total, wage_total_months=months, monthly_wage=total / months, wage_approx=False)
            text = _mask(text, [t.span()])
    for m in _MONEY.finditer(text):
        token = m.group("num")
        if _NOT_MONEY_AFTER.match(text[m.end("num") :]) and not m.group("unit"):
            continue
        value = parse_number(token)
        if value is None or value < 100 or value > 10_000_000:
            continue
        before = _clause_before(text, m.start(), 12)
        after = _clause_after(text, m.end(), 8)
        unit = bool(m.group("unit")) or bool(re.search(r"[千万kKwW]", token))
        near = _clause_before(text, m.start(), 5)
        wide = _clause_before(text, m.start(), 10)
        if _AVERAGE_BEFORE.search(before):
            out.setdefault("local_average_wage", value)
            continue
        if _MINIMUM_BEFORE.search(before):
            out.setdefault("minimum_wage", value)
            continue
        if re.search(r"可支配收入", before):
            out.setdefault("disposable_income", value)
            continue
        if value >= 10000 and _ANNUAL_BEFORE.search(wide) and not re.search(r"(月薪|月工资|每月|每个月|一个月)", near):
            out.setdefault("annual_income", value)
            continue
        if _CLAIMED.search(before) and not re.search(r"月薪|底薪", near):
            out.setdefault("claim_amount", value)
            continue
        if (_NOT_WAGE_BEFORE.search(near) or _OWED_OR_PAID.search(before)) and not re.search(r"(月薪|月工资|底薪|工资)(是|有|为)?$", near):
            continue
        if _NOT_WAGE_AFTER.match(text[m.end("num") :]):
            continue
        if _PROBATION_BEFORE.search(before):
            out["probation_wage"] = value
            continue
        last_month = bool(_LAST_MONTH_BEFORE.search(wide))
        if last_month:
            out.setdefault("last_month_wage", value)
        strong = _WAGE_BEFORE.search(near) or _WAGE_BEFORE_WIDE.search(wide) or _WAGE_AFTER.match(text[m.end("num") :])
        strength = 2 if strong else (1 if unit and value >= 1000 else 0)
        if strength:
            approx = bool(m.group("more")) or bool(re.search(r"(大概|差不多|约|大约|左右)$", near)) or "左右" in after[:3]
            gross = 1 if _GROSS_NEAR.search(wide) else (-1 if _NET_NEAR.search(wide) or _NET_NEAR.match(after) else 0)
            candidates.append((value, approx, strength, last_month, gross))
    if "monthly_wage" not in out and candidates:
        # the strongest mention, the first among equals; last month's wage only when nothing else is said;
        # the pay before tax and social insurance (应发, 税前) over take-home pay (到手)
        best = max(candidates, key=lambda c: (not c[3], c[4] >= 0, c[2], c[4]))
        out["monthly_wage"], out["wage_approx"] = best[0], best[1]
        out["wage_net"] = best[4] < 0
        if _BASE_PAY.search(text):
            extras = _wage_extras(text)
            if extras:
                out["wage_extra"] = extras[0]
                out["wage_approx"] = best[1] or extras[1]
    elif "monthly_wage" not in out and "annual_income" in out:
        out["monthly_wage"], out["wage_approx"] = _money(out["annual_income"] / 12), True  # 年薪12万: about 10000 a month
    if (h := _HOURLY_WAGE.search(text)) is not None and (value := parse_number(h.group("amt"))) is not None and 5 <= value <= 1000:
        out["hourly_wage"] = value
    if (d := _DAILY_WAGE.search(text)) is not None and (value := parse_number(d.group("amt") or d.group("amt2"))) is not None and 20 <= value <= 5000:
        out["daily_wage"] = value
    return out


def _wage_extras(text: str) -> tuple[Decimal, bool] | None:
    """Monthly commission, bonus and allowances named beside a base pay: their sum, and whether approximate."""
    total, approx = Decimal(0), False
    for m in _WAGE_EXTRA.finditer(text):
        value = parse_number(m.group("amt"))
        if value is None or value < 50 or _NOT_MONEY_AFTER.match(text[m.end("amt"):]) and not m.group("unit"):
            continue
        if re.search(r"年|季度|一次性", m.group(0)) or re.search(r"(每年|一年|全年|年终)$", _clause_before(text, m.start(), 4)):
            continue
        total += value
        approx = approx or bool(m.group("more")) or bool(re.search(r"大概|差不多|约", m.group(0)))
    return (total, approx) if total else None


# overtime --------------------------------------------------------------------------------------

_HOLIDAY_WORDS = re.compile(r"法定节假日|法定假日|法定节日|法定假|节假日|国庆|春节|元旦|清明|五一|劳动节|端午|中秋|除夕|大年|过年")
_REST_WORDS = re.compile(r"周末|周六|周日|星期六|星期天|星期日|礼拜六|礼拜天|礼拜日|休息日|双休|休息天|休息的时候")
_WORKDAY_WORDS = re.compile(r"平时|工作日|每天|每日|天天|平常|日常|下班后|下班以后|晚上|延长")
_WORKING = re.compile(r"加班|加了|加点|延长(了)?(工作时间|工时)?|上了?.{0,3}班|上班|干了|干活|工作了?|跑了|跑单|值班|出勤|多干|(叫|让|要|喊|安排).{0,6}(去)?(做|干|上)|去做|做了")
_HOURS = re.compile(rf"(?P<n>{_N}|半)\s*个?\s*(?P<u>小时|钟头|个钟|钟(?!点)|h|天|日)(?!前|之前|以前)")
_MONTH_HOURS = re.compile(
    rf"(一个月|每月|每个月|这个月|上个月|当月)(下来|里|内)?(都|要|得|总共|一共|共)?(加班|加了|加)(了)?\s*(?P<n>[一二三四五六七八九]{{2}}十|{_N})\s*(多)?个?(小时|钟头|个钟)"
)
_MONTH_HOURS_SPREAD = re.compile(
    rf"(一个月|每月|每个月|这个月|上个月|当月|本月)[^，,。；;]{{0,10}}?(加班|加了|延长(了)?(工作)?(时间)?)(了)?(共|一共|总共)?\s*(?P<n>{_N})\s*个?(小时|钟头|个钟)"
)
"""「这个月公司已经安排延长工作时间30小时」: the month's overtime with words between."""
_DAYS_IN_MONTH = re.compile(rf"(一个月|每月|每个月|这个月|上个月|当月|月)(里|内)?(加班|加了|干|上|上班|有|共|一共|总共)?(了)?\s*(?P<n>{_N})\s*(个工作日|天)")
_DAYS_ALL_TOLD = re.compile(rf"(一共|总共|合计|累计|共)(加了|加班|干了|上了|有)?(了)?\s*(?P<n>{_N})\s*(个工作日|天)")
_WORKDAYS = re.compile(rf"(?P<n>{_N})\s*个?工作日")
_COMPREHENSIVE = re.compile(
    rf"(标准|法定|规定)(的)?(总)?工(作)?时(间)?(是|为|有|应该是)?\s*(?P<std>{_N})\s*个?小时[^。；;]{{0,16}}?(实际|实)(上)?(干|工作|上班|做|出勤|上了|干了)?(了)?\s*(?P<act>{_N})\s*个?小时"
)
_PIECE_RATE = re.compile(r"(计件)?单价\s*(是|为)?\s*(?P<rate>\d+(?:\.\d+)?)\s*(元|块)?\s*(/|每|一)?\s*(件|单|个|票)")
_PIECES_OVERTIME = re.compile(rf"(延时|加班|延长|超时|定额(以)?外|额外)[^。；;]{{0,10}}?(分|做|干|拣|包|送|完成|打包|生产)(了)?\s*(?P<n>{_N})\s*(件|单|个|票)")
_NEW_YEAR_DAYS = re.compile(r"(正月)?初(?P<a>[一二三四五六七八九十])\s*(到|至|-|~|和)\s*(正月)?初(?P<b>[一二三四五六七八九十])")
_DAYS_COUNTED = re.compile(rf"(?P<n>{_N})\s*个(?P<what>周六|周日|星期六|星期天|星期日|礼拜六|礼拜天|礼拜日|休息日|公休日|法定节假日|法定假日)")
_CALLED_IN = re.compile(r"(叫|喊|安排|要求|让)(他|她|我)?(来|去|回来|回去)|被(叫|喊|安排)")


def _overtime_facts(text: str) -> dict:
    out: dict = {}
    if (m := _COMPREHENSIVE.search(text)) is not None:
        standard, worked = _num(m.group("std")), _num(m.group("act"))
        if standard is not None and worked is not None and worked > standard:
            # 工资支付暂行规定第十三条: past the period's standard total is 延长工作时间
            out.update(overtime_workday_hours=worked - standard, comprehensive_hours=True)
        text = _mask(text, [m.span()])
    if (m := _PIECE_RATE.search(text)) is not None and (rate := _num(m.group("rate"))) is not None and rate > 0:
        pieces = _PIECES_OVERTIME.search(text)
        if pieces is not None and (n := _cn_int(pieces.group("n"))) is not None and n > 0:
            out.update(piece_rate=rate, overtime_pieces=n)
            text = _mask(text, [m.span(), pieces.span()])
    days_match = (_DAYS_IN_MONTH.search(text) or _WORKDAYS.search(text)
                  or (_DAYS_ALL_TOLD.search(text) if re.search(r"(每天|每日|天天|每晚)(都)?(加班|加|多干|多上|多做|延长)", text) else None))  # 「每天加班2小时，共22天」
    days = _cn_int(days_match.group("n")) if days_match else None
    if (m := _MONTH_HOURS.search(text) or _MONTH_HOURS_SPREAD.search(text)) is not None:
        token = m.group("n")
        # 「七八十个小时」: between 70 and 80, the lower end
        low = parse_number(token[0] + token[2:]) if re.fullmatch(r"[一二三四五六七八九]{2}十", token) else _num(token)
        if low is not None and low > 0:
            out["overtime_month_hours"] = low
    clauses = _SPLIT.split(text)
    # 「礼拜六礼拜天都叫我去做，一个月4个双休日一共8天」: days counted in a clause that names the rest days
    worked_on = {words: any(_WORKING.search(c) and words.search(c) for c in clauses) for words in (_REST_WORDS, _HOLIDAY_WORDS)}
    for clause in clauses:
        if not _WORKING.search(clause) and not any(worked and words.search(clause) for words, worked in worked_on.items()):
            continue
        # a holiday named with digits is not a count: 「五一两天都上了班」
        for h in _HOURS.finditer(re.sub(r"五一|十一(?=假|长假|黄金周|期间)", "□□", clause)):
            if not _WORKING.search(clause) and h.group("u") not in ("天", "日"):
                continue
            if days_match and days_match.group(0) in clause and h.group(0) in days_match.group(0):
                continue
            n = _num(h.group("n"))
            if n is None or n <= 0:
                continue
            hours = n * 8 if h.group("u") in ("天", "日") else n
            if _HOLIDAY_WORDS.search(clause):
                key = "overtime_holiday_hours"
                out["overtime_by_day"] = out.get("overtime_by_day") or h.group("u") in ("天", "日")
            elif _REST_WORDS.search(clause):
                key = "overtime_rest_hours"
                out["overtime_by_day"] = out.get("overtime_by_day") or h.group("u") in ("天", "日")
            elif re.search(r"每天|每日|一天|天天|每晚", clause[: h.start()]) and h.group("u") not in ("天", "日"):
                if not re.search(r"加班|加了|加点|多干|多上|多做|延长|超时", clause):
                    # 「每天工作10小时」 is the whole day: what passes the 8 standard hours is overtime
                    if n <= _STANDARD_DAY:
                        continue
                    n -= _STANDARD_DAY
                out["overtime_daily_hours"] = n
                continue
            elif _WORKDAY_WORDS.search(clause):
                key = "overtime_workday_hours"
            else:
                key = "overtime_unknown_hours"
            out[key] = out.get(key, Decimal(0)) + hours
            break
    if "overtime_holiday_hours" not in out and (m := _NEW_YEAR_DAYS.search(text)) is not None and (_WORKING.search(text) or _CALLED_IN.search(text)):
        first, last = _cn_int(m.group("a")), _cn_int(m.group("b"))
        if first is not None and last is not None and 1 <= first <= last <= 15:
            # 「春节初一到初三上班」: each day named, 8 hours a day
            # 初一 to 初三 are 法定节假日 (300%) under every holiday schedule; the days after them are rest days (200%)
            holiday = max(min(last, 3) - first + 1, 0)
            if holiday:
                out["overtime_holiday_hours"] = Decimal(holiday * _HOURS_PER_DAY)
            if last - first + 1 > holiday:
                out["overtime_rest_hours"] = Decimal((last - first + 1 - holiday) * _HOURS_PER_DAY)
            out["overtime_by_day"] = True
    if "overtime_rest_hours" not in out and "overtime_holiday_hours" not in out and (_WORKING.search(text) or _CALLED_IN.search(text)):
        # 「3个周六被叫来加班」, 「两个休息日都被安排上班」: whole rest days or holidays, 8 hours each
        for m in _DAYS_COUNTED.finditer(text):
            n = _cn_int(m.group("n"))
            if n is None or not 0 < n <= 31:
                continue
            key = "overtime_holiday_hours" if _HOLIDAY_WORDS.fullmatch(m.group("what")) else "overtime_rest_hours"
            out[key] = out.get(key, Decimal(0)) + n * _HOURS_PER_DAY
            out["overtime_by_day"] = True
    if "overtime_daily_hours" in out and days:
        out["overtime_workday_days"] = days
    if "overtime_unknown_hours" in out:
        kinds = [k for k, w in (("overtime_holiday_hours", _HOLIDAY_WORDS), ("overtime_rest_hours", _REST_WORDS), ("overtime_workday_hours", _WORKDAY_WORDS)) if w.search(text)]
        if len(kinds) == 1 and kinds[0] not in out:
            out[kinds[0]] = out.pop("overtime_unknown_hours")
    return out


# working hours and retirement -----------------------------------------------------------------

_STANDARD_DAY, _STANDARD_WEEK = 8, 40
_CLOCK = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_SCHEDULE = re.compile(
    rf"(?P<am>早上|早晨|早|上午|白天)?\s*(?P<a>{_CLOCK})\s*[点时:：](?P<ah>半|30)?\s*(?:到|至|-|~|一直到|干到|上到|做到|上班到|工作到)\s*"
    rf"(?P<pm>晚上|晚|下午|夜里|夜间|凌晨)?\s*(?P<b>{_CLOCK})\s*[点时:：](?P<bh>半|30)?"
    rf"|早(?P<a2>{_CLOCK})(?:点)?晚(?P<b2>{_CLOCK})(?:点)?"
)
_DAILY_HOURS = re.compile(rf"(每天|一天|每日|天天)(要|得|都|至少)?(干|工作|上班|跑|做|上)?(满|够|了)?\s*(?P<n>{_N})\s*个?(小时|钟头)")
_BREAK = re.compile(rf"(中午|中间|午休|吃饭)(能|可以)?(休息|歇)?(了)?\s*(?P<n>{_N}|半)\s*个?(小时|钟头)")
_WEEK_DAYS = re.compile(rf"(一周|每周|一个?星期|每个?星期|一个?礼拜|每个?礼拜)(要|得|都)?(干|上|工作|上班|出勤|跑)?(满)?\s*(?P<n>[1-7一二三四五六七])\s*天")
_WORK_REST = re.compile(r"做(?P<w>[一二三四五六七1-7])休(?P<r>[一二三四五六七1-7])")
_RETIRE_AHEAD = re.compile(
    rf"(离|距|距离)(我的?)?(法定)?退休(年龄|年纪)?(时间)?(还|只|就)?(剩下?|有|差|只剩|只有)?(?P<under>不到|不足|不满|没有)?\s*(?P<n>{_N}|半)\s*(?P<u>个月|年)(?P<more>多)?"
    rf"|(还有|再过|还差|只剩|只有)(?P<under2>不到|不足)?\s*(?P<n2>{_N}|半)\s*(?P<u2>个月|年)(?P<more2>多)?(就|就要|就能|就该|才)?(要|能|到|该)?(法定)?退休"
)


def _clock(token: str) -> int | None:
    value = _cn_int(token)
    return value if value is not None and 0 <= value <= 24 else None


def _hours_facts(text: str) -> dict:
    """Hours worked a day (from a schedule, less a stated break) and days a week; months to retirement."""
    out: dict = {}
    if (m := _SCHEDULE.search(text)) is not None:
        a, b = _clock(m.group("a") or m.group("a2")), _clock(m.group("b") or m.group("b2"))
        if a is not None and b is not None:
            start = Decimal(a) + (Decimal("0.5") if m.group("ah") else 0)
            end = Decimal(b) + (Decimal("0.5") if m.group("bh") else 0)
            pm = m.group("pm") or ("晚" if m.group("b2") else None)
            if pm == "凌晨":
                end += 24
            elif (pm and b < 12) or end <= start:
                end += 12
            if 0 < end - start <= 24:
                out["daily_hours"] = end - start
    elif (m := _DAILY_HOURS.search(text)) is not None and (n := _num(m.group("n"))) is not None and 0 < n <= 24:
        out["daily_hours"] = n
    if "daily_hours" in out and (b := _BREAK.search(text)) is not None and not re.search(r"不让|不能|没有|没得|不给", text[max(0, b.start() - 3) : b.end()]):
        rest = _num(b.group("n"))
        if rest is not None and rest < out["daily_hours"]:
            out["daily_hours"] -= rest
    if (m := _WEEK_DAYS.search(text)) is not None:
        out["week_days"] = _cn_int(m.group("n"))
    elif (m := _WORK_REST.search(text)) is not None and (_cn_int(m.group("w")) or 0) + (_cn_int(m.group("r")) or 0) == 7:
        out["week_days"] = _cn_int(m.group("w"))
    elif re.search(r"单休|一周(只)?休(息)?一天|每周(只)?休(息)?一天", text):
        out["week_days"] = 6
    elif re.search(r"全年无休|一天(都)?不休|没有休息日|没休息日|天天上班|每天都(要)?上班|一周七天|7天无休|七天无休", text):
        out["week_days"] = 7
    elif re.search(r"(?<!没有)(?<!没)双休(?!日)", text):
        out["week_days"] = 5
    if (m := _RETIRE_AHEAD.search(text)) is not None:
        n = _num(m.group("n") or m.group("n2"))
        unit = m.group("u") or m.group("u2")
        if n is not None:
            months = int(n * 12) if unit == "年" else int(n)
            if m.group("more") or m.group("more2"):
                months += 11 if unit == "年" else 0
            elif m.group("under") or m.group("under2"):
                months -= 1
            out["retirement_months"] = max(months, 0)
    return out


# the reader ------------------------------------------------------------------------------------

_CONTRACT_NONE = re.compile(
    r"(没|没有|未|不|不给|不肯|不愿|从没|一直没|一直没有|还没|还不|也没)(跟我|和我|与我|给我|让我)?(签|签订|订|签署|补签)(过|了)?(书面)?(的)?(劳动)?合同"
    r"|无(书面)?(劳动)?合同|合同(也|都|一直|还)?(没|没有|未)签"
)
_CONTRACT_SIGNED = re.compile(r"签(了|过|订了|的)(.{0,8})合同")
_UNLAWFUL = re.compile(
    r"违法(辞退|解除|开除|解雇|终止|裁员)|无故(开除|辞退|解雇|被开|被辞|解除|把我开|把我辞|让我走)|无缘无故|无理由(辞退|开除|解雇)|没有?(任何)?理由(就)?(把我)?(开|辞|解雇|辞退|开除)"
    r"|违法(地)?把我(给)?(开|辞|炒|裁|解雇|辞退|开除)"
    r"|(认定|裁定|判定|判决|确认|认为)(了)?(为|是|属于|属)?违法(解除|辞退|开除)?(?!吗|么|嘛)"
    r"|(什么|任何|一点|一个)理由(都|也)(没|没有|不)(给|说|讲)|(没|没有|不)(给|说|讲|讲明|说明)(任何|什么|个)?理由(就)?(把我|让我|叫我)?(开|辞|炒|走|解雇|辞退|开除|别来|不用来)"
    r"|一句话(就)?(把我|让我|叫我)(开|辞|炒|走|滚|别来|明天别来|不用来|明天不用来)"
)
_NO_GROUNDS = re.compile(
    r"(没|没有|不|拿不出|说不出|讲不出)(给|说|讲|讲明|说明|提供|出示)?(出)?(任何|什么|个|一点|一个)?"
    r"(理由|说法|原因|解释|依据|根据|规章依据|制度依据|法律依据|规章制度依据)"
)
"""No reason or basis given for a dismissal (「没给任何说法」, 「没有规章依据」): beside a dismissal, it is read as 违法解除."""
_NOTICE_NO = re.compile(r"(没|没有|未|不)(提前)?(\d+|[一二三四五六七八九十两]+)?(个)?(天|月|日)?(书面)?(通知|说一声|打招呼)|(突然|直接|当场|当天)(就)?(把我)?(辞退|开除|开了|辞了|让我走|被开|被辞|不让)|不打招呼")
_NOTICE_YES = re.compile(r"提前(\d+|[一二三四五六七八九十两]+)?(个)?(天|月|日)?(书面)?(通知|说)|书面通知(了)?我")
_PROBATION_OUT = re.compile(r"(过了|已经过了|结束了)试用期|试用期(已经)?(过了|结束了|满了)|转正(了)?")
_PROBATION_IN = re.compile(r"(还在|正在|仍在|在)试用期|试用期(内|间|中|期间|里|还没(过|结束))")
_OWED = re.compile(r"拖欠(工资|薪水|我)|欠(我|了我)?的?.{0,6}工资|欠薪|(不|没)发工资|工资(一直)?(没|不)(发|给)|克扣工资")
_GRADE = re.compile(rf"(?P<g>{_N})\s*级\s*(伤残|工伤|残疾)?|伤残(等级)?(是|为|评了|鉴定为|评为|定了|定为)?\s*(?P<g2>{_N})\s*级")
_LEAVE_TAKEN = re.compile(rf"(已经|已)?休(了|过)\s*(?P<n>{_N})\s*天")
_LEAVE_LEFT = re.compile(rf"(还有|剩|剩下|还剩)\s*(?P<n>{_N})\s*天(的)?(年假|年休假|没休|没有休|未休)|(?!一天(的)?(年假|年休假)(都|也))(?P<n2>{_N})\s*天(的)?(年假|年休假)(都|也|还|就)?(没|没有|未|不)休|(年假|年休假)(还)?(有)?\s*(?!一天(都|也)?(没|没有|未|不)休)(?P<n3>{_N})\s*天(都|也|还|就)?(没|没有|未|不)休")
_PAID_AMT = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)(?:[千万kKwW](?:\d|[一二两三四五六七八九])?)?"
_SEVERANCE_PAID = re.compile(
    rf"(按|作为|当作|当|算作)?(经济)?补偿(金)?(已经|已)?(给|付|发|支付|打)(了|过)(我|他|她)?\s*(?P<amt>{_PAID_AMT})"
    rf"|(已经|已)?(给|付|发|支付|打)(了|过)(我|他|她)?\s*(?P<amt2>{_PAID_AMT})\s*(块钱|块|元)?(的)?(经济)?补偿"
)
_LEAVE_DUE = re.compile(rf"(应休|应该休|应当休|该休|应享受|应有|本该休|本来该休|本应休)(的)?(带薪)?(年假|年休假)?(是|有)?\s*(?P<n>{_N})\s*天")
_LEAVE_NONE = re.compile(r"(年假|年休假)(一天)?(都|也|还)?(没|没有|未)(休|休过)|没休(过)?(年假|年休假)|一天(年假)?都没休")
_MULTIPLES = {"双": 2, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6}


def read_facts(text: str, *, today: date) -> Facts:
    """The facts a question states, as far as they can be read with certainty."""
    text = first_person(normalize(text))
    found: dict = {}

    dates = _find_dates(text, today)
    for start, end, day, approx, role in dates:
        if approx and role == "end_date":
            found.setdefault("end_month", day)
        if approx and role != "start_date":
            continue
        key = role or "other_date"
        if key not in found:
            found[key] = day
            if key == "start_date":
                found["start_approx"] = approx
    for (a1, b1, d1, x1, _), (a2, b2, d2, x2, _) in zip(dates, dates[1:]):
        # 「2024年3月1日到2026年5月31日在公司上班」: a stretch of work from one day to another (not a leave or a trip)
        if x1 or x2 or not re.fullmatch(r"\s*(到|至|-|~|—|一直到)\s*", text[b1:a2]) or add_months(d1, 1) > d2:
            continue
        if _NOT_WORK_SPAN.search(_clause_after(text, b2, 10)) or _NOT_WORK_SPAN.search(_clause_before(text, a1, 6)):
            continue
        if "start_date" not in found and "service_months" not in found:
            found["start_date"], found["start_approx"] = d1, False
            found.setdefault("end_date", d2)
            if found.get("other_date") == d1:
                del found["other_date"]
        break
    # a weekday named as a date (「上周六」) still says the work was on a rest day: left for the overtime reader
    masked = _mask(text, [(a, b) for a, b, *_ in dates if not re.search(r"周|星期|礼拜", text[a:b])])

    seniority: _Span | None = None
    earlier: int | None = None
    stints: list[int] = []  # each stretch of work the question tells (「干了两年 …… 又干了三年零两个月」)
    for m in _DURATION.finditer(masked):
        span = _span(m)
        if span is None or (span.months == 0 and span.upto is None):
            continue
        before = _clause_before(masked, m.start(), 12)
        after = _clause_after(masked, m.end(), 8)
        if _BEFORE_PROBATION.search(before) or _AFTER_PROBATION.match(after):
            found.setdefault("probation_months", span.months)
        elif _BEFORE_CONTRACT.search(before) or _AFTER_CONTRACT.match(after):
            found.setdefault("contract_months", int(span.months))
        elif _BEFORE_PREGNANCY.search(before):
            months = span.upto if span.upto is not None else int(span.months)
            found.setdefault("miscarriage_month", months)
        elif _BEFORE_INJURY_LEAVE.search(before):
            found.setdefault("injury_leave_months", int(span.months))
        elif _BEFORE_INSURED.search(before) or _AFTER_INSURED.match(after):
            found.setdefault("insured_months", int(span.months))
        elif _BEFORE_SICK.search(before):
            found.setdefault("sick_leave_months", span.months)
        elif _EARLIER_EMPLOYER.search(before) and "career_months" not in found:
            # 「之前在别的公司干了3年」: years with an earlier employer count toward the career, not this job
            found["career_months"], found["career_approx"] = int(span.months), span.approx
            earlier = int(span.months)
        elif _BEFORE_CAREER.search(before) or _AFTER_CAREER.match(after):
            if "career_months" not in found:
                found["career_months"], found["career_approx"] = int(span.months), span.approx
                if _PLAIN_SENIORITY.search(before) and not _CAREER_QUALIFIED.search(before):
                    seniority = span  # 「工龄5年零2个月」 with no 累计 / 社会: how long with this employer, as workers say it
        elif _BEFORE_SERVICE.search(before) and "service_months" not in found:
            found["service_months"] = int(span.months)
            found["service_upto"] = span.upto
            found["service_approx"] = span.approx or span.months != int(span.months)
            stints.append(int(span.months))
        elif _BEFORE_SERVICE.search(before):
            stints.append(int(span.months))
    if len(stints) > 1 and _TRANSFERRED.search(masked):
        # 实施条例第十条: sent by the employer to a new one (not of one's own will) and not paid off by the first,
        # the years with both count together; paid off, only the years with the new one
        if _TRANSFER_PAID.search(masked):
            found.update(service_months=stints[-1], service_upto=None)
        else:
            found.update(service_months=sum(stints), service_upto=None, service_merged=True)
    if (m := re.search(r"(干|做|工作|待|上班)(了)?(半年|六个月|6个月)(到|至|-)(一年|1年)", masked)):
        found.update(service_months=6, service_upto=11, service_approx=True)
    if earlier is not None and found.get("career_months") == earlier and found.get("service_months") is not None:
        found["career_months"] = earlier + found["service_months"]  # the years before and these: the career
    if "service_months" not in found and "start_date" not in found:
        if seniority is not None:
            found.update(service_months=int(seniority.months), service_upto=seniority.upto,
                         service_approx=seniority.approx or seniority.months != int(seniority.months))
        elif (span_months := _month_range(text, today)) is not None:
            found.update(service_months=span_months, service_approx=True)
    if "contract_months" in found:
        found["contract_type"] = ContractType.FIXED
    if re.search(r"无固定期限", text) and not re.search(r"视为.{0,6}无固定期限|订立无固定期限", text):
        found["contract_type"], found["contract_months"] = ContractType.OPEN_ENDED, None
    if re.search(r"以完成一定(工作)?任务为期限|完成一定(工作)?任务|项目合同|单项工作任务|(做完|干完|完成)(这个|这项|该|那个)?.{0,10}(项目|工程|任务)(就|后|以后|为止)?(结束|终止|到期)", text):
        found["contract_type"], found["contract_months"] = ContractType.TASK, None

    found.update(_money_facts(masked))

    found.update(_overtime_facts(masked))
    found.update(_hours_facts(masked))
    if re.search(r"(没|没有|不|勿|冇|不给|不让|未|不能|没给)(给|安排|让)?(我|阿拉|我们)?(补休|调休)", text):
        found["time_off_in_lieu"] = False
    elif re.search(r"(补休|调休)(了|过)|(安排|给)(了)?(我)?(补休|调休)", text):
        found["time_off_in_lieu"] = True

    for m in _GRADE.finditer(masked):
        if not re.search(r"伤残|评残|残疾|鉴定|工伤|评了|评为|致残", text):
            break
        value = _cn_int(m.group("g") or m.group("g2"))
        if value is not None and 1 <= value <= 10:
            found["disability_grade"] = value
            break

    if (m := _SEVERANCE_PAID.search(masked)) is not None and (paid := parse_number(m.group("amt") or m.group("amt2"))) is not None and paid >= 100:
        found["severance_paid"] = paid
    if (m := _LEAVE_DUE.search(masked)) is not None and (due := _cn_int(m.group("n"))) is not None and 0 < due <= 15:
        found["leave_due_days"] = due
    if (m := _LEAVE_LEFT.search(masked)) is not None:
        found["leave_unused_days"] = _cn_int(m.group("n") or m.group("n2") or m.group("n3"))
    elif _LEAVE_NONE.search(masked):
        found["leave_taken_days"] = 0
    elif (m := _LEAVE_TAKEN.search(masked)) is not None and re.search(r"年假|年休假", masked):
        found["leave_taken_days"] = _cn_int(m.group("n"))

    if (m := re.search(r"(?P<n>[双两二三四五六2-6])胞胎|(?P<dragon>龙凤胎|双胎|双生)", text)) is not None:
        found["babies"] = 2 if m.group("dragon") else _MULTIPLES[m.group("n")]
    if (m := re.search(r"(?<![双两第])(?P<n>[二三四2-4])(胎|孩)|老(?P<l>[二三])|第(?P<f>[二三2-3])(个孩子|胎|个)", text)) is not None:
        found["birth_order"] = int(_cn_int(m.group("n") or m.group("l") or m.group("f")) or 0) or None
    if re.search(r"(不是|没有|不算|并非|没|非)难产", text):
        found["difficult_birth"] = False
    elif (m := re.search(r"难产", text)) is not None and _asserted(text, m):
        found["difficult_birth"] = True
    if (m := re.search(r"(生活)?(完全|大部分|部分)不能自理", text)) is not None:
        found["care_level"] = {"完全": 1, "大部分": 2, "部分": 3}[m.group(2)]
    if re.search(r"剖腹|剖宫|开刀生", text):
        found["caesarean"] = True

    if _NOTICE_NO.search(text):
        found["notice_given"] = False
    elif _NOTICE_YES.search(text):
        found["notice_given"] = True
    if _CONTRACT_NONE.search(text):
        found["written_contract"] = False
    elif _CONTRACT_SIGNED.search(text) or "contract_months" in found:
        found["written_contract"] = True
    if (m := _UNLAWFUL.search(text)) is not None and _asserted(text, m):
        found["unlawful_dismissal"] = True
    elif _T_DISMISSAL.search(text) and (m := _NO_GROUNDS.search(text)) is not None and _asserted(text, m):
        found["unlawful_dismissal"] = True
    if _PROBATION_OUT.search(text):
        found["in_probation"] = False
    elif _PROBATION_IN.search(text):
        found["in_probation"] = True
    if _OWED.search(text):
        found["wages_owed"] = True
    return Facts(**found)


# ------------------------------------------------------------------------------------ helpers

_CENT = Decimal("0.01")
_DAYS_PER_MONTH = Decimal("21.75")
_HOURS_PER_DAY = 8
_CN_GRADE = "零一二三四五六七八九十"

LHF, LHF_RULES, LF = "laodong-hetong-fa", "laodong-hetong-fa-shishi-tiaoli", "laodong-fa"
MONTHLY_DAYS, LEAVE_RULES, LEAVE_MEASURES = "yueping-gongzuo-shijian-tongzhi", "zhigong-daixin-nianxiujia-tiaoli", "qiye-zhigong-daixin-nianxiujia-banfa"
WOMEN, INJURY, DISPUTES, HOURS = "nvzhigong-laodong-baohu-guiding", "gongshang-baoxian-tiaoli", "laodong-zhengyi-tiaojie-zhongcai-fa", "zhigong-gongzuo-shijian-guiding"
JUDICIAL_1 = "laodong-zhengyi-jieshi-1"
JUDICIAL_2, UNION, INSPECTION, WAGE_PAYMENT = "laodong-zhengyi-jieshi-2", "gonghui-fa", "laodong-baozhang-jiancha-tiaoli", "gongzi-zhifu-zanxing-guiding"


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _fmt(value: Decimal | int) -> str:
    """26250, 3.5, 2844.83: no trailing zeros after rounding to cents."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{_money(value):f}".rstrip("0").rstrip(".") if value == _money(value) else f"{_money(value):f}"


def _yuan(value: Decimal) -> str:
    q = _money(value)
    return str(int(q)) if q == q.to_integral_value() else f"{q:.2f}"


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _months_text(months: Decimal | int) -> str:
    months = Decimal(months)
    years, rest = divmod(months, 12)
    years = int(years)
    if years and rest:
        return f"{years}年{_fmt(rest)}个月"
    return f"{years}年" if years else f"{_fmt(rest)}个月"


def _service_text(f: Facts) -> str:
    low, upto = f.service_months or 0, f.service_upto
    if upto is not None:
        if low % 12 == 1 and upto == low + 10:
            return f"{low // 12}年多"
        if upto < 6:
            return f"不满{upto + 1}个月"
        return f"{_months_text(low)}到{_months_text(upto + 1)}"
    return ("约" if f.service_approx else "") + _months_text(low)


def severance_months(months: int, extra_days: int = 0) -> Decimal:
    """经济补偿的月数 (劳动合同法第四十七条): one per full year; 6 months or more of the rest count one, less half."""
    years, rest = divmod(months, 12)
    if rest >= 6:
        return Decimal(years + 1)
    if rest or extra_days or not years:
        return Decimal(years) + Decimal("0.5")
    return Decimal(years)


def leave_days(career_months: int) -> int:
    """Annual leave days for cumulative service (职工带薪年休假条例第三条)."""
    if career_months < 12:
        return 0
    if career_months < 120:
        return 5
    return 10 if career_months < 240 else 15


def probation_limit(contract_type: ContractType, contract_months: int | None = None) -> int:
    """Longest probation in months (劳动合同法第十九条)."""
    if contract_type is ContractType.TASK:
        return 0
    if contract_type is ContractType.OPEN_ENDED:
        return 6
    if contract_months is None or contract_months < 3:
        return 0
    if contract_months < 12:
        return 1
    return 2 if contract_months < 36 else 6


def maternity_days(*, babies: int = 1, difficult: bool = False) -> int:
    """产假 (女职工劳动保护特别规定第七条): 98, +15 for 难产, +15 for each further baby."""
    return 98 + (15 if difficult else 0) + 15 * max(babies - 1, 0)


def miscarriage_days(months_pregnant: int) -> int:
    """流产产假: 15 days before four months of pregnancy, 42 from four months."""
    return 42 if months_pregnant >= 4 else 15


GRANT_MONTHS = {1: 27, 2: 25, 3: 23, 4: 21, 5: 18, 6: 16, 7: 13, 8: 11, 9: 9, 10: 7}
_GRANT_ARTICLE = {**dict.fromkeys((1, 2, 3, 4), "第三十五条"), 5: "第三十六条", 6: "第三十六条", **dict.fromkeys((7, 8, 9, 10), "第三十七条")}


# ------------------------------------------------------------------------------------ topics

_ASK_AMOUNT = re.compile(
    r"多少|几个月|几倍|怎么算|如何算|怎么计算|如何计算|算一下|算算|帮我算|算下|能拿|能赔|能要|能领|能得|赔多少|补多少|给多少|要多少|标准|N\s*\+\s*1|n\s*\+\s*1|2\s*[Nn]|几天|多久|多长|最长|最多|最少|至少|有几|是几|合法吗|违法吗|合理吗|超了|超过|对吗|对不对|够不够"
)
_ASK_DEADLINE = re.compile(r"多久|多长时间|多少天|几天|期限|截止|来得及|时效|过期|过了|最晚|最迟|哪天|什么时候|几号|还能|还可以|超过|之内|以内|内要|内得|内必须|内申请|提前")
_ASK_MORE_MONEY = re.compile(r"还(能|可以)(再|另)?(要|拿|领|得|赔|补|多要)")
_T_DISMISSAL = re.compile(
    r"辞退|裁员|裁掉|被裁|开除|解雇|被开|开了我|被炒|炒了我|炒鱿鱼|辞了我|劝退|解除(劳动)?合同|经济补偿|补偿金|N\s*\+\s*1|n\s*\+\s*1|遣散|被优化|优化了|不续签|不续约|合同到期|让我走人|赶走|2\s*[Nn]|赔偿金"
    r"|不要我了|不让我干|让我走|叫我走|辞掉|被辞|不用来了|别来了|倒闭|破产|关门|解散"
    r"|协商解除|把我(给)?(开|辞|炒|裁|解雇|辞退|开除)|(书面通知|通知|单方|单方面|提出|宣布|决定|提前)(就|后|了|要)?(和我|与我|跟我)?解除|代通知金"
    r"|(和我|与我|跟我|把我)(的)?(劳动)?(合同|劳动关系)?(给)?(解除|终止)(了|掉)"
    r"|合同.{0,10}(?<![没未不])(?<!没有)到期|(不|不再|没)续(了|签|约)|(项目|任务|工程).{0,6}(结束|完了|做完|完成)|合同(自然|就)?(结束|终止)"
)
_T_EXPIRY = re.compile(r"合同.{0,10}(?<![没未不])(?<!没有)到期|(不|不再|没)续(了|签|约)|(?<!医疗)(?<!试用)(?<!停工留薪)期满")
_NO_INSURANCE = r"(不|没|没有|未|从不|从没|一直没|一直不)(给我|帮我|为我|替我)?(交|缴|缴纳|买|上|办)(过)?(社保|社会保险|五险|养老保险|医保)"
_T_FORCED_QUIT = re.compile(rf"(辞职|离职|解除).{{0,12}}(拖欠|欠薪|欠.{{0,4}}工资|{_NO_INSURANCE}|不发工资|被迫)|(拖欠|欠薪|欠.{{0,4}}工资|{_NO_INSURANCE}|不发工资).{{0,12}}(辞职|离职|解除)")
_T_UNLAWFUL_ASK = re.compile(r"违法|赔偿金|2\s*[Nn]|双倍补偿|二倍补偿")
_T_DOUBLE = re.compile(r"[二双两2]倍(的)?工资|另(外)?(一|1)倍(的)?工资")
_T_PROBATION = re.compile(r"试用")
_T_PROBATION_ASK = re.compile(r"试用期?.{0,6}(多长|多久|最长|几个月|最多|能约定几|可以约定几|能签几|能定几)|(多长|多久|最长|几个月|最多).{0,6}试用期")
_T_PROBATION_PAY = re.compile(r"试用期?.{0,8}(工资|薪|发|给|拿)")
_T_OVERTIME = re.compile(r"加班|加了.{0,8}班|加点|(节假日|国庆|春节|周末|休息日|五一|元旦|法定假).{0,6}(上了?班|干活|工作|跑单)")
_T_LEAVE = re.compile(r"年假|年休假|带薪假|带薪休假")
_T_LEAVE_PAY = re.compile(r"钱|工资|补偿|折算|赔|怎么算|补多少|给多少|报酬|3倍|三倍|300%")
_T_BIRTH = re.compile(r"生孩子|生娃|生小孩|分娩|生产|流产|小产|引产|胎停|二胎|三胎|二孩|三孩|胞胎|龙凤胎|难产|剖腹|剖宫|怀孕")
_T_MISCARRIAGE = re.compile(r"流产|小产|引产|胎停|胎死|没保住")
_T_INJURY_MONEY = re.compile(r"伤残|评残|残疾|一次性伤残补助金|工伤.{0,10}(赔|补助|补偿|钱|待遇)|级工伤")
_T_INJURY_LEAVE = re.compile(r"停工留薪|工伤期间.{0,6}(工资|发|多久)|养伤期间|休养期间|治疗期间|养伤.{0,6}(多久|工资)|受伤.{0,10}(歇|休息|休养).{0,6}(多久|工资|发)")
_T_CLAIM = re.compile(r"工伤认定|认定工伤|申请工伤|报工伤|工伤申请|申报工伤|认工伤|认定为工伤")
_T_DECISION = re.compile(r"(认定|工伤).{0,8}(结果|决定|多久出|多久下来|多久能认定|几天出|出来|下来)|受理")
_T_ARBITRATION = re.compile(r"仲裁|告(公司|老板|单位|他们|平台|站点)|起诉|打官司|维权|申诉")
_T_RESIGN = re.compile(r"辞职|离职|不想干了|不干了|走人|解除(劳动)?合同")
_T_RESIGN_ASK = re.compile(r"提前|多久|几天|通知|最后(一个)?工作日|最后一天|最早(哪天|什么时候)|什么时候(能|可以)?走|哪天(能|可以)?走|多长时间")
_T_PAPERS = re.compile(r"档案|社保(关系)?转移|转社保|离职证明|解除(劳动合同)?证明|退工单|终止证明")
_DISMISSED = re.compile(r"被(开|辞|炒|裁|解雇|辞退|开除|劝退|优化)|辞退|开除|解雇|裁员")


class _Work:
    """One calculation run: the merged facts, the question text, the results so far."""

    def __init__(self, text: str, now: Facts, facts: Facts, today: date):
        self.text, self.now, self.f, self.today = text, now, facts, today
        self.calcs: list[Calculation] = []
        self.missing: dict[FactName, MissingFact] = {}

    def need(self, name: FactName, ask: str | None = None) -> None:
        default, choices = _ASKS[name]
        self.missing.setdefault(name, MissingFact(name, ask or default, choices))

    def add(self, kind: Kind, value, unit: Unit, sentence: str, formula: str, cites, caveats=()) -> None:
        caveats = tuple(caveats)
        if unit is Unit.YUAN and self.f.wage_approx and not any("大概" in c for c in caveats):
            caveats = ("你给的工资是大概数，结果也是约数。", *caveats)
        self.calcs.append(Calculation(kind, value, unit, sentence, formula, tuple(cites), caveats))


_ASKS: dict[FactName, tuple[str, tuple[str, ...]]] = {
    FactName.SERVICE: ("你在这家单位干了多久？", ("干了不到半年", "干了半年到一年", "干了一年多", "干了两年多")),
    FactName.WAGE: ("你每月工资多少（税前）？", ("月薪4000元", "月薪6000元", "月薪8000元")),
    FactName.START_DATE: ("你是哪天开始在这家单位上班的？", ()),
    FactName.END_DATE: ("合同是哪天解除或终止的？", ("今天", "昨天")),
    FactName.INCIDENT_DATE: ("事故是哪天发生的（或哪天确诊职业病）？", ("今天", "昨天", "前天")),
    FactName.APPLIED_DATE: ("工伤认定申请是哪天受理的？", ()),
    FactName.CONTRACT: ("劳动合同签了几年？", ("签了一年合同", "签了两年合同", "签了三年合同", "无固定期限合同")),
    FactName.OVERTIME_HOURS: ("加班了多少小时？", ()),
    FactName.OVERTIME_KIND: ("这些加班是在什么时候？", ("平时下班后", "周末", "法定节假日")),
    FactName.OVERTIME_DAYS: ("一个月里有几天这样加班？", ("一个月10天", "一个月20天", "一个月22天")),
    FactName.DISABILITY_GRADE: ("评了几级伤残？", ("还没评", "十级伤残", "九级伤残", "八级伤残")),
    FactName.CAREER: ("你参加工作一共多少年（包括以前的单位）？", ("参加工作不满1年", "参加工作5年", "参加工作15年", "参加工作20年以上")),
    FactName.BABIES: ("一胎生了几个宝宝？", ("双胞胎", "三胞胎")),
    FactName.ANNUAL_INCOME: ("你本人上一年的收入一共多少？", ()),
    FactName.MINIMUM_WAGE: ("当地的月最低工资标准是多少？", ()),
    FactName.AVERAGE_WAGE: ("当地（统筹地区）上年度职工月平均工资是多少？", ()),
    FactName.DISPOSABLE_INCOME: ("上一年度全国城镇居民人均可支配收入按多少算？", ()),
    FactName.INSURED: ("单位和你一起累计交了多久失业保险？", ("交了不到1年", "交了3年", "交了7年", "交了10年以上")),
    FactName.CARE_LEVEL: ("鉴定的生活自理程度是哪一级？", ("生活完全不能自理", "生活大部分不能自理", "生活部分不能自理")),
    FactName.ARREARS: ("单位欠缴了多少社保费、从哪天开始欠的？", ()),
}

_CAP_MAY_BITE = Decimal(15000)
"""A monthly wage above this (3 × 5000) may pass three times a local average wage (第四十七条第二款), so
the local figure is asked for; below it the cap rarely bites, and is only said in a caveat."""
_CAP_CAVEAT = "月工资高于当地上年职工月平均工资3倍的，按3倍封顶、最多算12年；本机不知道当地平均工资，请查当地公布的数。"
_AVERAGE_CAVEAT = "月工资指解除前12个月的平均应得工资，含奖金、津贴、补贴；不满12个月按实际月数平均。"
_DEADLINE_CAVEAT = "期限最后一天是法定节假日的，顺延到假期结束的次日（民法典第二百零三条）。"


def _service(w: _Work, *, leaving: bool = False) -> tuple[int, int, int | None] | None:
    """(months, extra days, upper months) with this employer, from what was said or from dates.

    When ``leaving`` (the question is about the contract ending) and no end date is named, a later
    date the question gives without saying what happened on it is taken as the end."""
    f = w.f
    if f.service_months is not None:
        return f.service_months, 0, f.service_upto
    if f.start_date is not None:
        end = f.end_date
        if end is None and leaving and f.other_date is not None and f.start_date < f.other_date <= w.today:
            end = f.other_date
        if end is None and f.end_month is not None and f.end_month > f.start_date:
            end = f.end_month - timedelta(days=1)  # month to month: 「2021年3月入职，2026年9月被辞退」 is 5年6个月
        end = end or w.today
        if end >= f.start_date:
            months, days = months_between(f.start_date, end + timedelta(days=1))
            return months, days, None
    return None


def _severance_base(f: Facts) -> tuple[Decimal, list[str], str, bool]:
    """The monthly wage 经济补偿 is counted on (第四十七条第二款 3-times cap, 实施条例第二十七条
    minimum-wage floor, both only when the question gives the local figure); the caveats and the
    formula's prefix for it; whether the 12-year cap applies."""
    wage, caveats, prefix, capped = f.monthly_wage, [], "", False
    if f.wage_extra is not None:
        wage = f.monthly_wage + f.wage_extra
        prefix = f"{_fmt(f.monthly_wage)} + {_fmt(f.wage_extra)} = {_fmt(wage)}；"
        caveats.append(f"月工资按应得工资算，底薪加每月的提成、奖金、津贴、补贴：{_fmt(f.monthly_wage)}+{_fmt(f.wage_extra)}={_yuan(wage)}元（实施条例第二十七条）。")
    if f.wage_net:
        caveats.append("你说的是到手工资；经济补偿按扣社保、个税前的应得工资算，应发工资更高的按应发算（实施条例第二十七条）。")
    if f.wage_total is not None and f.wage_total_months:
        prefix = f"{_fmt(f.wage_total)} ÷ {f.wage_total_months} = {_fmt(_money(wage))}；"
        caveats.append(f"月工资按实际工作的{f.wage_total_months}个月平均：{_fmt(f.wage_total)}÷{f.wage_total_months}={_yuan(wage)}元（实施条例第二十七条）。")
    if f.local_average_wage is not None and wage > 3 * f.local_average_wage:
        wage, capped = 3 * f.local_average_wage, True
        prefix += f"3 × {_fmt(f.local_average_wage)} = {_fmt(wage)}；"
        caveats.append(f"月工资高于当地月平均工资{_fmt(f.local_average_wage)}元的3倍，按3倍{_yuan(wage)}元算，最多算12年（第四十七条第二款）。")
    elif f.minimum_wage is not None and wage < f.minimum_wage:
        wage = f.minimum_wage
        caveats.append(f"平均工资低于当地最低工资{_fmt(f.minimum_wage)}元的，按最低工资算（实施条例第二十七条）。")
    else:
        caveats.append(_CAP_CAVEAT)
    return wage, caveats, prefix, capped


_PROTECTED_DISMISSAL = re.compile(
    r"(以|因为?|由于)?(?P<why>怀孕|孕期|怀了孕|产假|产期|哺乳期|坐月子|工伤|职业病)[^。；;]{0,12}?(为由|的?原因)?[^。；;]{0,6}?"
    r"(被(公司|单位|老板|站点|平台)?(辞退|开除|解雇|开了|炒了|辞了|裁了)|把我(给)?(辞退|开除|解雇|开了|炒了|辞了)|辞退|开除|解雇|开了我|炒了我|辞了我)"
)
"""A dismissal during pregnancy, maternity, nursing or a work injury (劳动合同法第四十二条): barred on the
第四十条、第四十一条 grounds, so unlawful unless it was for 第三十九条 misconduct."""
_MISCONDUCT = re.compile(r"严重违纪|严重违反|违反(了)?(规章|规定|制度)|严重失职|营私舞弊|刑事责任|被判刑|犯罪|第三十九条")
_PROTECTED_ARTICLE = {"怀孕": (WOMEN_BAR := ("nvzhigong-laodong-baohu-guiding", "第五条")), "孕期": WOMEN_BAR, "怀了孕": WOMEN_BAR,
                      "产假": WOMEN_BAR, "产期": WOMEN_BAR, "哺乳期": WOMEN_BAR, "坐月子": WOMEN_BAR}


def _severance(w: _Work, *, conditional_unlawful: bool = False, protected: str | None = None) -> None:
    f, text = w.f, w.text
    svc = _service(w, leaving=True)
    if svc is None:
        w.need(FactName.SERVICE)
    if f.monthly_wage is None:
        w.need(FactName.WAGE, "离职前12个月，你平均每月工资多少？")
    if svc is None:
        return
    months, days, upto = svc
    n = severance_months(months, days)
    n_high = severance_months(upto) if upto is not None else n
    service_approx = (n_high != n) if upto is not None else (f.service_approx or f.start_approx or (f.end_date is None and f.end_month is not None))
    approx = service_approx or f.wage_approx
    if f.service_months is not None:
        svc_text = _service_text(f)
    else:
        svc_text = _months_text(months) + (f"{days}天" if days else "")
    about = "约" if approx else ""
    wage, wage_caveats, prefix, capped = _severance_base(f) if f.monthly_wage is not None else (None, [_CAP_CAVEAT], "", False)
    if capped and n > 12:
        n = n_high = Decimal(12)
    if wage is not None and f.local_average_wage is None and wage > _CAP_MAY_BITE:
        w.need(FactName.AVERAGE_WAGE)  # the amount below may be capped: the local figure decides it
    caveats = [*wage_caveats, _AVERAGE_CAVEAT]
    if n_high != n:
        caveats.insert(0, f"按“{svc_text}”的下限算；多出的部分满6个月的，是{_fmt(n_high)}个月工资。")
    elif approx:
        caveats.insert(0, "你给的是大概数，结果也是约数。")
    if f.start_date is not None and f.start_date < date(2008, 1, 1):
        caveats.append("2008年以前的工作年限按当时的规定算（劳动合同法第九十七条）。")
    unlawful = f.unlawful_dismissal is True
    asked_unlawful = (bool(_T_UNLAWFUL_ASK.search(text)) or conditional_unlawful) and not unlawful
    cites = (Cite(LHF, "第四十七条"), Cite(LHF, "第四十六条"), Cite(LHF_RULES, "第二十七条"))
    if f.service_merged:
        cites = (Cite(LHF, "第四十七条"), Cite(LHF_RULES, "第十条"), Cite(LHF, "第四十六条"))
        caveats.insert(0, "非因本人原因被原单位安排到新单位、原单位没付过经济补偿的，两家的工作年限合并计算（实施条例第十条）。")
    if f.contract_type is ContractType.TASK and not _DISMISSED.search(text):
        cites = (Cite(LHF, "第四十七条"), Cite(LHF_RULES, "第二十二条"), Cite(LHF, "第四十六条"))
        caveats.insert(0, "以完成一定工作任务为期限的合同因任务完成而终止的，单位也要付经济补偿（实施条例第二十二条）。")
    elif _T_EXPIRY.search(text) and not _DISMISSED.search(text):
        cites = (Cite(LHF, "第四十七条"), Cite(LHF, "第四十六条"), Cite(LHF, "第四十四条"))
        caveats.insert(0, "合同到期单位不续签的要付经济补偿；单位按原条件或更好条件续签而你不同意的，没有（第四十六条第五项）。")
    severance_amount = None
    if not unlawful and not conditional_unlawful:
        if not asked_unlawful and _DISMISSED.search(text):
            caveats.append("试用期不符合录用条件、严重违纪等被辞退的（第三十九条）没有经济补偿；违法辞退的可要2倍赔偿金（第八十七条）。")
        if wage is not None:
            severance_amount = amount = _money(n * wage)
            sentence = f"按工作{svc_text}、月工资{_fmt(_money(wage))}元算，经济补偿{about or '是'}{_fmt(n)}个月工资，共{about}{_yuan(amount)}元。"
            w.add(Kind.SEVERANCE, amount, Unit.YUAN, sentence, f"{prefix}{_fmt(n)} × {_fmt(_money(wage))} = {_yuan(amount)}", cites, caveats)
        else:
            sentence = f"按工作{svc_text}算，经济补偿{about or '是'}{_fmt(n)}个月工资。"
            w.add(Kind.SEVERANCE, n, Unit.MONTH, sentence, f"工作{svc_text} → {_fmt(n)}个月", cites, caveats)
    if unlawful or asked_unlawful:
        double = 2 * n
        lead = "违法解除的赔偿金" if unlawful else ("单位仍然辞退的，属违法解除，赔偿金" if conditional_unlawful and protected is None
                                            else ("这时辞退属违法解除（第四十二条），赔偿金" if conditional_unlawful else "如果属于违法解除，赔偿金"))
        ucites = (Cite(LHF, "第八十七条"), Cite(LHF, "第四十七条"), Cite(LHF, "第四十八条"), Cite(LHF_RULES, "第二十五条"))
        if protected is not None:
            ucites = (*ucites[:2], Cite(LHF, "第四十二条"), *((Cite(*_PROTECTED_ARTICLE[protected]),) if protected in _PROTECTED_ARTICLE else ()), *ucites[2:])
        ucaveats = ["不想走的，也可以要求单位继续履行合同（第四十八条）。", "拿了赔偿金就不再另拿经济补偿（实施条例第二十五条）。", *wage_caveats]
        if protected is not None:
            ucaveats.insert(0, f"{protected if protected.endswith('期') else protected + '期间'}单位不得以不能胜任、客观情况变化、裁员等理由辞退（第四十二条）；严重违纪等第三十九条的情形除外。")
        if approx:
            ucaveats.insert(0, "你给的是大概数，结果也是约数。")
        if wage is not None:
            amount = _money(double * wage)
            sentence = f"{lead}是经济补偿的2倍：{_fmt(double)}个月工资，共{about}{_yuan(amount)}元。"
            formula = f"{prefix}2 × {_fmt(n)} × {_fmt(_money(wage))} = {_yuan(amount)}"
            w.add(Kind.UNLAWFUL_DISMISSAL, amount, Unit.YUAN, sentence, formula, ucites, ucaveats)
            if unlawful and f.severance_paid is not None and f.severance_paid < amount:
                # 实施条例第二十五条: 赔偿金 in place of 经济补偿, so what was paid as 经济补偿 counts toward it
                rest = _money(amount - f.severance_paid)
                sentence = f"已经按经济补偿给了{_yuan(f.severance_paid)}元，赔偿金{_yuan(amount)}元减去它，还能再要{about}{_yuan(rest)}元。"
                w.add(Kind.PAID_BALANCE, rest, Unit.YUAN, sentence, f"{_yuan(amount)} − {_yuan(f.severance_paid)} = {_yuan(rest)}",
                      (Cite(LHF_RULES, "第二十五条"), Cite(LHF, "第八十七条"), Cite(LHF, "第四十七条")),
                      ("付了赔偿金的，不再另付经济补偿；已经付的经济补偿算在赔偿金里（实施条例第二十五条）。",))
                w.calcs.insert(len(w.calcs) - 2, w.calcs.pop())  # the balance is what is asked: before the whole 赔偿金
        else:
            sentence = f"{lead}是经济补偿的2倍，即{about}{_fmt(double)}个月工资。"
            w.add(Kind.UNLAWFUL_DISMISSAL, double, Unit.MONTH, sentence, f"2 × {_fmt(n)} = {_fmt(double)}个月", ucites, ucaveats)
    notice_words = re.search(r"[Nn]\s*\+\s*1|代通知金|(多|另|额外)(给|付|支付|发)(我)?(一|1)个月(的)?工资", text)
    if not unlawful and not conditional_unlawful and f.monthly_wage is not None and not re.search(r"裁员|被裁|裁掉", text) and (f.notice_given is False or notice_words):
        last = f.last_month_wage if f.last_month_wage is not None else f.monthly_wage
        notice = _money(last)
        sentence = f"按第四十条辞退又没提前30天书面通知的，要多付1个月工资，即{_yuan(notice)}元。"
        ncaveats = ["只适用于劳动合同法第四十条的情形：病休期满不能工作、不能胜任工作、客观情况重大变化。",
                    "多付的1个月工资按你上一个月的工资算（实施条例第二十条）。"]
        ncites = (Cite(LHF, "第四十条"), Cite(LHF_RULES, "第二十条"))
        w.add(Kind.NOTICE_PAY, notice, Unit.YUAN, sentence, f"1 × {_fmt(last)} = {_yuan(notice)}", ncites, ncaveats)
        if severance_amount is not None:
            total = severance_amount + notice
            sentence = f"按第四十条辞退的，经济补偿{_yuan(severance_amount)}元加多付的1个月工资{_yuan(notice)}元，共{about}{_yuan(total)}元。"
            formula = f"{_yuan(severance_amount)} + {_yuan(notice)} = {_yuan(total)}"
            tcites = (Cite(LHF, "第四十七条"), Cite(LHF, "第四十条"), Cite(LHF_RULES, "第二十条"))
            tcaveats = [c for c in caveats if "大概" in c] + ncaveats[:1]
            at = next(i for i, c in enumerate(w.calcs) if c.kind is Kind.SEVERANCE)
            w.add(Kind.TOTAL, total, Unit.YUAN, sentence, formula, tcites, tcaveats)
            w.calcs.insert(at, w.calcs.pop())


def _dismissal_bar(w: _Work) -> bool:
    """劳动合同法第四十二条第五项: 15 years' continuous service and under 5 years to retirement."""
    f = w.f
    svc = _service(w, leaving=True)
    if svc is None or f.retirement_months is None or svc[0] < 180 or f.retirement_months >= 60:
        return False
    years = Decimal(svc[0]) / 12
    sentence = "在本单位连续工作满15年、离法定退休不足5年，单位不得以不能胜任、裁员等第四十条、第四十一条的理由辞退。"
    if len(sentence) > 70:
        sentence = "连续工作满15年、离法定退休不足5年，单位不得按第四十条、第四十一条辞退。"
    formula = f"连续工作{_months_text(svc[0])} ≥ 15年，距退休至多{_months_text(f.retirement_months)} < 5年 → 不得依第四十条、第四十一条解除"
    caveats = ("严重违纪等第三十九条的情形、双方协商一致解除，不受这一条限制。",
               "单位仍然这样辞退的，属违法解除：你可以要求继续履行合同，或者要2倍经济补偿的赔偿金（第四十八条、第八十七条）。")
    w.add(Kind.DISMISSAL_BAR, _money(years) if years != int(years) else int(years), Unit.YEAR, sentence, formula,
          (Cite(LHF, "第四十二条"), Cite(LHF, "第四十条"), Cite(LHF, "第四十一条")), caveats)
    return True


def _back_pay(w: _Work) -> bool:
    """解释（二）第十八条: wages from an unlawful dismissal to the day before work resumed."""
    f = w.f
    cites = (Cite(JUDICIAL_2, "第十八条"), Cite(LHF, "第四十八条"))
    caveats = ["按你正常上班时的工资标准算；双方都有过错的，各自承担相应责任。"]
    months = days = None
    if f.end_date is not None and f.resume_date is not None and f.resume_date > f.end_date:
        first, last = f.end_date + timedelta(days=1), f.resume_date - timedelta(days=1)
        months, days = months_between(first, f.resume_date)
        span = f"{_day(first)}到{_day(last)}"
    elif (m := re.search(rf"(?P<n>{_N})\s*个月(都|也|一直)?(没|没有|不能|不让)(上班|工作|干活|上岗)", w.text)) is not None:
        months, days, span = _cn_int(m.group("n")), 0, None
    if months is None:
        if f.end_date is None:
            w.need(FactName.END_DATE)
        return False
    if days:
        caveats.append(f"另有{days}天不满一个月，按日折算，这里没算进去。")
    label = span or f"没上班的{months}个月"
    if f.monthly_wage is None:
        w.need(FactName.WAGE)
        sentence = f"违法解除后恢复上班的，{label}的工资单位要照付，共{months}个月。"
        w.add(Kind.BACK_PAY, months, Unit.MONTH, sentence, f"{months}个月" + (f"{days}天" if days else ""), cites, caveats)
        return True
    amount = _money(months * f.monthly_wage)
    sentence = f"违法解除后恢复上班的，{label}的工资单位要照付：{months}个月，共{_yuan(amount)}元。"
    if len(sentence) > 70:
        sentence = f"违法解除期间的工资单位要照付：{months}个月，共{_yuan(amount)}元。"
    w.add(Kind.BACK_PAY, amount, Unit.YUAN, sentence, f"{months} × {_fmt(f.monthly_wage)} = {_yuan(amount)}", cites, caveats)
    return True


def _union_dismissal(w: _Work) -> None:
    """工会法第五十三条: dismissed for union activity or a union officer's duties."""
    f = w.f
    cites = (Cite(UNION, "第五十三条"),)
    caveats = ("由劳动行政部门责令单位恢复你的工作并补发被解除期间的报酬，或者给这笔赔偿，可以向当地劳动行政部门反映。",)
    if f.annual_income is None:
        w.need(FactName.ANNUAL_INCOME)
        sentence = "因参加工会活动或履行工会职责被解除合同的，可以要求恢复工作补发报酬，或赔本人年收入的2倍。"
        w.add(Kind.UNION_DISMISSAL, 2, Unit.YEAR, sentence, "2 × 本人年收入", cites, caveats)
        return
    amount = _money(2 * f.annual_income)
    sentence = f"因工会活动或工会职责被解除合同的，可要求恢复工作，或赔年收入的2倍：{_yuan(amount)}元。"
    w.add(Kind.UNION_DISMISSAL, amount, Unit.YUAN, sentence, f"2 × {_fmt(f.annual_income)} = {_yuan(amount)}", cites, caveats)


_WORKER_WONT_SIGN = re.compile(
    r"(他|她|我|本人|员工|劳动者)(自己|本人)?(一直|故意|始终|总是)?(拖着|故意|不愿意?|不肯|拒绝|拒|不想|懒得|没空|借故)(去|来)?(不)?(签|签订|订立|签字)"
    r"|(他|她|我|本人|员工|劳动者)(自己|本人)(一直)?(不|没)(签|去签|签字)"
)


def _double_wage(w: _Work) -> None:
    f = w.f
    if _WORKER_WONT_SIGN.search(w.text):
        # 解释（二）第七条: no 二倍工资 where the worker's own intent or gross fault left the contract unsigned
        sentence = "是劳动者本人故意拖着不签书面合同、单位能举证的，二倍工资不予支持，为0元。"
        caveats = ("单位要能证明书面通知过签合同；用工超过一个月后因本人不签而终止的，单位仍要按第四十七条付经济补偿（实施条例第六条）。",)
        w.add(Kind.DOUBLE_WAGE, Decimal(0), Unit.YUAN, sentence, "本人故意不签 → 0", (Cite(JUDICIAL_2, "第七条"), Cite(LHF_RULES, "第六条")), caveats)
        return
    cites = (Cite(LHF, "第八十二条"), Cite(LHF_RULES, "第六条"), Cite(LHF_RULES, "第七条"))
    if f.start_date is not None:
        start = f.start_date
        first = add_months(start, 1)  # the day after one full month of work
        last_possible = add_months(start, 12) - timedelta(days=1)  # the day before one full year
        signed = f.signed_date if f.signed_date is not None and f.signed_date > start else None
        until = min(f.end_date or w.today, w.today, last_possible, *((signed - timedelta(days=1),) if signed else ()))
        caveats: list[str] = []
        if signed:
            caveats.append(f"{_day(signed)}补签了合同，二倍工资算到补签的前一天（实施条例第六条）。")
        if until < first:
            w.add(
                Kind.DOUBLE_WAGE, 0, Unit.MONTH,
                f"从{_day(start)}上班，要到{_day(first)}起才算二倍工资；单位应在这之前签书面合同。",
                f"{start.isoformat()} + 1个月 = {first.isoformat()}", cites,
            )
        else:
            months, days = months_between(first, until + timedelta(days=1))
            if days:
                caveats.append(f"另有{days}天不满一个月，按日折算，各地算法不一，这里没算进去。")
            if f.start_approx:
                caveats.append("入职日子是大概的，结果也是约数。")
            if f.monthly_wage is not None:
                amount = _money(months * f.monthly_wage)
                sentence = f"从{_day(first)}到{_day(until)}没签合同，单位要多付{months}个月工资，共{_yuan(amount)}元。"
                w.add(Kind.DOUBLE_WAGE, amount, Unit.YUAN, sentence, f"{months} × {_fmt(f.monthly_wage)} = {_yuan(amount)}", cites, caveats)
            else:
                w.need(FactName.WAGE)
                sentence = f"从{_day(first)}到{_day(until)}没签合同，单位要每月多付1倍工资，共{months}个月。"
                w.add(Kind.DOUBLE_WAGE, months, Unit.MONTH, sentence, f"{first.isoformat()} 至 {until.isoformat()} = {months}个月" + (f"{days}天" if days else ""), cites, caveats)
        deemed = add_months(start, 12)
        ocites = (Cite(LHF, "第十四条"), Cite(LHF_RULES, "第七条"))
        if deemed <= min(f.end_date or w.today, w.today, *((signed - timedelta(days=1),) if signed else ())):
            sentence = f"满一年仍没签合同，从{_day(deemed)}起视为已订立无固定期限劳动合同。"
            w.add(Kind.OPEN_ENDED_FROM, deemed, Unit.DATE, sentence, f"{start.isoformat()} + 1年 = {deemed.isoformat()}", ocites,
                  ("二倍工资最多算11个月，到满一年的前一天为止。",))
        return
    svc = _service(w)
    if svc is None:
        w.need(FactName.START_DATE)
        if f.monthly_wage is None:
            w.need(FactName.WAGE)
        return
    months = min(max(svc[0] - 1, 0), 11)
    caveats = ["二倍工资从上班满一个月的次日算到满一年的前一天，最多11个月；说出入职日期可以算得更准。"]
    if svc[0] >= 12:
        cites += (Cite(JUDICIAL_2, "第九条"),)
        caveats.append("满一年后视为已订立无固定期限合同，这以后的时间不再算二倍工资（解释二第九条）。")
    if f.service_approx or svc[2] is not None:
        caveats.insert(0, "你给的工作时间是大概的，结果也是约数。")
    svc_text = _service_text(f) if f.service_months is not None else _months_text(svc[0])
    if f.monthly_wage is not None:
        amount = _money(months * f.monthly_wage)
        sentence = f"没签合同干了{svc_text}，单位要多付{months}个月工资，共{_yuan(amount)}元。"
        w.add(Kind.DOUBLE_WAGE, amount, Unit.YUAN, sentence, f"{months} × {_fmt(f.monthly_wage)} = {_yuan(amount)}", cites, caveats)
    else:
        w.need(FactName.WAGE)
        sentence = f"没签合同干了{svc_text}，单位要多付{months}个月工资。"
        w.add(Kind.DOUBLE_WAGE, months, Unit.MONTH, sentence, f"min({svc[0]} − 1, 11) = {months}个月", cites, caveats)


def _probation(w: _Work, *, limit: bool, pay: bool) -> None:
    f = w.f
    if limit:
        if f.contract_type is None:
            w.need(FactName.CONTRACT)
        else:
            most = probation_limit(f.contract_type, f.contract_months)
            cites = [Cite(LHF, "第十九条")]
            caveats = ["同一单位对同一个人只能约定一次试用期；试用期包含在合同期限内。"]
            if f.contract_type is ContractType.TASK:
                head = "以完成一定工作任务为期限的合同，不得约定试用期"
            elif f.contract_type is ContractType.OPEN_ENDED:
                head = "无固定期限合同，试用期最长6个月"
            elif most == 0:
                head = f"合同期{_months_text(f.contract_months)}，不满3个月，不得约定试用期"
            else:
                head = f"合同期{_months_text(f.contract_months)}，试用期最长{most}个月"
            if f.probation_months is not None:
                over = f.probation_months - most
                if over > 0:
                    head += f"；约定{_fmt(f.probation_months)}个月，超了{_fmt(over)}个月"
                    cites.append(Cite(LHF, "第八十三条"))
                    caveats.append("超出的试用期已经干了的，单位要按试用期满后的月工资，按超出的时间付赔偿金（第八十三条）。")
                else:
                    head += f"；约定{_fmt(f.probation_months)}个月，没有超"
            served = f.in_probation is False or bool(re.search(r"(干|做|过|试|履行)(完|满)|已经履行|转正", w.text))
            if f.probation_months is not None and f.probation_months > most and served and f.monthly_wage is not None:
                _probation_damages(w, f.probation_months - most, most)
            term = "任务" if f.contract_type is ContractType.TASK else ("无固定期限" if f.contract_type is ContractType.OPEN_ENDED else _months_text(f.contract_months))
            w.add(Kind.PROBATION_LIMIT, most, Unit.MONTH, head + "。", f"合同{term} → 试用期 ≤ {most}个月", cites, caveats)
    if pay:
        if f.monthly_wage is None:
            w.need(FactName.WAGE)
            return
        floor = _money(f.monthly_wage * Decimal("0.8"))
        formula = f"{_fmt(f.monthly_wage)} × 80% = {_yuan(floor)}"
        sentence = f"试用期工资不得低于约定工资{_fmt(f.monthly_wage)}元的80%，即{_yuan(floor)}元"
        if f.minimum_wage is not None and floor < f.minimum_wage:  # 实施条例第十五条: and not below the minimum wage
            formula += f" < 最低工资{_fmt(f.minimum_wage)} → {_yuan(f.minimum_wage)}"
            floor = _money(f.minimum_wage)
            sentence = f"约定工资的80%低于当地最低工资，试用期工资不得低于最低工资{_yuan(floor)}元"
        if f.probation_wage is not None:
            sentence += f"；你拿{_fmt(f.probation_wage)}元，" + ("低于这个数。" if f.probation_wage < floor else "没有低于。")
        else:
            sentence += "。"
        caveats = ["法律写的是不得低于本单位相同岗位最低档工资或约定工资的80%，并不得低于当地最低工资标准。"]
        if f.minimum_wage is None:
            caveats[0] = caveats[0].rstrip("。") + "；当地标准本机不知道。"
            if f.probation_wage is None or f.probation_wage >= floor:  # below 80% it is too low whatever the minimum wage
                w.need(FactName.MINIMUM_WAGE)
        w.add(Kind.PROBATION_WAGE, floor, Unit.YUAN, sentence, formula, (Cite(LHF, "第二十条"), Cite(LHF_RULES, "第十五条")), caveats)


def _probation_damages(w: _Work, over: Decimal, most: int) -> None:
    """劳动合同法第八十三条: an unlawful probation already served — the months past the legal limit, at
    the wage after probation (the wage the question gives is taken as it)."""
    f = w.f
    amount = _money(over * f.monthly_wage)
    sentence = f"试用期超出法定的{_fmt(over)}个月已经干完，单位要按转正工资{_fmt(f.monthly_wage)}元付赔偿金，共{_yuan(amount)}元。"
    caveats = ("赔偿金按试用期满后的月工资算；超出的试用期还没干完的，按已经干了的超出部分算。",)
    w.add(Kind.PROBATION_DAMAGES, amount, Unit.YUAN, sentence, f"{_fmt(over)} × {_fmt(f.monthly_wage)} = {_yuan(amount)}",
          (Cite(LHF, "第八十三条"), Cite(LHF, "第十九条")), caveats)


def _week_overtime(f: Facts) -> tuple[Decimal | None, Decimal | None]:
    """Overtime in a week from a schedule (每天10小时、一周6天): on the five working days, the hours
    past 8 a day (150%); the days past five are rest days, all their hours (200%) — the standard
    week of 国务院关于职工工作时间的规定第三条 (8 hours a day, 40 a week)."""
    daily, days = f.daily_hours, f.week_days
    if daily is None or days is None:
        return None, None
    workday = (daily - _STANDARD_DAY) * min(days, 5) if daily > _STANDARD_DAY else None
    rest = daily * (days - 5) if days > 5 else None
    return workday, rest


def _overtime(w: _Work) -> None:
    f = w.f
    workday, rest = f.overtime_workday_hours, f.overtime_rest_hours
    # a whole day's hours and days a week (「每天工作10小时，一周6天」): counted by the standard week, not asked
    by_schedule = (f.overtime_workday_days is None and f.week_days is not None and f.daily_hours is not None
                   and workday is None and rest is None and f.overtime_holiday_hours is None and f.overtime_unknown_hours is None)
    if workday is None and f.overtime_daily_hours is not None and not by_schedule:
        if f.overtime_workday_days is None:
            w.need(FactName.OVERTIME_DAYS)
        else:
            workday = f.overtime_daily_hours * f.overtime_workday_days
    per_week = False
    if by_schedule or all(h is None for h in (workday, rest, f.overtime_holiday_hours, f.overtime_unknown_hours, f.overtime_daily_hours)):
        workday, rest = _week_overtime(f)
        per_week = workday is not None or rest is not None
    parts = [(Kind.OVERTIME_WORKDAY, workday, Decimal("1.5")), (Kind.OVERTIME_REST_DAY, rest, Decimal(2)), (Kind.OVERTIME_HOLIDAY, f.overtime_holiday_hours, Decimal(3))]
    if f.overtime_unknown_hours is not None:
        w.need(FactName.OVERTIME_KIND)
    if all(h is None for _, h, _ in parts):
        if f.overtime_unknown_hours is None and f.overtime_daily_hours is None:
            w.need(FactName.OVERTIME_HOURS)
        if f.monthly_wage is None and f.daily_wage is None and f.hourly_wage is None:
            w.need(FactName.WAGE)
        return
    if f.monthly_wage is None and f.daily_wage is None and f.hourly_wage is None:
        w.need(FactName.WAGE)
        return
    if f.monthly_wage is not None:
        wage = f.monthly_wage
        hourly = wage / _DAYS_PER_MONTH / _HOURS_PER_DAY
        base_text = f"{_fmt(wage)} ÷ 21.75 ÷ 8"
        base_cites = (Cite(LF, "第四十四条"), Cite(MONTHLY_DAYS, "全文"))
    elif f.daily_wage is None:  # an hour's pay as given (工资支付暂行规定第十三条: 150% / 200% / 300% of it)
        hourly = f.hourly_wage
        base_text = f"时薪{_fmt(f.hourly_wage)}"
        base_cites = (Cite(LF, "第四十四条"), Cite(WAGE_PAYMENT, "第十三条"))
    else:  # a day's pay: the hour is an eighth of it (工资支付暂行规定第十三条, 8-hour day)
        hourly = f.daily_wage / _HOURS_PER_DAY
        base_text = f"{_fmt(f.daily_wage)} ÷ 8"
        base_cites = (Cite(LF, "第四十四条"), Cite(WAGE_PAYMENT, "第十三条"), Cite(HOURS, "第三条"))
    general = ["工资基数一般按劳动合同约定的工资，各地规定不同；实行综合工时或不定时工作制的，算法不同。"]
    if per_week:
        general.insert(0, "按标准工时算：周一到周五每天超过8小时的是延长工作时间，第六、七天是休息日。")
    if f.wage_approx:
        general.insert(0, "你给的工资是大概数，结果也是约数。")
    if f.overtime_holiday_hours is not None and _NEW_YEAR_DAYS.search(w.text):
        # which days of 春节 are 法定节假日 comes from the national holiday rules, a text this corpus lacks: said, not cited
        general.insert(0, "春节哪几天算法定节假日，按国务院的放假办法（本库没有收录原文，请以当年人社部门公布的为准）：这里把正月初一到初三算作法定节假日，其余按休息日。")
    by_day = f.overtime_by_day or bool(re.search(r"[一二两三四五六七八九十\d半]\s*(个)?(天|日)的?班|加班\s*[一二两三四五六七八九十\d半]+\s*(个)?(天|日)", w.text))
    week = "每周" if per_week else ""
    total = Decimal(0)
    count = 0
    for kind, hours, rate in parts:
        if hours is None:
            continue
        cites = base_cites + ((Cite(HOURS, "第三条"),) if kind is not Kind.OVERTIME_WORKDAY and by_day and Cite(HOURS, "第三条") not in base_cites else ())
        caveats = list(general)
        pct = f"{int(rate * 100)}%"
        if kind is Kind.OVERTIME_REST_DAY and f.time_off_in_lieu is True:
            w.add(kind, Decimal(0), Unit.YUAN, "休息日加班已经安排补休的，可以不另付加班费。", "已补休 → 0", base_cites, caveats)
            count += 1
            continue
        amount = _money(hourly * rate * hours)
        total += hourly * rate * hours
        count += 1
        whole_days = by_day and kind is not Kind.OVERTIME_WORKDAY and hours % _HOURS_PER_DAY == 0
        day_pay = f"，每天{_yuan(_money(hourly * rate * _HOURS_PER_DAY))}元" if whole_days else ""
        said = f"{_fmt(hours / _HOURS_PER_DAY)}天（{_fmt(hours)}小时）" if whole_days else f"{_fmt(hours)}小时"
        if kind is Kind.OVERTIME_WORKDAY and f.comprehensive_hours:
            sentence = f"综合计算工时的周期内超出标准工时{_fmt(hours)}小时，算延长工作时间，按150%算，加班费{_yuan(amount)}元。"
            cites = (Cite(WAGE_PAYMENT, "第十三条"), *cites)
            caveats = ["综合计算工时要经劳动行政部门批准；周期内法定节假日上班的，仍按300%另算（工资支付暂行规定第十三条）。"]
        elif kind is Kind.OVERTIME_WORKDAY:
            sentence = f"{week}工作日加班{_fmt(hours)}小时，按150%算，加班费{_yuan(amount)}元。"
            if hours > 36 and re.search(r"一个月|每月|每个月|这个月|上个月", w.text):
                caveats.append("一个月加班一般不得超过36小时（劳动法第四十一条）。")
        elif kind is Kind.OVERTIME_REST_DAY:
            sentence = f"{week}休息日加班{said}又没补休，按200%算{day_pay}，加班费{_yuan(amount)}元。"
            if f.time_off_in_lieu is None:
                caveats.append("单位安排了补休的，休息日加班可以不付加班费。")
        else:
            sentence = f"法定节假日加班{said}，按300%算{day_pay}，加班费{_yuan(amount)}元。"
            caveats.append("长假里只有法定节假日当天按300%，调休出来的休息日按200%或补休。")
        if kind is not Kind.OVERTIME_WORKDAY and by_day:
            caveats.append("一天按8小时算（国务院关于职工工作时间的规定第三条）。")
        formula = f"{base_text} × {pct} × {_fmt(hours)} = {_yuan(amount)}"
        w.add(kind, amount, Unit.YUAN, sentence, formula, cites, caveats)
    if count > 1:
        amounts = [c.value for c in w.calcs if c.kind in (Kind.OVERTIME_WORKDAY, Kind.OVERTIME_REST_DAY, Kind.OVERTIME_HOLIDAY)]
        total_money = _money(total)
        total_caveats = list(general)
        total_cites = base_cites
        if per_week and re.search(r"一个月|每月|每个月|月加班费|月.{0,2}加班费", w.text):
            # 21.75 days a month ÷ 5 days a week = 4.35 weeks (全年月平均工作时间通知): cited with it
            total_caveats.insert(0, f"按一个月4.35周（21.75天÷5）算，每月加班费约{_yuan(_money(total * Decimal('4.35')))}元。")
            total_cites = base_cites + tuple(c for c in (Cite(MONTHLY_DAYS, "全文"),) if c not in base_cites)
        w.add(Kind.OVERTIME_TOTAL, total_money, Unit.YUAN, f"{week}几项加班费合计{_yuan(total_money)}元。", " + ".join(_yuan(a) for a in amounts) + f" ≈ {_yuan(total_money)}", total_cites, tuple(total_caveats))


def _piece_overtime(w: _Work) -> None:
    """工资支付暂行规定第十三条: pieces made in overtime after the quota, at no less than 150% (rest day
    200%, statutory holiday 300%) of the normal piece rate."""
    f, text = w.f, w.text
    rate, label = (Decimal(3), "法定节假日") if _HOLIDAY_WORDS.search(text) else ((Decimal(2), "休息日") if _REST_WORDS.search(text) else (Decimal("1.5"), "工作日延时"))
    amount = _money(f.piece_rate * rate * f.overtime_pieces)
    pct = f"{int(rate * 100)}%"
    sentence = f"{label}做的{f.overtime_pieces}件，按计件单价{_fmt(f.piece_rate)}元的{pct}算，至少{_yuan(amount)}元。"
    caveats = ("只算完成当天计件定额以后、由单位安排的延时；定额内的按正常单价。",)
    w.add(Kind.OVERTIME_PIECE, amount, Unit.YUAN, sentence, f"{_fmt(f.piece_rate)} × {pct} × {f.overtime_pieces} = {_yuan(amount)}",
          (Cite(WAGE_PAYMENT, "第十三条"), Cite(LF, "第四十四条")), caveats)


def _overtime_limit(w: _Work) -> None:
    """劳动法第四十一条: overtime in general at most 1 hour a day, for special reasons at most 3 hours a
    day and 36 a month; 第四十三条: the employer may not go past it. The hours the question gives are set against it."""
    f = w.f
    daily = f.overtime_daily_hours
    if daily is None and f.daily_hours is not None and f.daily_hours > _STANDARD_DAY:
        daily = f.daily_hours - _STANDARD_DAY
    over = []
    if daily is not None and daily > 3:
        over.append(f"每天{_fmt(daily)}小时超过了3小时")
    month = f.overtime_month_hours
    if month is not None and month > 36:
        over.append(f"每月{_fmt(month)}小时超过了36小时，超出{_fmt(month - 36)}小时")
    sentence = "加班一般每天不超过1小时，特殊原因每天不超过3小时，每月不超过36小时" + (f"；你{'、'.join(over)}。" if over else "。")
    if month is not None and month <= 36 and not over:
        sentence = f"每月延长工作时间最多36小时，这个月已经{_fmt(month)}小时，最多还能再延长{_fmt(36 - month)}小时。"
    if len(sentence) > 70:
        sentence = "加班一般每天不超过1小时，特殊原因每天不超过3小时，每月不超过36小时；你说的超过了。"
    formula = "一般 ≤ 1小时/天；特殊原因 ≤ 3小时/天、≤ 36小时/月"
    caveats = ("延长工作时间要先和工会、你本人协商；发生自然灾害、抢修等紧急情况的，不受这个限制（劳动法第四十二条）。",
               "超时加班的，加班费照样要付，可以向劳动监察投诉（劳动法第九十条）。")
    w.add(Kind.OVERTIME_LIMIT, 36, Unit.HOUR, sentence, formula, (Cite(LF, "第四十一条"), Cite(LF, "第四十三条")), caveats)


def _non_compete(w: _Work) -> None:
    """解释（一）第三十六条: a non-compete agreed without pay — 30% of the average wage of the 12 months
    before leaving, each month the worker keeps it; not below the local minimum wage (劳动合同法第二十三条)."""
    f = w.f
    cites = (Cite(JUDICIAL_1, "第三十六条"), Cite(LHF, "第二十三条"))
    caveats = ["竞业限制期限最长2年（劳动合同法第二十四条）；单位因自己的原因3个月没付补偿的，你可以要求解除竞业限制。"]
    if f.monthly_wage is None:
        w.need(FactName.WAGE, "离职前12个月，你平均每月工资多少？")
        w.add(Kind.NON_COMPETE, 30, Unit.PERCENT, "没约定补偿的，守竞业限制每月可要离职前12个月平均工资的30%。", "平均工资 × 30%", cites, caveats)
        return
    share = _money(f.monthly_wage * Decimal("0.3"))
    formula = f"{_fmt(f.monthly_wage)} × 30% = {_yuan(share)}"
    if f.minimum_wage is not None and share < f.minimum_wage:
        formula += f" < 最低工资{_fmt(f.minimum_wage)} → {_yuan(f.minimum_wage)}"
        amount = _money(f.minimum_wage)
        sentence = f"30%是{_yuan(share)}元，低于当地最低工资，每月按最低工资{_yuan(amount)}元补偿。"
    else:
        amount = share
        sentence = f"没约定补偿的，守竞业限制每月可要平均工资的30%，即{_yuan(amount)}元。"
        if f.minimum_wage is None:
            caveats.append("这个数低于合同履行地最低工资标准的，按最低工资标准付；当地标准本机不知道。")
    w.add(Kind.NON_COMPETE, amount, Unit.YUAN, sentence, formula, cites, caveats)


_SPOUSE = re.compile(r"我(的)?(老公|丈夫|爱人|先生|老婆|妻子|媳妇|对象)")
_CHILD_OR_PARENT = re.compile(r"我(的)?(爸|妈|父亲|母亲|儿子|女儿|孩子)")


def _death_benefits(w: _Work, *, pension: bool, only_pension: bool = False) -> None:
    """工伤保险条例第三十九条: 丧葬补助金 6 months of the local average monthly wage; 一次性工亡补助金 20
    times the national urban per-capita disposable income of the year before; 供养亲属抚恤金 of the
    deceased's wage, 40% a month for the spouse and 30% for each other dependant (10% more for an old
    person living alone or an orphan), all of them together not above the wage."""
    f = w.f
    cites = (Cite(INJURY, "第三十九条"),)
    local = "由工伤保险基金支付；没参加工伤保险的，由单位按同样标准支付（第六十二条）。"
    if f.local_average_wage is None:
        w.need(FactName.AVERAGE_WAGE)
        w.add(Kind.DEATH_FUNERAL, 6, Unit.MONTH, "丧葬补助金是6个月的当地上年度职工月平均工资。", "6 × 当地上年度职工月平均工资", cites, (local,))
    else:
        amount = _money(6 * f.local_average_wage)
        w.add(Kind.DEATH_FUNERAL, amount, Unit.YUAN, f"丧葬补助金是6个月的当地职工月平均工资，共{_yuan(amount)}元。",
              f"6 × {_fmt(f.local_average_wage)} = {_yuan(amount)}", cites, (local,))
    if f.disposable_income is None:
        w.need(FactName.DISPOSABLE_INCOME)
        w.add(Kind.DEATH_GRANT, 20, Unit.YEAR, "一次性工亡补助金是上一年度全国城镇居民人均可支配收入的20倍。", "20 × 上年度全国城镇居民人均可支配收入", cites, (local,))
    else:
        amount = _money(20 * f.disposable_income)
        w.add(Kind.DEATH_GRANT, amount, Unit.YUAN, f"一次性工亡补助金是全国城镇居民人均可支配收入的20倍，共{_yuan(amount)}元。",
              f"20 × {_fmt(f.disposable_income)} = {_yuan(amount)}", cites, (local,))
    if not pension:
        return
    if only_pension:  # the funeral grant and the lump sum were not asked: without their figures, not asked for them either
        w.calcs = [c for c in w.calcs if c.kind not in (Kind.DEATH_FUNERAL, Kind.DEATH_GRANT) or c.unit is Unit.YUAN]
        for name in (FactName.AVERAGE_WAGE, FactName.DISPOSABLE_INCOME):
            w.missing.pop(name, None)
    spouse = bool(_SPOUSE.search(w.text))
    others = _other_dependants(w.text)
    pct = (40 if spouse else 0) + 30 * others or (30 if _CHILD_OR_PARENT.search(w.text) else None)
    caveats = ("领抚恤金要是靠死者生前提供主要生活来源、没有劳动能力的亲属；孤寡老人或孤儿每人每月再加10%。",
               "几个亲属的抚恤金加起来不能超过死者生前的工资。")
    if pct is None or f.monthly_wage is None:
        if f.monthly_wage is None:
            w.need(FactName.WAGE, "他生前每月工资多少？")
        w.add(Kind.DEATH_PENSION, 40, Unit.PERCENT, "供养亲属抚恤金按死者本人工资算：配偶每月40%，其他亲属每人每月30%。", "配偶40%；其他亲属30%", cites, caveats)
        return
    pct = min(pct, 100)  # all of them together not above the deceased's wage
    amount = _money(f.monthly_wage * pct / 100)
    if spouse and others:
        who, parts = f"配偶和{others}个其他亲属", f"40% + {others} × 30%"
    else:
        who, parts = ("配偶" if spouse else "其他供养亲属"), f"{pct}%"
    w.add(Kind.DEATH_PENSION, amount, Unit.YUAN, f"{who}的供养亲属抚恤金一共是本人工资的{pct}%，每月{_yuan(amount)}元。",
          f"{_fmt(f.monthly_wage)} × {parts} = {_yuan(amount)}", cites, caveats)


_DEPENDANT_COUNT = re.compile(rf"(?P<n>{_N})\s*个(?P<who>孩子|小孩|子女|儿子|女儿|老人)|(?P<both>父母|爸妈|公婆|岳父母)")


def _other_dependants(text: str) -> int:
    """How many dependants other than the spouse the question names (「我和一个孩子」, 「两个孩子和父母」) — 30% each."""
    count = 0
    for m in _DEPENDANT_COUNT.finditer(text):
        count += 2 if m.group("both") else (_cn_int(m.group("n")) or 0)
    return count


def _leave(w: _Work) -> None:
    f = w.f
    wants_pay = bool(_T_LEAVE_PAY.search(w.text) or w.now.monthly_wage is not None or w.now.leave_unused_days is not None)
    if f.leave_due_days is not None and f.career_months is None and f.service_months is None:
        # the days due as the worker states them (「应休5天」): what was not taken of them is owed
        this_year = f.leave_due_days
    else:
        this_year = _leave_days(w, required=not (wants_pay and f.leave_unused_days is not None))
    if wants_pay and (this_year is not None or f.leave_unused_days is not None):
        _unused_leave_pay(w, this_year)


def _leave_days(w: _Work, *, required: bool) -> int | None:
    """Adds the leave entitlement (and this year's share); returns this year's days."""
    f = w.f
    career, approx, caveats = f.career_months, f.career_approx, []
    if career is None and f.service_months is not None:
        career, approx = f.service_months, f.service_approx
        caveats.append("这里只按你在这家单位的时间算；以前在别的单位工作的年限也要加上。")
    if career is None:
        if required:
            w.need(FactName.CAREER)
        return None
    days = leave_days(career)
    cites = (Cite(LEAVE_RULES, "第三条"), Cite(LEAVE_RULES, "第二条"))
    if approx and leave_days(career + 11) != days:
        caveats.append("工作年限是大概数，刚好跨过10年或20年的，天数会不同。")
    if days == 0:
        w.add(Kind.ANNUAL_LEAVE, 0, Unit.DAY, "累计工作不满1年，还没有带薪年休假。", f"累计{_months_text(career)} < 1年 → 0天", cites, caveats)
        return 0
    low, high = {5: ("1年", "10年"), 10: ("10年", "20年"), 15: ("20年", "")}[days]
    if f.sick_leave_months is not None:  # 条例第四条: sick leave past 2, 3 or 4 months (by career) takes the year's leave
        bar = {5: 2, 10: 3, 15: 4}[days]
        if f.sick_leave_months >= bar:
            sentence = f"累计工作{_months_text(career)}的，当年病假累计{bar}个月以上不享受年休假；你请了{_fmt(f.sick_leave_months)}个月，今年年假0天。"
            w.add(Kind.ANNUAL_LEAVE, 0, Unit.DAY, sentence, f"病假{_fmt(f.sick_leave_months)}个月 ≥ {bar}个月 → 0天",
                  (Cite(LEAVE_RULES, "第四条"), Cite(LEAVE_RULES, "第三条")), caveats)
            return 0
        caveats.append(f"累计工作{low}以上{('不满' + high) if high else ''}的，病假累计{bar}个月以上才不享受当年年假；你请了{_fmt(f.sick_leave_months)}个月，没到（条例第四条）。")
        cites = (*cites, Cite(LEAVE_RULES, "第四条"))
    formula = f"{low} ≤ 累计{_months_text(career)}" + (f" < {high}" if high else "") + f" → {days}天"
    w.add(Kind.ANNUAL_LEAVE, days, Unit.DAY, f"累计工作{_months_text(career)}，每年带薪年休假{days}天。", formula, cites, caveats + ["法定休假日、休息日不算在年休假里。"])

    year = w.today.year
    leaving = f.end_date if f.end_date is not None and f.end_date.year == year else None
    joined = f.start_date if f.start_date is not None and f.start_date.year == year else None
    if leaving is not None:  # 实施办法第十二条: leaving during the year
        counted = (leaving - (joined or date(year, 1, 1))).days + 1
        article, what = "第十二条", f"今年在本单位已过{counted}天，应休年假折算为"
    elif joined is not None:  # 实施办法第五条: joining during the year
        counted = (date(year, 12, 31) - joined).days + 1
        article, what = "第五条", f"今年{joined.month}月{joined.day}日进的单位，今年的年假折算为"
    else:
        return days
    raw = Decimal(counted) / 365 * days
    share = min(int(raw.to_integral_value(rounding=ROUND_FLOOR)), days)
    caveats = ("连续工作满12个月以上才享受年休假（实施办法第三条）。",) if article == "第五条" else ()
    w.add(Kind.LEAVE_THIS_YEAR, share, Unit.DAY, f"{what}{share}天，不足1天的不算。", f"{counted} ÷ 365 × {days} = {_fmt(_money(raw))} → {share}",
          (Cite(LEAVE_MEASURES, article),), caveats)
    return share


def _unused_leave_pay(w: _Work, this_year: int | None) -> None:
    f = w.f
    assumed = None
    if f.leave_unused_days is not None:
        unused = f.leave_unused_days
    elif f.leave_taken_days is not None:
        unused = max(this_year - f.leave_taken_days, 0)
    else:
        unused, assumed = this_year, "这里按今年的年假一天都没休算；休过几天就减去几天。"
    cites = (Cite(LEAVE_RULES, "第五条"), Cite(LEAVE_MEASURES, "第十条"), Cite(LEAVE_MEASURES, "第十一条"), Cite(MONTHLY_DAYS, "全文"))
    if f.monthly_wage is None:  # the days owed are known without the wage
        w.need(FactName.WAGE)
        if this_year is not None and f.leave_taken_days is not None:
            cites = (Cite(LEAVE_MEASURES, "第十二条" if f.end_date is not None else "第十条"), *cites[:2])
            sentence = f"应休未休的年假是{unused}天，单位要按日工资的300%付（含正常工资）。"
            w.add(Kind.UNUSED_LEAVE_PAY, unused, Unit.DAY, sentence, f"{this_year} − {f.leave_taken_days} = {unused}天", cites,
                  ("告诉我月工资，可以算出钱数：未休天数 × 月工资 ÷ 21.75 × 200%（另加已发的正常工资）。",))
        return
    amount = _money(Decimal(unused) * f.monthly_wage / _DAYS_PER_MONTH * 2)
    sentence = f"没休的{unused}天年假，单位要另付2倍日工资，共{_yuan(amount)}元。"
    caveats = ["300%里含已经发的正常工资，所以另付200%；月工资按支付前12个月剔除加班费的平均数。"]
    if assumed:
        caveats.insert(0, assumed)
    if f.wage_approx:
        caveats.insert(0, "你给的工资是大概数，结果也是约数。")
    caveats.append("是你自己书面提出不休的，单位可以只付正常工资。")
    cites = (Cite(LEAVE_RULES, "第五条"), Cite(LEAVE_MEASURES, "第十条"), Cite(LEAVE_MEASURES, "第十一条"), Cite(MONTHLY_DAYS, "全文"))
    w.add(Kind.UNUSED_LEAVE_PAY, amount, Unit.YUAN, sentence, f"{unused} × {_fmt(f.monthly_wage)} ÷ 21.75 × 200% = {_yuan(amount)}", cites, caveats)


def _maternity(w: _Work) -> None:
    f, text = w.f, w.text
    cites = (Cite(WOMEN, "第七条"),)
    local = "各地对产假还有延长的天数，按当地规定另加；本机不知道当地的天数。"
    if _T_MISCARRIAGE.search(text):
        if f.miscarriage_month is None:
            sentence = "流产的产假：怀孕不满4个月的15天，满4个月的42天。"
            w.add(Kind.MATERNITY_LEAVE, 15, Unit.DAY, sentence, "不满4个月 → 15天；满4个月 → 42天", cites, ("说一下怀孕几个月，可以算准。", local))
            return
        days = miscarriage_days(f.miscarriage_month)
        sentence = f"怀孕{f.miscarriage_month}个月流产，产假{days}天（不满4个月15天，满4个月42天）。"
        rule = "≥ 4个月 → 42天" if days == 42 else "< 4个月 → 15天"
        w.add(Kind.MATERNITY_LEAVE, days, Unit.DAY, sentence, f"{f.miscarriage_month}个月 {rule}", cites, (local,))
        return
    babies = f.babies or 1
    if f.babies is None and "多胞胎" in text:
        w.need(FactName.BABIES)
    difficult = f.difficult_birth is True
    total = maternity_days(babies=babies, difficult=difficult)
    parts = ["98"] + (["15"] if difficult else []) + ([f"15 × {babies - 1}"] if babies > 1 else [])
    extra = ("，难产加15天" if difficult else "") + (f"，多{babies - 1}个婴儿加{15 * (babies - 1)}天" if babies > 1 else "")
    sentence = f"产假共{total}天：基本98天（产前可休15天）{extra}。"
    caveats = [local]
    if f.caesarean and f.difficult_birth is None:
        caveats.insert(0, "剖腹产本身不等于难产；算不算难产看医院的诊断证明和当地规定。")
    if f.birth_order and f.birth_order > 1:
        caveats.insert(0, "国家规定的98天不分第几胎；二孩、三孩的延长天数看当地规定。")
    w.add(Kind.MATERNITY_LEAVE, total, Unit.DAY, sentence, " + ".join(parts) + (f" = {total}" if len(parts) > 1 else "天"), cites, caveats)


def _injury(w: _Work, *, money: bool, leave: bool) -> None:
    f = w.f
    if money:
        grade = f.disability_grade
        if grade is None:
            if not re.search(r"(还|暂时|尚)?(没|没有|未)(评|鉴定|做鉴定|定级)", w.text):
                w.need(FactName.DISABILITY_GRADE)
            leave = True
        else:
            months = GRANT_MONTHS[grade]
            cn = _CN_GRADE[grade]
            cites = (Cite(INJURY, _GRANT_ARTICLE[grade]), Cite(INJURY, "第六十四条"))
            caveats = ["本人工资指受伤前12个月平均月缴费工资，低于当地平均工资60%按60%、高于300%按300%算；当地平均工资本机不知道。"]
            if grade >= 5:
                caveats.append("解除或终止劳动关系时还有一次性工伤医疗补助金和伤残就业补助金，标准由各省规定。")
            if grade <= 6 and not (_T_ALLOWANCE.search(w.text) or (grade <= 4 and f.monthly_wage is not None)):
                caveats.append("一至六级伤残每月还有伤残津贴（工伤保险条例第三十五、三十六条）。")
            base, prefix = f.monthly_wage, ""
            if base is not None and f.local_average_wage is not None:
                low, high = _money(f.local_average_wage * Decimal("0.6")), _money(f.local_average_wage * 3)
                caveats[0] = (f"本人工资指受伤前12个月平均月缴费工资；按当地平均工资{_fmt(f.local_average_wage)}元，"
                              f"低于60%（{_yuan(low)}元）按60%、高于300%（{_yuan(high)}元）按300%算。")
                if base < low or base > high:
                    base = low if base < low else high
                    prefix = f"{_fmt(f.local_average_wage)} × {'60%' if base == low else '300%'} = {_yuan(base)}；"
            if base is not None:
                amount = _money(months * base)
                sentence = f"{cn}级伤残的一次性伤残补助金是{months}个月本人工资，共{_yuan(amount)}元。"
                w.add(Kind.DISABILITY_GRANT, amount, Unit.YUAN, sentence, f"{prefix}{months} × {_fmt(base)} = {_yuan(amount)}", cites, caveats)
            else:
                w.need(FactName.WAGE)
                sentence = f"{cn}级伤残的一次性伤残补助金是{months}个月的本人工资。"
                w.add(Kind.DISABILITY_GRANT, months, Unit.MONTH, sentence, f"{cn}级 → {months}个月", cites, caveats)
            if grade <= 6 and (_T_ALLOWANCE.search(w.text) or (grade <= 4 and base is not None)):
                _disability_allowance(w, grade, base, prefix)
    if leave:
        sentence = "停工留薪期一般不超过12个月，伤情严重经市级鉴定委员会确认可再延长，最多12个月。"
        caveats = ("停工留薪期内原工资福利待遇不变，由单位按月支付；评定伤残等级后改领伤残待遇。",)
        w.add(Kind.INJURY_LEAVE, 12, Unit.MONTH, sentence, "≤ 12个月（+ 延长 ≤ 12个月）", (Cite(INJURY, "第三十三条"),), caveats)
        if f.injury_leave_months is not None and f.monthly_wage is not None:
            # 第三十三条: 原工资福利待遇不变, paid monthly by the employer
            amount = _money(f.injury_leave_months * f.monthly_wage)
            sentence = f"停工留薪期{f.injury_leave_months}个月，原工资照发，单位要付{f.injury_leave_months}×{_fmt(f.monthly_wage)}={_yuan(amount)}元。"
            w.add(Kind.INJURY_LEAVE_PAY, amount, Unit.YUAN, sentence, f"{f.injury_leave_months} × {_fmt(f.monthly_wage)} = {_yuan(amount)}",
                  (Cite(INJURY, "第三十三条"),), ("原工资福利待遇不变，由所在单位按月支付；生活不能自理需要护理的，护理也由单位负责。",))
            w.calcs.insert(len(w.calcs) - 2, w.calcs.pop())


ALLOWANCE_PERCENT = {1: 90, 2: 85, 3: 80, 4: 75, 5: 70, 6: 60}
_T_ALLOWANCE = re.compile(r"伤残津贴|每月|按月|每个月|月月")


def _disability_allowance(w: _Work, grade: int, base: Decimal | None, prefix: str) -> None:
    """伤残津贴 (工伤保险条例第三十五、三十六条): a share of 本人工资 each month, grades 1 to 6."""
    pct = ALLOWANCE_PERCENT[grade]
    cn = _CN_GRADE[grade]
    cites = (Cite(INJURY, _GRANT_ARTICLE[grade]), Cite(INJURY, "第六十四条"))
    lead = f"{cn}级伤残" if grade <= 4 else f"{cn}级伤残单位难以安排工作的"
    caveats = ["伤残津贴低于当地最低工资标准的，补足到最低工资。"]
    caveats.append("一至四级保留劳动关系、退出工作岗位，由工伤保险基金按月支付；到退休后改领养老保险待遇。" if grade <= 4
                   else "五、六级伤残由单位安排适当工作；难以安排的，由单位按月发伤残津贴，并给你缴社会保险费。")
    if base is None:
        w.add(Kind.DISABILITY_ALLOWANCE, pct, Unit.PERCENT, f"{lead}，每月伤残津贴是本人工资的{pct}%。", f"本人工资 × {pct}%", cites, caveats)
        return
    amount = _money(base * pct / 100)
    floor = w.f.minimum_wage
    if floor is not None and amount < floor:
        formula = f"{prefix}{_fmt(base)} × {pct}% = {_yuan(amount)} < 最低工资{_fmt(floor)} → {_yuan(floor)}"
        amount = _money(floor)
    else:
        formula = f"{prefix}{_fmt(base)} × {pct}% = {_yuan(amount)}"
    sentence = f"{lead}，每月伤残津贴是本人工资的{pct}%，即{_yuan(amount)}元。"
    w.add(Kind.DISABILITY_ALLOWANCE, amount, Unit.YUAN, sentence, formula, cites, caveats)


def _deadline(w: _Work, kind: Kind, start: date | None, *, days: int = 0, years: int = 0, dated: str, undated: str,
              cites: tuple[Cite, ...], caveats: tuple[str, ...] = (), need: FactName | None = None, ask: str | None = None) -> None:
    if start is None:
        if need is not None:
            w.need(need, ask)
        value, unit = (12 * years, Unit.MONTH) if years else (days, Unit.DAY)
        w.add(kind, value, unit, undated, f"{years}年" if years else f"{days}天", cites, caveats)
        return
    end = period_end(start, days=days, years=years)
    sentence = dated.format(start=_day(start), end=_day(end))
    formula = f"{start.isoformat()} + {f'{years}年' if years else f'{days}天'} = {end.isoformat()}"
    w.add(kind, end, Unit.DATE, sentence, formula, cites, (*caveats, _DEADLINE_CAVEAT))


def _paper_deadlines(w: _Work, *, reappraisal: bool, suit: bool, registration: bool, annul: bool = False) -> None:
    """Deadlines counted from a paper received or from the first day of work: 再次鉴定 (工伤保险条例第二十六条,
    15 days from receiving the 鉴定结论), going to court against an award (调解仲裁法第四十八、五十条, 15 days
    from receiving it), 社保登记 (社会保险法第五十八条, 30 days from 用工)."""
    f = w.f
    if reappraisal:
        _deadline(w, Kind.REAPPRAISAL, f.received_date or f.other_date, days=15,
                  dated="{start}收到鉴定结论，向省级鉴定委员会申请再次鉴定的最后一天是{end}。",
                  undated="不服市级鉴定结论的，收到结论之日起15日内向省级鉴定委员会申请再次鉴定。",
                  cites=(Cite(INJURY, "第二十六条"),), caveats=("省级劳动能力鉴定委员会作出的结论是最终结论。",),
                  need=FactName.APPLIED_DATE, ask="鉴定结论是哪天收到的？")
    if annul:  # 调解仲裁法第四十九条: the employer, against a 终局裁决, 30 days from receiving it
        _deadline(w, Kind.ANNUL_AWARD, f.received_date or f.other_date, days=30,
                  dated="{start}收到终局裁决书，单位向中级法院申请撤销的最后一天是{end}。",
                  undated="对终局裁决，单位只能在收到裁决书之日起30日内、有法定情形时向中级法院申请撤销。",
                  cites=(Cite(DISPUTES, "第四十九条"),), caveats=("只有适用法律错误、仲裁委无管辖权、违反法定程序、证据伪造等法定情形才能撤销。",),
                  need=FactName.APPLIED_DATE, ask="裁决书是哪天收到的？")
    if suit:
        _deadline(w, Kind.SUIT_AFTER_AWARD, f.received_date or f.other_date, days=15,
                  dated="{start}收到裁决书，不服的向法院起诉的最后一天是{end}。",
                  undated="不服仲裁裁决的，收到裁决书之日起15日内向法院起诉。",
                  cites=(Cite(DISPUTES, "第五十条"), Cite(DISPUTES, "第四十八条")),
                  caveats=("期满不起诉的，裁决书发生法律效力；终局裁决单位不能起诉，只能30日内申请撤销（第四十九条）。",),
                  need=FactName.APPLIED_DATE, ask="裁决书是哪天收到的？")
    if registration:
        _deadline(w, Kind.INSURANCE_REGISTRATION, f.start_date or f.other_date, days=30,
                  dated="{start}开始上班，单位给你办社保登记的最后一天是{end}。",
                  undated="单位要在用工之日起30日内给你办社保登记。",
                  cites=(Cite("shehui-baoxian-fa", "第五十八条"),),
                  caveats=("单位不办的，由社保经办机构核定它应缴的社保费；你可以向社保经办机构或劳动监察反映。",),
                  need=FactName.START_DATE)


def _award_term(w: _Work) -> None:
    """劳动争议调解仲裁法第四十三条: the award within 45 days of the 仲裁委 accepting the case; a
    complex case, with the chair's approval, at most 15 days more; past it the worker may go to court."""
    f = w.f
    day = f.applied_date or f.other_date
    cites = (Cite(DISPUTES, "第四十三条"),)
    caveats = ("逾期没作出裁决的，可以就这个争议直接向法院起诉。",)
    if day is None:
        w.need(FactName.APPLIED_DATE, "仲裁申请是哪天受理的？")
        w.add(Kind.AWARD_TERM, 45, Unit.DAY, "仲裁庭要在受理之日起45天内结案；案情复杂经批准可延期，最多再延15天。", "45天（+ 延期 ≤ 15天）", cites, caveats)
        return
    end, longest = period_end(day, days=45), period_end(day, days=60)
    sentence = f"从{_day(day)}受理算，仲裁最晚{_day(end)}结案；批准延期的，最晚{_day(longest)}。"
    formula = f"{day.isoformat()} + 45天 = {end.isoformat()}；+ 15天 = {longest.isoformat()}"
    w.add(Kind.AWARD_TERM, end, Unit.DATE, sentence, formula, cites, (*caveats, _DEADLINE_CAVEAT))


def _deadlines(w: _Work, *, claim: bool, decision: bool, arbitration: bool, resign: bool, papers: bool) -> None:
    f = w.f
    if claim:
        day = f.incident_date or f.other_date
        cites = (Cite(INJURY, "第十七条"),)
        _deadline(w, Kind.INJURY_CLAIM_EMPLOYER, day, days=30, dated="单位申请工伤认定的最后一天是{end}（出事后30天内）。",
                  undated="单位要在出事（或确诊职业病）后30天内申请工伤认定。", cites=cites,
                  caveats=("有特殊情况经社保行政部门同意的，可以适当延长。",), need=FactName.INCIDENT_DATE)
        _deadline(w, Kind.INJURY_CLAIM_WORKER, day, years=1, dated="单位没申请的，你或家属、工会自己申请的最后一天是{end}。",
                  undated="单位没申请的，你或家属、工会在出事后1年内可以自己申请。", cites=cites,
                  caveats=("单位超过30天没申请的，这期间的工伤待遇等费用由单位负担。",))
    if decision:
        day = f.applied_date or (f.other_date if not claim else None)
        _deadline(w, Kind.INJURY_DECISION, day, days=60, dated="从{start}受理算，工伤认定决定最晚{end}作出。",
                  undated="受理后60天内要作出工伤认定决定，事实清楚的15天内。", cites=(Cite(INJURY, "第二十条"),),
                  caveats=("事实清楚、权利义务明确的，15天内作出；要等司法机关等结论的，期限中止。",))
    if arbitration and f.wages_owed and f.end_date is None and re.search(r"在职|还在(干|上班|做|跑)|没(有)?离职|没走", w.text):
        w.add(Kind.ARBITRATION, 12, Unit.MONTH, "在职期间被拖欠工资，申请仲裁不受1年时效限制；离职后要在1年内申请。", "在职 → 不受限；离职后1年",
              (Cite(DISPUTES, "第二十七条"),), ("越早申请越好，留好工资条、转账记录、考勤等证据。",))
        arbitration = False
    if arbitration:
        day = f.end_date or f.incident_date or f.other_date
        caveats = ["时效从知道或应当知道权利被侵害那天起算；向对方主张权利或找有关部门求助的，时效中断、重新计算。"]
        if f.wages_owed or re.search(r"工资|欠薪", w.text):
            caveats.append("在职期间被拖欠工资的，不受1年限制；离职的，从离职那天起1年内申请。")
        _deadline(w, Kind.ARBITRATION, day, years=1, dated="从{start}算，申请劳动仲裁的最后一天是{end}。",
                  undated="劳动仲裁时效是1年，从知道权利被侵害那天起算。", cites=(Cite(DISPUTES, "第二十七条"),),
                  caveats=tuple(caveats), need=FactName.END_DATE, ask="是哪天发生的（比如被辞退、受伤的那天）？")
    if resign:
        day = f.notice_date or (f.other_date if not arbitration else None)
        note = () if day else ("这里按今天书面提出算。",)
        day = day or w.today
        cites = (Cite(LHF, "第三十七条"),)
        if f.in_probation:
            _deadline(w, Kind.RESIGNATION_NOTICE, day, days=3, dated="试用期内提前3天通知就行：{start}提出，{end}满3天。",
                      undated="", cites=cites, caveats=note)
        else:
            _deadline(w, Kind.RESIGNATION_NOTICE, day, days=30, dated="要提前30天书面通知：{start}提出，{end}满30天。",
                      undated="", cites=cites, caveats=(*note, "还在试用期的，提前3天通知就行。") if f.in_probation is None else note)
    if papers:
        day = f.end_date or f.other_date
        _deadline(w, Kind.LEAVING_PAPERS, day, days=15, dated="合同{start}解除，单位办档案和社保转移的最后一天是{end}。",
                  undated="合同解除时单位要出证明，并在15天内办好档案和社保转移。", cites=(Cite(LHF, "第五十条"),),
                  caveats=("解除或终止合同的证明，单位应当在解除时就出具。",), need=FactName.END_DATE)


_DAYS_SINCE = re.compile(rf"(已经|已|都|整整|足足|有|快|一共|共|了)*\s*(?P<n>{_N})\s*(天|日)(了)?")


def _mediation(w: _Work) -> None:
    """劳动争议调解仲裁法第十四条第三款: no agreement within 15 days of the mediation body receiving the
    application, the worker may go to arbitration; 「N日内」 counted as the day received + N days."""
    f = w.f
    day = f.received_date or f.applied_date or f.other_date
    _deadline(w, Kind.MEDIATION_LIMIT, day, days=15, dated="调解组织{start}收到申请，到{end}还没达成调解协议的，就可以申请仲裁。",
              undated="调解组织收到调解申请之日起15天内没达成调解协议的，可以直接申请仲裁。",
              cites=(Cite(DISPUTES, "第十四条"),), caveats=("不愿调解或调解不成的，也可以直接申请劳动仲裁（第五条）。",),
              need=FactName.APPLIED_DATE, ask="调解组织是哪天收到你的调解申请的？")


def _late_fee(w: _Work) -> None:
    """社会保险法第八十六条: social insurance paid late or short carries 0.05% a day from the day it fell due."""
    f, cites = w.f, (Cite("shehui-baoxian-fa", "第八十六条"),)
    caveats = ("滞纳金由社保费征收机构加收；逾期仍不缴的，由有关部门处欠缴数额一倍以上三倍以下罚款。",)
    owed = f.claim_amount
    days = None
    if (m := _DAYS_SINCE.search(w.text)) is not None and re.search(r"欠缴|欠|没交|没缴|未缴|拖", _clause_before(w.text, m.start(), 20)):
        days = _cn_int(m.group("n"))
    if days is None and f.other_date is not None and f.other_date <= w.today:
        days = (w.today - f.other_date).days
    if owed is None or not days:
        w.need(FactName.ARREARS)
        w.add(Kind.LATE_FEE, Decimal("0.05"), Unit.PERCENT, "单位欠缴社保费的，从欠缴之日起按日加收万分之五的滞纳金（欠缴数额 × 0.05% × 天数）。",
              "欠缴数额 × 0.05% × 天数", cites, caveats)
        return
    amount = _money(owed * Decimal("0.0005") * days)
    w.add(Kind.LATE_FEE, amount, Unit.YUAN, f"欠缴{_yuan(owed)}元、{days}天，按日万分之五，滞纳金{_yuan(amount)}元。",
          f"{_fmt(owed)} × 0.05% × {days} = {_yuan(amount)}", cites, caveats)


_SET_OFF = re.compile(rf"(早上|上午|早晨|凌晨|中午|下午|晚上|夜里)?\s*(?P<h>\d{{1,2}}|[一二两三四五六七八九十]{{1,3}})\s*(点|时)(?P<half>半)?(钟)?.{{0,4}}(出发|开车|发车|上路|开始开|开始跑|走的|出的车|出车)")


def _driving_limit(w: _Work) -> None:
    """道路运输条例第二十八条第二款: a driver may drive at most 4 hours without a break."""
    cites = (Cite("daolu-yunshu-tiaoli", "第二十八条"),)
    caveats = ("单位要求违章驾驶、冒险作业的，你有权拒绝。",)
    m = _SET_OFF.search(w.text)
    hour = _clock(m.group("h")) if m else None
    if hour is not None and m.group(1) in ("下午", "晚上", "夜里") and hour < 12:
        hour += 12
    if hour is None:
        w.add(Kind.DRIVING_LIMIT, 4, Unit.HOUR, "驾驶人员连续驾驶不得超过4个小时，到4小时就要停车休息。", "≤ 4小时", cites, caveats)
        return
    stop = (hour + 4) % 24
    minutes = "半" if m.group("half") else ""
    w.add(Kind.DRIVING_LIMIT, 4, Unit.HOUR, f"连续驾驶不得超过4个小时：{hour}点{minutes}出发一直没停的，最晚{stop}点{minutes}要停车休息。",
          f"{hour}点{minutes} + 4小时 = {stop}点{minutes}", cites, caveats)


def _working_hours(w: _Work) -> None:
    """Hours worked against the standard (国务院关于职工工作时间的规定第三条: 8 a day, 40 a week) and
    the overtime limits (劳动法第四十一条: 3 hours a day, 36 a month)."""
    f = w.f
    daily, days = f.daily_hours, f.week_days
    cites = (Cite(HOURS, "第三条"), Cite(LF, "第四十一条"))
    caveats = ["延长工作时间每天一般不超过1小时，特殊原因不超过3小时，每月不超过36小时（劳动法第四十一条）。"]
    if days is None:
        extra = daily - _STANDARD_DAY
        if extra <= 0:
            return
        sentence = f"每天干{_fmt(daily)}小时，比标准8小时多{_fmt(extra)}小时；加班每天最多3小时、每月最多36小时。"
        w.add(Kind.WORKING_HOURS, extra, Unit.HOUR, sentence, f"{_fmt(daily)} − 8 = {_fmt(extra)}小时/天", cites, caveats)
        return
    weekly = daily * days
    extra = weekly - _STANDARD_WEEK
    if extra <= 0:
        return
    if days >= 7:
        caveats.append("单位应当保证每周至少休息一天（劳动法第三十八条）。")
    cites += (Cite(MONTHLY_DAYS, "全文"),)  # the 4.35 weeks a month below: 21.75 days ÷ 5 (全年月平均工作时间通知)
    caveats.append(f"按一个月约4.35周（21.75天÷5）算，每月多干约{_fmt((extra * Decimal('4.35')).quantize(Decimal(1)))}小时；"
                   "吃饭休息时间不算工作时间，说明了的这里已经减去。")
    caveats.append("实行综合计算工时或不定时工作制并经批准的，算法不同。")
    sentence = f"每天{_fmt(daily)}小时、每周{days}天，一周{_fmt(weekly)}小时，比标准40小时多{_fmt(extra)}小时；加班每月最多36小时。"
    w.add(Kind.WORKING_HOURS, extra, Unit.HOUR, sentence, f"{_fmt(daily)} × {days} − 40 = {_fmt(extra)}小时/周", cites, caveats)


def _final_award(w: _Work) -> None:
    """劳动争议调解仲裁法第四十七条第一项: a claim for pay, medical costs, 经济补偿 or 赔偿金 up to
    12 months of the local minimum wage ends with the award (第四十八、四十九条: who may still go to court)."""
    f = w.f
    cites = (Cite(DISPUTES, "第四十七条"), Cite(DISPUTES, "第四十八条"), Cite(DISPUTES, "第四十九条"))
    caveats = ["单位不能再起诉，只能在收到裁决书30日内，有法定理由时向中级法院申请撤销（第四十九条）。",
               "你不服终局裁决的，可以在收到裁决书15日内起诉（第四十八条）；工时、休假、社保等执行国家标准的争议也是终局裁决。"]
    if f.minimum_wage is None:
        w.need(FactName.MINIMUM_WAGE)
        sentence = "追要工资、工伤医疗费、经济补偿或赔偿金不超过当地月最低工资12个月金额的，仲裁裁决就是终局的。"
        w.add(Kind.FINAL_AWARD, 12, Unit.MONTH, sentence, "≤ 12 × 月最低工资 → 终局裁决", cites, caveats)
        return
    limit = _money(12 * f.minimum_wage)
    formula = f"12 × {_fmt(f.minimum_wage)} = {_yuan(limit)}"
    if f.claim_amount is None:
        sentence = f"当地月最低工资{_fmt(f.minimum_wage)}元×12={_yuan(limit)}元；要的钱不超过这个数的，仲裁裁决是终局的。"
    elif f.claim_amount <= limit:
        formula += f"；{_fmt(f.claim_amount)} ≤ {_yuan(limit)} → 终局裁决"
        sentence = f"当地月最低工资{_fmt(f.minimum_wage)}元×12={_yuan(limit)}元，你要的{_fmt(f.claim_amount)}元没超过，裁决是终局的，单位不能起诉。"
    else:
        formula += f"；{_fmt(f.claim_amount)} > {_yuan(limit)} → 非终局"
        sentence = f"当地月最低工资{_fmt(f.minimum_wage)}元×12={_yuan(limit)}元，你要的{_fmt(f.claim_amount)}元超过了，不是终局裁决。"
        caveats = ["不是终局裁决的，双方不服都可以在收到裁决书15日内起诉（第五十条）。"]
        cites = (Cite(DISPUTES, "第四十七条"), Cite(DISPUTES, "第五十条"))
    if len(sentence) > 70:
        sentence = f"当地最低工资×12={_yuan(limit)}元，不超过这个数的，仲裁裁决是终局的。"
    caveats.append("几项请求分别算，每一项都不超过这个数的才是终局裁决。")
    w.add(Kind.FINAL_AWARD, limit, Unit.YUAN, sentence, formula, cites, caveats)


def _inspection(w: _Work) -> None:
    """劳动保障监察条例第二十条: a violation not found or reported within 2 years is not pursued."""
    f = w.f
    day = f.other_date or f.end_date or f.incident_date
    caveats = ["违法行为有连续或继续状态的，2年从行为终了那天算。",
               "这是劳动监察的期限；申请劳动仲裁的时效另算（一般1年，在职期间被拖欠工资的不受限）。"]
    cites = (Cite(INSPECTION, "第二十条"),)
    if day is None:
        sentence = "违法行为2年内没被劳动监察发现、也没人举报投诉的，不再查处。"
        w.add(Kind.INSPECTION_LIMIT, 24, Unit.MONTH, sentence, "2年", cites, caveats)
        return
    end = period_end(day, years=2)
    now, said = w.today, "今天"
    if (m := re.search(r"现在(是|已经)?(?P<y>\d{4})年(?P<m>\d{1,2})月", w.text)) is not None:
        y, mo = int(m.group("y")), int(m.group("m"))
        if 1 <= mo <= 12:
            now, said = date(y, mo, _month_days(y, mo)), f"你说的{y}年{mo}月"
    caveats.insert(0, f"按{said}算，" + ("还在这个期限内。" if now <= end else "已经过了这个期限。"))
    sentence = f"从{_day(day)}算2年，到{_day(end)}为止举报投诉的，劳动监察还要查处。"
    w.add(Kind.INSPECTION_LIMIT, end, Unit.DATE, sentence, f"{day.isoformat()} + 2年 = {end.isoformat()}", cites, (*caveats, _DEADLINE_CAVEAT))


_WEEKDAY_CN = "一二三四五六日"


def _unemployment_months(w: _Work) -> None:
    """失业保险条例第十七条 (社会保险法第四十六条): the longest time 失业保险金 is paid, by the time paid
    in — 1 to under 5 years 12 months, 5 to under 10 years 18, 10 years or more 24; under a year, none (第十四条)."""
    f = w.f
    cites = (Cite("shiye-baoxian-tiaoli", "第十七条"), Cite("shehui-baoxian-fa", "第四十六条"))
    caveats = ("还要是非本人意愿中断就业、办了失业登记并有求职要求（失业保险条例第十四条）；每月领多少由省里定。",
               "重新就业后再失业的，缴费时间重新算，可以和上次没领完的合并，最长不超过24个月。")
    months = f.insured_months
    if months is None:
        w.need(FactName.INSURED)
        sentence = "失业金最长领多久看累计缴费时间：满1年不满5年12个月，满5年不满10年18个月，10年以上24个月。"
        w.add(Kind.UNEMPLOYMENT_MONTHS, 24, Unit.MONTH, sentence, "1–5年 → 12；5–10年 → 18；≥ 10年 → 24个月", cites, caveats)
        return
    if months < 12:
        sentence = f"累计缴费{_months_text(months)}，不满1年，还不能领失业保险金。"
        w.add(Kind.UNEMPLOYMENT_MONTHS, 0, Unit.MONTH, sentence, f"{_months_text(months)} < 1年 → 0", (Cite("shiye-baoxian-tiaoli", "第十四条"), *cites), caveats)
        return
    most = 12 if months < 60 else (18 if months < 120 else 24)
    band = "满1年不满5年" if most == 12 else ("满5年不满10年" if most == 18 else "10年以上")
    sentence = f"累计缴费{_months_text(months)}，属于{band}，失业保险金最长领{most}个月。"
    w.add(Kind.UNEMPLOYMENT_MONTHS, most, Unit.MONTH, sentence, f"{_months_text(months)} → {band} → {most}个月", cites, caveats)


def _owed_wages(w: _Work, months: int) -> None:
    """Wages owed for some months, and 劳动合同法第八十五条: unpaid past the deadline the labour office
    sets, 50% to 100% of the amount more as 加付赔偿金."""
    f = w.f
    cites = (Cite(LHF, "第八十五条"), Cite(LHF, "第三十条"))
    caveats = ("先向劳动监察投诉或申请仲裁；加付赔偿金要在劳动行政部门责令限期支付后单位仍不付时才有。",)
    if f.monthly_wage is None:
        w.need(FactName.WAGE, "每月被欠的工资是多少？")
        w.add(Kind.OWED_WAGES, 50, Unit.PERCENT, "责令限期支付后逾期仍不付的，单位要按欠款的50%到100%加付赔偿金。", "欠款 × 50%～100%", cites, caveats)
        return
    owed = _money(months * f.monthly_wage)
    low, high = _money(owed / 2), owed
    sentence = f"拖欠{months}个月共{_yuan(owed)}元；责令限期支付后仍不付的，要加付{_yuan(low)}到{_yuan(high)}元赔偿金。"
    w.add(Kind.OWED_WAGES, owed, Unit.YUAN, sentence, f"{months} × {_fmt(f.monthly_wage)} = {_yuan(owed)}；× 50%～100% = {_yuan(low)}～{_yuan(high)}", cites, caveats)


def _wage_deduction(w: _Work) -> None:
    """工资支付暂行规定第十六条: a loss the worker caused may be taken from the wage, at most 20% of the
    month's wage, and what is left may not fall below the local minimum wage."""
    f = w.f
    cites = (Cite(WAGE_PAYMENT, "第十六条"),)
    caveats = ["只适用于你本人原因造成的经济损失、并按劳动合同约定赔偿的情形；罚款不在此列。"]
    if f.monthly_wage is None:
        w.need(FactName.WAGE, "你当月工资多少？")
        w.add(Kind.WAGE_DEDUCTION, 20, Unit.PERCENT, "赔偿损失每月最多从工资里扣20%，扣完剩下的不能低于当地最低工资。", "≤ 当月工资 × 20%", cites, caveats)
        return
    most = _money(f.monthly_wage * Decimal("0.2"))
    formula = f"{_fmt(f.monthly_wage)} × 20% = {_yuan(most)}"
    if f.minimum_wage is not None and f.monthly_wage - most < f.minimum_wage:
        most = max(_money(f.monthly_wage - f.minimum_wage), Decimal(0))
        formula += f"；{_fmt(f.monthly_wage)} − 最低工资{_fmt(f.minimum_wage)} = {_yuan(most)}"
        sentence = f"每月最多扣20%，但扣完不能低于最低工资{_fmt(f.minimum_wage)}元，所以每月最多扣{_yuan(most)}元。"
    else:
        sentence = f"赔偿损失每月最多扣当月工资{_fmt(f.monthly_wage)}元的20%，即{_yuan(most)}元。"
        if f.minimum_wage is None:
            caveats.append("扣完剩下的低于当地最低工资的，要按最低工资支付；当地标准本机不知道。")
    w.add(Kind.WAGE_DEDUCTION, most, Unit.YUAN, sentence, formula, cites, caveats)


def _nursing_care(w: _Work) -> None:
    """工伤保险条例第三十四条: 生活护理费 each month at 50%, 40% or 30% of the local average monthly wage,
    by whether the worker cannot look after himself at all, mostly, or partly."""
    f = w.f
    cites = (Cite(INJURY, "第三十四条"),)
    caveats = ("要先评定伤残等级，并经劳动能力鉴定委员会确认需要生活护理；由工伤保险基金按月支付。",)
    if f.care_level is None:
        w.need(FactName.CARE_LEVEL)
        sentence = "生活护理费按当地上年度职工月平均工资算：完全不能自理50%，大部分不能自理40%，部分不能自理30%。"
        w.add(Kind.NURSING_CARE, 50, Unit.PERCENT, sentence, "50% / 40% / 30% × 当地月平均工资", cites, caveats)
        return
    pct = {1: 50, 2: 40, 3: 30}[f.care_level]
    label = {1: "完全不能自理", 2: "大部分不能自理", 3: "部分不能自理"}[f.care_level]
    if f.local_average_wage is None:
        w.need(FactName.AVERAGE_WAGE)
        w.add(Kind.NURSING_CARE, pct, Unit.PERCENT, f"生活{label}的，生活护理费每月是当地上年度职工月平均工资的{pct}%。", f"当地月平均工资 × {pct}%", cites, caveats)
        return
    amount = _money(f.local_average_wage * pct / 100)
    w.add(Kind.NURSING_CARE, amount, Unit.YUAN, f"生活{label}的，生活护理费每月是当地月平均工资的{pct}%，即{_yuan(amount)}元。",
          f"{_fmt(f.local_average_wage)} × {pct}% = {_yuan(amount)}", cites, caveats)


def _nursing_time(w: _Work) -> None:
    """女职工劳动保护特别规定第九条: an hour a day for nursing a baby under one, an hour more for each further baby."""
    babies = w.f.babies or 1
    hours = babies
    sentence = f"哺乳未满1周岁的婴儿，每天工作时间内有{hours}小时哺乳时间" + ("" if babies == 1 else f"（多胞胎{babies}个，每多1个加1小时）") + "。"
    caveats = ("哺乳期间单位不得延长劳动时间或安排夜班。",)
    w.add(Kind.NURSING_TIME, hours, Unit.HOUR, sentence, f"1 + {babies - 1} = {hours}小时/天" if babies > 1 else "1小时/天", (Cite(WOMEN, "第九条"),), caveats)


def _payday(w: _Work) -> None:
    """工资支付暂行规定第七条: a pay day on a rest day or holiday moves to the working day before."""
    for _, _, day, approx, _ in _find_dates(w.text, w.today):
        if approx or day.weekday() < 5:
            continue
        paid = day - timedelta(days=day.weekday() - 4)
        sentence = f"{_day(day)}是星期{_WEEKDAY_CN[day.weekday()]}，工资要提前到最近的工作日{_day(paid)}（星期五）发，不能往后推。"
        if len(sentence) > 70:
            sentence = f"{_day(day)}是休息日，工资要提前到{_day(paid)}（星期五）发，不能往后推。"
        caveats = ("遇法定节假日也一样提前；调休上班的周末算工作日，以国务院当年的放假安排为准。",
                   "农民工工资也是这样：支付日遇法定节假日或休息日的，在这之前支付（保障农民工工资支付条例第十四条）。")
        cites = (Cite(WAGE_PAYMENT, "第七条"), Cite("baozhang-nongmingong-gongzi-zhifu-tiaoli", "第十四条"))
        w.add(Kind.PAYDAY, paid, Unit.DATE, sentence, f"{day.isoformat()}（周{_WEEKDAY_CN[day.weekday()]}）→ 前一个工作日 {paid.isoformat()}", cites, caveats)
        return


_T_BACK_PAY = re.compile(r"继续履行|恢复(劳动关系|工作|上班|履行)|回(去|到单位|单位|公司|厂)(上班|工作)|撤销解除|复岗|返岗|复工")
_T_UNION = re.compile(r"工会")
_UNION_DISMISSED = re.compile(r"被.{0,4}(解除|辞退|开除|开|炒|辞|解雇)|把我.{0,8}(解除|辞退|开除|开了|炒|辞了|解雇)|(解除|辞退|开除|解雇)(了|我)|开了我|辞了我|炒了我")
_T_UNION_CAUSE = re.compile(r"履行.{0,6}职责|维权|工会(的)?(活动|工作)|(参加|加入|组建|筹建)(了)?工会|帮.{0,8}(维权|讨薪|说话|争取|反映|出头)|因为.{0,10}工会|工会(委员|主席|干部|小组长|工作人员)")
_T_AWARD_TERM = re.compile(r"结案|45天|四十五天|四十五日|审理|审结|审理期限|审限|(作出|出|下)(仲裁)?裁决|裁决(下来|出来)|(出|有)(结果|裁决)|延期|延长审理")
_T_FINAL_AWARD = re.compile(r"终局|一裁终局|(仲裁|裁决|裁了).{0,20}(起诉|法院|撤销|不服|上诉)")
_AFTER_AWARD = re.compile(r"裁了|裁决(以)?后|裁决书|裁决下来|终局")
_T_INSPECTION = re.compile(r"劳动监察|监察大队|监察部门|劳动保障监察|(投诉|举报).{0,10}(劳动局|人社|劳动保障)|(劳动局|人社局|人社部门).{0,6}(投诉|举报)")
_ASK_INSPECTION = re.compile(r"还管|还查|还受理|还会查|还能(投诉|举报)|过期了|过了.{0,4}年|太久|很久|多少年|几年|两年|2年|时效|期限|来得及|晚不晚")
_T_PAYDAY = re.compile(r"发工资|发薪|工资.{0,6}(发|支付)|支付工资|发放工资|开工资")
_ASK_PAYDAY = re.compile(r"周六|周日|星期六|星期天|星期日|礼拜六|礼拜天|周末|休息日|节假日|放假|顺延|推迟|延后|往后|推到|提前|哪天|几号")
_T_HOURS_ASK = re.compile(r"多干|超时|超了|超过|标准|合法|违法|工时|多少(个)?小时|几个?小时|多长时间|上限|最多")
_NOT_OVERTIME_TOPIC = re.compile(r"(不算|不含|不包括|不包含|剔除|扣除|除去|去掉|除了|其中包含|其中包括|其中含|包含|包括|含)(了)?(加班费|加班工资|加班)(以后|之后|后|的)?")


def calculate(question: str, *, today: date, facts: Facts | None = None) -> CalcResult:
    """The calculations the question asks for, from its facts with gaps filled from ``facts``.

    Which rules apply is read from the question's own words only: a bare follow-up (「干了3年」)
    names no rule, so join it to the question it answers, as the bot does with a tapped choice.
    """
    text = first_person(normalize(question))
    now = read_facts(text, today=today)
    f = now.filled_from(facts)
    w = _Work(text, now, f, today)
    amount = bool(_ASK_AMOUNT.search(text))
    deadline_ask = bool(_ASK_DEADLINE.search(_ASK_MORE_MONEY.sub("", text)))  # 「还能再要多少」 asks an amount, not a deadline

    claim = bool(_T_CLAIM.search(text)) and deadline_ask and not _T_DECISION.search(text)
    decision = bool(_T_DECISION.search(text)) and deadline_ask and bool(_T_CLAIM.search(text) or "工伤" in text)
    arbitration = bool(_T_ARBITRATION.search(text)) and deadline_ask
    papers = bool(_T_PAPERS.search(text)) and deadline_ask
    left_already = now.end_date is not None and now.end_date <= today and now.notice_date is None  # notice is moot once gone
    resign = (bool(_T_RESIGN.search(text)) and bool(_T_RESIGN_ASK.search(text)) and not _DISMISSED.search(text) and not left_already
              and not papers and not _T_FORCED_QUIT.search(text) and not re.search(r"补偿|赔偿", text))

    union = bool(_T_UNION.search(text) and _T_UNION_CAUSE.search(text) and _UNION_DISMISSED.search(text))
    if union:
        _union_dismissal(w)
    reinstated = bool(_T_BACK_PAY.search(text)) and (f.unlawful_dismissal is True or "违法" in text) and bool(amount or now.monthly_wage is not None)
    if reinstated:
        reinstated = _back_pay(w)
    unemployment = bool(re.search(r"失业(保险)?金|失业保险待遇|失业待遇", text)) and bool(re.search(r"几个月|多久|多长|最长|最多|期限|领多少个月", text) or now.insured_months is not None)
    owed_months = None
    if (m := re.search(rf"(拖欠|欠|没发|不发)(了)?(我)?(的)?\s*(?P<n>{_N})\s*个月(的)?(工资)?", text)) is not None and re.search(r"工资|薪", text):
        owed_months = _cn_int(m.group("n"))
    late_damages = bool(re.search(r"加付(的)?赔偿金|逾期(不|未|还不|仍不|仍未)(支付|付|发)", text))
    part_time = bool(re.search(r"非全日制", text)) and bool(re.search(r"补偿|赔偿", text))
    probation_claim = bool(re.search(r"试用期.{0,10}赔偿|违法(约定)?(的)?试用期", text)) and not _DISMISSED.search(text)
    dismissal = (bool(_T_DISMISSAL.search(text) or _T_FORCED_QUIT.search(text)) and not resign and not union and not reinstated
                 and not probation_claim and not part_time and not (late_damages and not _DISMISSED.search(text)) and not (unemployment and not re.search(r"补偿|赔偿|N\s*\+\s*1|2\s*[Nn]", text)))
    has_money_fact = now.service_months is not None or now.monthly_wage is not None or now.unlawful_dismissal is not None
    if dismissal and (amount or has_money_fact) and (not (papers or arbitration) or re.search(r"补偿|赔偿|多少钱", text)):
        barred = _dismissal_bar(w)
        protected = None if _MISCONDUCT.search(text) else _PROTECTED_DISMISSAL.search(text)
        _severance(w, conditional_unlawful=barred or bool(protected), protected=protected.group("why") if protected and not barred else None)

    # a contract signed more than a month after the first day (「拖到12月1日才补签」) leaves months without one
    signed_late = now.signed_date is not None and now.start_date is not None and now.signed_date > add_months(now.start_date, 1)
    no_contract = now.written_contract is False or bool(_T_DOUBLE.search(text)) or signed_late
    if no_contract and (amount or _T_DOUBLE.search(text) or now.start_date or now.service_months is not None or now.monthly_wage is not None):
        _double_wage(w)

    if _T_PROBATION.search(text) and not resign:
        limit = now.contract_type is not None or now.probation_months is not None or bool(_T_PROBATION_ASK.search(text))
        pay = now.probation_wage is not None or (bool(_T_PROBATION_PAY.search(text)) and (amount or now.monthly_wage is not None))
        if limit or pay:
            _probation(w, limit=limit, pay=pay)

    overtime_facts = any(getattr(now, k) is not None for k in ("overtime_workday_hours", "overtime_daily_hours", "overtime_rest_hours", "overtime_holiday_hours", "overtime_unknown_hours"))
    hours_limit = re.search(r"(超过|超出|超了)(了)?(法律|法定|国家)?(规定)?(的)?(上限|限制|多少小时)|(最多|还)(能|可以)?(再)?(加|延长)(班)?.{0,4}(小时|多久|多少|几)|(加班|延长).{0,6}(上限|不能超过|不得超过|最多)|(上限|最多).{0,4}(加班|延长)", text)
    pay_asked = re.search(r"加班费|加班工资|工钱|给多少|该给|多少钱|几钿|工资(怎么|多少)", text)
    said_hours = overtime_facts or now.overtime_month_hours is not None or now.daily_hours is not None
    if hours_limit and (_T_OVERTIME.search(text) or re.search(r"延长|多干", text)) and (said_hours or re.search(r"合法|违法|法律|劳动法|国家规定", text)):
        _overtime_limit(w)
    if now.piece_rate is not None and now.overtime_pieces is not None:
        _piece_overtime(w)
    elif _T_OVERTIME.search(_NOT_OVERTIME_TOPIC.sub("", text)) and (amount or overtime_facts) and not (hours_limit and not (overtime_facts and pay_asked)):
        _overtime(w)
    overtime_done = any(c.kind in (Kind.OVERTIME_WORKDAY, Kind.OVERTIME_REST_DAY, Kind.OVERTIME_HOLIDAY, Kind.OVERTIME_LIMIT) for c in w.calcs)
    if now.daily_hours is not None and ((_T_HOURS_ASK.search(text) and not overtime_done) or (amount and not overtime_done)):
        _working_hours(w)

    if _T_LEAVE.search(text) and (amount or now.career_months is not None or now.service_months is not None or now.leave_unused_days is not None or now.leave_taken_days is not None or now.leave_due_days is not None):
        _leave(w)

    birth_facts = now.babies is not None or now.difficult_birth is not None or now.miscarriage_month is not None
    birth_words = "产假" in text or (_T_BIRTH.search(text) and re.search(r"假|休", text) and not re.search(r"产检|哺乳|保胎", text))
    if birth_words and (amount or birth_facts):
        _maternity(w)

    # a grade said (「评了八级」) with an amount asked is a disability grant, whatever words name the injury
    injury_money = (bool(_T_INJURY_MONEY.search(text)) and (amount or now.disability_grade is not None)) or (now.disability_grade is not None and amount)
    injury_leave = bool(_T_INJURY_LEAVE.search(text))
    if injury_money or injury_leave:
        _injury(w, money=injury_money, leave=injury_leave)

    if re.search(r"竞业限制|竞业协议", text) and re.search(r"(没|没有|未|不)(写|约定|定|签|说|给|提)(经济)?补偿|补偿.{0,4}(没|没有|未)(写|约定|定)", text) and (amount or now.monthly_wage is not None):
        _non_compete(w)
    if re.search(r"因工(死亡|去世|身亡)|工亡|工伤(死亡|去世|身亡)", text) and (amount or re.search(r"丧葬|抚恤|补助金", text)):
        pension = bool(re.search(r"抚恤", text))
        _death_benefits(w, pension=pension, only_pension=pension and not re.search(r"丧葬|工亡补助|一次性|哪些|什么(钱|待遇)|都(能|可以)(拿|领|要)|待遇", text))

    award_ask = _T_FINAL_AWARD.search(text) or ("仲裁" in text and re.search(r"起诉|法院|撤销", text))
    if award_ask and (now.minimum_wage is not None or (now.claim_amount is not None and "终局" in text)):
        _final_award(w)
        arbitration = arbitration and not _AFTER_AWARD.search(text)
    if _T_INSPECTION.search(text) and _ASK_INSPECTION.search(text):
        _inspection(w)
    if _T_PAYDAY.search(text) and _ASK_PAYDAY.search(text):
        _payday(w)
    if unemployment:
        _unemployment_months(w)
    if owed_months is not None and 0 < owed_months <= 120 and (amount or late_damages):
        _owed_wages(w, owed_months)
    if part_time:  # 劳动合同法第七十一条
        w.add(Kind.PART_TIME_END, Decimal(0), Unit.YUAN, "非全日制用工双方随时可以通知终止，终止用工单位不付经济补偿，为0元。", "非全日制 → 0",
              (Cite(LHF, "第七十一条"),), ("非全日制用工小时工资不得低于当地小时最低工资，工资结算周期最长不超过15日（第七十二条）。",))
    if re.search(r"扣", text) and re.search(r"赔偿|损失|赔(钱|款)?", text) and re.search(r"工资|薪", text) and re.search(r"最多|多少|上限|能扣|可以扣|扣几|合法|违法", text) and not _T_DISMISSAL.search(text):
        _wage_deduction(w)
    if re.search(r"生活护理费|护理费", text) and ("工伤" in text or now.disability_grade is not None):
        _nursing_care(w)
    if re.search(r"哺乳(时间|假)", text) and re.search(r"多久|多长|几个?小时|多少|每天", text):
        _nursing_time(w)

    reappraisal = bool(re.search(r"再次鉴定|重新鉴定|复鉴|(鉴定|等级).{0,12}不服|不服.{0,12}(鉴定|等级)", text)) and deadline_ask
    suit = bool(re.search(r"裁决", text) and re.search(r"起诉|法院|打官司", text)) and deadline_ask
    registration = bool(re.search(r"社保登记|社会保险登记|(办|办理|上|交|缴|参加)(了)?社保|参保", text)) and bool(re.search(r"最晚|最迟|哪天|多久|几天|期限|多长时间|之内|以内", text))
    annul = bool(re.search(r"撤销", text) and re.search(r"裁决", text)) and deadline_ask
    suit = suit and not (annul and not re.search(r"起诉|打官司", text))
    if reappraisal or suit or registration or annul:
        _paper_deadlines(w, reappraisal=reappraisal, suit=suit, registration=registration, annul=annul)
        arbitration = arbitration and not suit
    award_term = ("仲裁" in text and bool(_T_AWARD_TERM.search(text)) and deadline_ask
                  and not re.search(r"收到.{0,6}裁决|裁决书", text))
    if award_term:
        _award_term(w)
        arbitration = False
    mediation = bool(re.search(r"调解", text) and re.search(r"十五天|15天|十五日|15日|调不成|没调成|调解不成|期限|多久|几天|哪天|什么时候|最晚", text)) and deadline_ask
    if mediation:
        _mediation(w)
        arbitration = arbitration and not re.search(r"十五天|15天|十五日|15日|期限", text)
    if re.search(r"滞纳金", text) and re.search(r"社保|社会保险|保险费", text):
        _late_fee(w)
    if re.search(r"连续(驾驶|开车|开)|疲劳驾驶|一直(开|没停)|不停(地)?开", text) and re.search(r"几个?小时|多久|多长时间|最多|几点|停|歇|休息", text):
        _driving_limit(w)
    if claim or decision or arbitration or resign or papers:
        _deadlines(w, claim=claim, decision=decision, arbitration=arbitration, resign=resign, papers=papers)
    return CalcResult(tuple(w.calcs), tuple(w.missing.values()), f)


__all__ = [
    "CalcResult",
    "Calculation",
    "Cite",
    "ContractType",
    "FactName",
    "Facts",
    "Kind",
    "MissingFact",
    "Unit",
    "add_months",
    "calculate",
    "leave_days",
    "maternity_days",
    "miscarriage_days",
    "months_between",
    "first_person",
    "normalize",
    "parse_number",
    "period_end",
    "probation_limit",
    "read_facts",
    "severance_months",
]
