"""算一算 (bot/calculator.py): every expected number below is worked out by hand from the article."""
from dataclasses import FrozenInstanceError
from datetime import date
from decimal import Decimal

import pytest

from bot.calculator import (
    Cite,
    ContractType,
    FactName,
    Facts,
    Kind,
    Unit,
    add_months,
    calculate,
    leave_days,
    maternity_days,
    miscarriage_days,
    parse_number,
    period_end,
    probation_limit,
    read_facts,
    severance_months,
)

TODAY = date(2026, 5, 20)
LHF = "laodong-hetong-fa"


def only(result, kind):
    found = [c for c in result.calculations if c.kind == kind]
    assert len(found) == 1, [c.kind for c in result.calculations]
    return found[0]


def kinds(result):
    return {c.kind for c in result.calculations}


# ------------------------------------------------------------------------------ reading numbers


@pytest.mark.parametrize(
    "token, value",
    [("7千5", 7500), ("1.2万", 12000), ("一万二", 12000), ("8k", 8000), ("六千", 6000), ("两千八", 2800),
     ("十五", 15), ("一百零五", 105), ("７５００", 7500), ("7.5k", 7500), ("三千五百", 3500), ("2万3千", 23000)],
)
def test_parse_number(token, value):
    assert parse_number(token) == Decimal(value)


@pytest.mark.parametrize("text", ["月薪7千5", "7500块，被开了", "一个月七千五", "工资7.5k", "月薪７５００元", "每個月7500塊", "月薪七千五百元"])
def test_wage_phrasings(text):
    assert read_facts(text, today=TODAY).monthly_wage == Decimal(7500)


@pytest.mark.parametrize("text, value", [("月薪1.2万", 12000), ("工资8k", 8000), ("一个月六千", 6000), ("月入一万二", 12000)])
def test_more_wage_phrasings(text, value):
    assert read_facts(text, today=TODAY).monthly_wage == Decimal(value)


@pytest.mark.parametrize("text", ["欠了我两个月工资共15000元", "押金2000块", "每天加班2小时", "赔了我5000块医药费", "拿了3000块补偿"])
def test_amounts_that_are_not_the_monthly_wage(text):
    assert read_facts(text, today=TODAY).monthly_wage is None


def test_thousands_separator_but_not_a_list_of_amounts():
    assert read_facts("月薪7,500元", today=TODAY).monthly_wage == Decimal(7500)
    assert read_facts("月薪7500，300块补贴", today=TODAY).monthly_wage == Decimal(7500)


def test_wage_with_duo_is_approximate():
    facts = read_facts("工资6千多", today=TODAY)
    assert facts.monthly_wage == Decimal(6000) and facts.wage_approx


@pytest.mark.parametrize(
    "text, months",
    [("干了3年5个月", 41), ("工作了两年半", 30), ("做了8个月", 8), ("在这家公司待了3年", 36), ("工作了一年零三个月", 15),
     ("幹了兩年", 24), ("送了两年外卖", 24), ("做了半年", 6)],
)
def test_service_phrasings(text, months):
    facts = read_facts(text, today=TODAY)
    assert facts.service_months == months and facts.service_upto is None


def test_yinian_duo_is_a_range_and_approximate():
    facts = read_facts("入职一年多", today=TODAY)
    assert (facts.service_months, facts.service_upto, facts.service_approx) == (13, 23, True)


def test_career_is_not_service():
    facts = read_facts("参加工作12年，在这家干了3年", today=TODAY)
    assert facts.career_months == 144 and facts.service_months == 36
    traditional = read_facts("參加工作12年，我3月1日進的公司", today=TODAY)
    assert traditional.career_months == 144 and traditional.start_date == date(2026, 3, 1)


@pytest.mark.parametrize(
    "text, field, day",
    [("上个月15号被开", "end_date", date(2026, 4, 15)), ("3月2日出的事", "incident_date", date(2026, 3, 2)),
     ("2026年1月5日入职", "start_date", date(2026, 1, 5)), ("昨天被车撞了", "incident_date", date(2026, 5, 19)),
     ("二〇二五年十二月一日入职", "start_date", date(2025, 12, 1)), ("2025/10/15来的公司", "start_date", date(2025, 10, 15))],
)
def test_dates_and_what_happened_on_them(text, field, day):
    assert getattr(read_facts(text, today=TODAY), field) == day


def test_dates_without_a_year_roll_back_across_new_year():
    facts = read_facts("12月28日出的事，上个月15号被辞退", today=date(2026, 1, 10))
    assert facts.incident_date == date(2025, 12, 28) and facts.end_date == date(2025, 12, 15)


def test_contract_and_probation_terms():
    facts = read_facts("签了两年合同，试用期半年", today=TODAY)
    assert facts.contract_type is ContractType.FIXED and facts.contract_months == 24
    assert facts.probation_months == 6 and facts.written_contract is True
    assert read_facts("合同三年", today=TODAY).contract_months == 36
    assert read_facts("签的是无固定期限合同", today=TODAY).contract_type is ContractType.OPEN_ENDED


def test_flags_no_contract_unlawful_notice():
    assert read_facts("公司一直没跟我签合同", today=TODAY).written_contract is False
    assert read_facts("老板无故开除了我", today=TODAY).unlawful_dismissal is True
    assert read_facts("违法辞退", today=TODAY).unlawful_dismissal is True
    assert read_facts("这算违法辞退吗", today=TODAY).unlawful_dismissal is None
    assert read_facts("没提前通知就把我开了", today=TODAY).notice_given is False


def test_births_second_child_is_not_twins_and_caesarean_is_not_difficult():
    second = read_facts("生二胎，剖腹产", today=TODAY)
    assert second.babies is None and second.birth_order == 2
    assert second.caesarean is True and second.difficult_birth is None
    assert read_facts("生了双胞胎，难产", today=TODAY).babies == 2
    assert read_facts("剖腹产算难产吗", today=TODAY).difficult_birth is None
    assert read_facts("不是难产", today=TODAY).difficult_birth is False


def test_overtime_hours_by_kind():
    facts = read_facts("周末加了16个小时，平时每天加班2小时，一个月22天，国庆节加了一天班", today=TODAY)
    assert facts.overtime_rest_hours == 16
    assert (facts.overtime_daily_hours, facts.overtime_workday_days) == (2, 22)
    assert facts.overtime_holiday_hours == 8  # one day = 8 hours


# ------------------------------------------------------------------------------ 经济补偿 / 赔偿金


@pytest.mark.parametrize(
    "months, days, expected",
    [(5, 0, "0.5"), (5, 29, "0.5"), (6, 0, "1"), (11, 0, "1"), (12, 0, "1"), (12, 10, "1.5"), (17, 0, "1.5"), (18, 0, "2"), (41, 0, "3.5"), (0, 3, "0.5")],
)
def test_severance_months_at_the_edges(months, days, expected):
    assert severance_months(months, days) == Decimal(expected)


def test_severance_example_sentence():
    result = calculate("干了3年5个月被辞退，月薪7千5，能拿多少补偿？", today=TODAY)
    calc = only(result, Kind.SEVERANCE)
    assert calc.value == Decimal(26250) and calc.unit is Unit.YUAN
    assert calc.sentence == "按工作3年5个月、月工资7500元算，经济补偿是3.5个月工资，共26250元。"
    assert calc.formula == "3.5 × 7500 = 26250"
    assert Cite(LHF, "第四十七条") in calc.cites
    assert any("3倍" in c and "不知道" in c for c in calc.caveats)
    assert not result.missing


def test_severance_two_and_a_half_years_is_three_months():
    calc = only(calculate("工作了两年半，月薪1.2万，公司裁员，补偿多少", today=TODAY), Kind.SEVERANCE)
    assert calc.value == Decimal(36000)  # 2 full years + 6 months (counts as one year) = 3 × 12000


def test_severance_yinian_duo_says_approximate():
    calc = only(calculate("入职一年多被开了，工资8k，赔多少", today=TODAY), Kind.SEVERANCE)
    assert calc.value == Decimal(12000)  # at least 1 year 1 month: 1.5 × 8000
    assert "约" in calc.sentence and any("2个月" in c for c in calc.caveats)


def test_severance_under_a_month_is_half_a_month_and_exact():
    calc = only(calculate("干了不到一个月就被辞退了，月薪5000，有多少补偿", today=TODAY), Kind.SEVERANCE)
    assert calc.value == Decimal(2500) and "约" not in calc.sentence


def test_severance_from_dates():
    # 2023-03-10 to 2026-04-15: 3 years 1 month 6 days → 3.5 months × 5000.
    calc = only(calculate("2023年3月10日入职，上个月15号被辞退，月薪5000，补偿多少", today=TODAY), Kind.SEVERANCE)
    assert calc.value == Decimal(17500)


def test_traditional_and_full_width_questions():
    calc = only(calculate("幹了3年5個月被辭退，月薪7千5，能拿多少補償？", today=TODAY), Kind.SEVERANCE)
    assert calc.value == Decimal(26250)
    calc = only(calculate("工作了２年，月薪８０００元，公司裁員，補償怎麼算", today=TODAY), Kind.SEVERANCE)
    assert calc.value == Decimal(16000)


def test_unlawful_dismissal_is_twice_and_replaces_severance():
    result = calculate("做了8个月，一个月六千，被无故开除了，能赔多少", today=TODAY)
    calc = only(result, Kind.UNLAWFUL_DISMISSAL)
    assert calc.value == Decimal(12000)  # 8 months → 1 month; 2 × 1 × 6000
    assert Cite(LHF, "第八十七条") in calc.cites and Kind.SEVERANCE not in kinds(result)


def test_asking_whether_unlawful_gives_both_figures():
    result = calculate("这算违法辞退吗？干了5个月，月薪6000", today=TODAY)
    assert only(result, Kind.SEVERANCE).value == Decimal(3000)
    conditional = only(result, Kind.UNLAWFUL_DISMISSAL)
    assert conditional.value == Decimal(6000) and conditional.sentence.startswith("如果")


def test_notice_pay_when_no_notice_but_not_for_layoffs():
    result = calculate("没提前通知就把我辞退了，干了2年，月薪8000，能拿多少", today=TODAY)
    assert only(result, Kind.SEVERANCE).value == Decimal(16000)
    assert only(result, Kind.NOTICE_PAY).value == Decimal(8000)
    assert Kind.NOTICE_PAY not in kinds(calculate("公司裁员，没提前通知，干了2年，月薪8000，补偿多少", today=TODAY))


def test_missing_service_and_wage_are_asked():
    result = calculate("被辞退了能拿多少补偿？", today=TODAY)
    assert not result.calculations
    assert [m.name for m in result.missing] == [FactName.SERVICE, FactName.WAGE]
    service = result.missing[0]
    assert "多久" in service.ask and 2 <= len(service.choices) <= 4


def test_a_tapped_choice_is_read_back():
    result = calculate("被辞退了能拿多少补偿（干了半年到一年）", today=TODAY)
    assert only(result, Kind.SEVERANCE).value == Decimal(1)  # 6 to 11 months: one month either way


# ------------------------------------------------------------------------------ 二倍工资


def test_double_wage_from_start_date_to_today():
    # Extra wage from 2025-07-10 (a full month after 2025-06-10) to today: 10 whole months (+11 days).
    result = calculate("2025年6月10日入职，一直没签合同，月薪6000，能要多少二倍工资", today=TODAY)
    calc = only(result, Kind.DOUBLE_WAGE)
    assert calc.value == Decimal(60000)
    assert Cite("laodong-hetong-fa-shishi-tiaoli", "第六条") in calc.cites
    assert any("11天" in c for c in calc.caveats)


def test_double_wage_stops_at_eleven_months_and_open_ended_contract_is_deemed():
    result = calculate("2024年3月1日入职，一直没签合同，月薪5000，二倍工资多少", today=TODAY)
    assert only(result, Kind.DOUBLE_WAGE).value == Decimal(55000)  # 11 × 5000
    assert only(result, Kind.OPEN_ENDED_FROM).value == date(2025, 3, 1)


def test_double_wage_leap_day_start():
    result = calculate("2024年2月29日入职，没签劳动合同，月薪4000", today=TODAY)
    assert only(result, Kind.DOUBLE_WAGE).value == Decimal(44000)
    assert only(result, Kind.OPEN_ENDED_FROM).value == date(2025, 2, 28)


def test_double_wage_not_yet_due_in_the_first_month():
    calc = only(calculate("5月1日入职，没签合同，月薪5000，二倍工资多少", today=TODAY), Kind.DOUBLE_WAGE)
    assert calc.value == 0 and "2026年6月1日" in calc.sentence


def test_double_wage_stops_when_the_job_ended():
    # 2025-02-01 to 2025-08-31: 7 whole months.
    result = calculate("2025年1月1日入职，2025年8月31日离职，一直没签合同，月薪5000，二倍工资多少", today=TODAY)
    assert only(result, Kind.DOUBLE_WAGE).value == Decimal(35000)
    assert Kind.OPEN_ENDED_FROM not in kinds(result)


def test_double_wage_from_service_length():
    calc = only(calculate("干了8个月没签合同，月薪6000", today=TODAY), Kind.DOUBLE_WAGE)
    assert calc.value == Decimal(42000)  # (8 − 1) × 6000


# ------------------------------------------------------------------------------ 试用期


@pytest.mark.parametrize(
    "kind, months, limit",
    [(ContractType.FIXED, 2, 0), (ContractType.FIXED, 3, 1), (ContractType.FIXED, 11, 1), (ContractType.FIXED, 12, 2),
     (ContractType.FIXED, 35, 2), (ContractType.FIXED, 36, 6), (ContractType.OPEN_ENDED, None, 6), (ContractType.TASK, None, 0)],
)
def test_probation_limit_at_the_edges(kind, months, limit):
    assert probation_limit(kind, months) == limit


def test_probation_exceeding_the_limit():
    calc = only(calculate("签了两年合同，试用期6个月，合法吗", today=TODAY), Kind.PROBATION_LIMIT)
    assert calc.value == 2 and "超了4个月" in calc.sentence
    assert Cite(LHF, "第八十三条") in calc.cites


def test_probation_three_year_contract_and_short_contract():
    assert only(calculate("合同三年，试用期最长多久", today=TODAY), Kind.PROBATION_LIMIT).value == 6
    calc = only(calculate("合同签了两个月，试用期一个月", today=TODAY), Kind.PROBATION_LIMIT)
    assert calc.value == 0 and "不得约定试用期" in calc.sentence


def test_probation_wage_floor():
    result = calculate("月薪7500，试用期工资5000合法吗", today=TODAY)
    calc = only(result, Kind.PROBATION_WAGE)
    assert calc.value == Decimal(6000) and "低于" in calc.sentence
    assert any("最低工资" in c for c in calc.caveats)
    assert not result.missing  # the wage question needs no contract term


# ------------------------------------------------------------------------------ 加班费


def test_overtime_all_three_kinds():
    result = calculate("周末加了16个小时，平时每天加班2小时，一个月22天，国庆节加了一天班，月薪7500，加班费多少", today=TODAY)
    # hourly = 7500 ÷ 21.75 ÷ 8 = 43.1034…
    assert only(result, Kind.OVERTIME_WORKDAY).value == Decimal("2844.83")  # × 150% × 44
    assert only(result, Kind.OVERTIME_REST_DAY).value == Decimal("1379.31")  # × 200% × 16
    assert only(result, Kind.OVERTIME_HOLIDAY).value == Decimal("1034.48")  # × 300% × 8
    assert only(result, Kind.OVERTIME_TOTAL).value == Decimal("5258.62")
    assert only(result, Kind.OVERTIME_WORKDAY).formula == "7500 ÷ 21.75 ÷ 8 × 150% × 44 = 2844.83"


def test_overtime_rounds_only_at_the_end():
    # 5000 ÷ 21.75 ÷ 8 × 1.5 × 10 = 431.03 (rounding the hourly wage first would give 431.10).
    calc = only(calculate("平时加班10小时，月薪5000，加班费多少", today=TODAY), Kind.OVERTIME_WORKDAY)
    assert calc.value == Decimal("431.03")


def test_rest_day_with_time_off_in_lieu_is_not_paid():
    calc = only(calculate("周六加班8小时，安排了调休，月薪6000，加班费多少", today=TODAY), Kind.OVERTIME_REST_DAY)
    assert calc.value == 0


def test_overtime_kind_unknown_is_asked_and_the_choice_answers_it():
    first = calculate("这个月加班30小时，月薪6000，加班费多少", today=TODAY)
    assert not first.calculations and first.missing[0].name is FactName.OVERTIME_KIND
    answered = calculate("这个月加班30小时，月薪6000，加班费多少（周末）", today=TODAY)
    assert only(answered, Kind.OVERTIME_REST_DAY).value == Decimal("2068.97")  # 6000 ÷ 21.75 ÷ 8 × 2 × 30


def test_overtime_per_day_needs_the_number_of_days():
    result = calculate("平时每天加班2小时，月薪6000，加班费多少", today=TODAY)
    assert [m.name for m in result.missing] == [FactName.OVERTIME_DAYS]


# ------------------------------------------------------------------------------ 年休假


@pytest.mark.parametrize("months, days", [(11, 0), (12, 5), (108, 5), (119, 5), (120, 10), (239, 10), (240, 15), (400, 15)])
def test_leave_days_at_9_10_20_years(months, days):
    assert leave_days(months) == days


def test_leave_for_twelve_years():
    calc = only(calculate("参加工作12年，年假有几天", today=TODAY), Kind.ANNUAL_LEAVE)
    assert calc.value == 10 and calc.unit is Unit.DAY


def test_unused_leave_pay_is_the_extra_200_percent():
    result = calculate("月薪7500，今年年假一天都没休，参加工作9年，能补多少钱", today=TODAY)
    calc = only(result, Kind.UNUSED_LEAVE_PAY)
    assert calc.value == Decimal("3448.28")  # 5 × 7500 ÷ 21.75 × 2
    assert Cite("qiye-zhigong-daixin-nianxiujia-banfa", "第十条") in calc.cites


def test_leave_pro_rata_for_a_new_joiner():
    # 2026-07-01 to 2026-12-31: 184 days; 184 ÷ 365 × 5 = 2.52 → 2 days.
    calc = only(calculate("今年7月1日入职的，参加工作5年，年假几天", today=date(2026, 8, 1)), Kind.LEAVE_THIS_YEAR)
    assert calc.value == 2


def test_leave_pro_rata_when_leaving():
    # 1 Jan to 30 Jun 2026: 181 days; 181 ÷ 365 × 10 = 4.96 → 4; minus 3 taken = 1 day × 9000 ÷ 21.75 × 2.
    result = calculate("6月30日离职，参加工作15年，今年休了3天年假，月薪9000，没休的年假折算多少钱", today=TODAY)
    assert only(result, Kind.LEAVE_THIS_YEAR).value == 4
    assert only(result, Kind.UNUSED_LEAVE_PAY).value == Decimal("827.59")


def test_leave_needs_cumulative_years():
    result = calculate("年假有几天", today=TODAY)
    assert not result.calculations and result.missing[0].name is FactName.CAREER


# ------------------------------------------------------------------------------ 产假


@pytest.mark.parametrize("babies, difficult, days", [(1, False, 98), (1, True, 113), (2, False, 113), (2, True, 128), (3, True, 143)])
def test_maternity_days(babies, difficult, days):
    assert maternity_days(babies=babies, difficult=difficult) == days


def test_twins_and_difficult_birth():
    calc = only(calculate("生了双胞胎，难产，产假几天", today=TODAY), Kind.MATERNITY_LEAVE)
    assert calc.value == 128 and Cite("nvzhigong-laodong-baohu-guiding", "第七条") in calc.cites
    assert any("当地" in c for c in calc.caveats)


def test_caesarean_second_child_is_98_days_with_caveats():
    calc = only(calculate("生二胎，剖腹产，产假多少天", today=TODAY), Kind.MATERNITY_LEAVE)
    assert calc.value == 98
    assert any("剖腹产本身不等于难产" in c for c in calc.caveats)


@pytest.mark.parametrize("text, days", [("怀孕3个月流产，能休几天", 15), ("怀孕4个月流产，产假多少天", 42), ("怀孕不到4个月流产，能休几天", 15), ("怀孕三个多月流产，休几天", 15)])
def test_miscarriage_leave(text, days):
    assert only(calculate(text, today=TODAY), Kind.MATERNITY_LEAVE).value == days
    assert miscarriage_days(3) == 15 and miscarriage_days(4) == 42


# ------------------------------------------------------------------------------ 工伤


@pytest.mark.parametrize("grade, months, article", [("一", 27, "第三十五条"), ("四", 21, "第三十五条"), ("五", 18, "第三十六条"), ("六", 16, "第三十六条"), ("七", 13, "第三十七条"), ("十", 7, "第三十七条")])
def test_disability_grant_months(grade, months, article):
    calc = only(calculate(f"评了{grade}级伤残，一次性伤残补助金有几个月", today=TODAY), Kind.DISABILITY_GRANT)
    assert calc.value == months and calc.unit is Unit.MONTH
    assert Cite("gongshang-baoxian-tiaoli", article) in calc.cites


def test_disability_grant_amount():
    calc = only(calculate("评了九级伤残，月工资6000，能赔多少", today=TODAY), Kind.DISABILITY_GRANT)
    assert calc.value == Decimal(54000)  # 9 × 6000
    assert any("300%" in c for c in calc.caveats)


def test_injury_without_grade_asks_and_gives_the_leave_limit():
    result = calculate("工伤赔多少", today=TODAY)
    assert only(result, Kind.INJURY_LEAVE).value == 12
    assert result.missing[0].name is FactName.DISABILITY_GRADE


# ------------------------------------------------------------------------------ 期限


@pytest.mark.parametrize(
    "start, kwargs, end",
    [(date(2026, 3, 15), {"years": 1}, date(2027, 3, 15)), (date(2024, 2, 29), {"years": 1}, date(2025, 2, 28)),
     (date(2026, 3, 15), {"days": 30}, date(2026, 4, 14)), (date(2028, 1, 31), {"months": 1}, date(2028, 2, 29))],
)
def test_period_end(start, kwargs, end):
    assert period_end(start, **kwargs) == end
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_injury_claim_deadlines():
    result = calculate("2026年3月15日出的车祸，申请工伤认定最晚哪天", today=TODAY)
    assert only(result, Kind.INJURY_CLAIM_EMPLOYER).value == date(2026, 4, 14)
    worker = only(result, Kind.INJURY_CLAIM_WORKER)
    assert worker.value == date(2027, 3, 15) and "2027年3月15日" in worker.sentence
    assert worker.cites == (Cite("gongshang-baoxian-tiaoli", "第十七条"),)


def test_injury_claim_on_leap_day():
    result = calculate("2024年2月29日受的伤，自己申请工伤认定截止哪天", today=TODAY)
    assert only(result, Kind.INJURY_CLAIM_WORKER).value == date(2025, 2, 28)


def test_arbitration_deadline_with_unpaid_wage_caveat():
    calc = only(calculate("上个月15号被开，拖欠的工资还能去仲裁吗，时效多久", today=TODAY), Kind.ARBITRATION)
    assert calc.value == date(2027, 4, 15)
    assert Cite("laodong-zhengyi-tiaojie-zhongcai-fa", "第二十七条") in calc.cites
    assert any("拖欠工资" in c for c in calc.caveats)


def test_resignation_notice_thirty_days_or_three_in_probation():
    assert only(calculate("我想辞职，要提前多久", today=TODAY), Kind.RESIGNATION_NOTICE).value == date(2026, 6, 19)
    assert only(calculate("还在试用期，辞职要提前几天", today=TODAY), Kind.RESIGNATION_NOTICE).value == date(2026, 5, 23)


def test_leaving_papers_and_decision_deadlines():
    assert only(calculate("昨天被辞退了，单位多久要给我转档案", today=TODAY), Kind.LEAVING_PAPERS).value == date(2026, 6, 3)
    assert only(calculate("4月1日受理的工伤认定，多久出结果", today=TODAY), Kind.INJURY_DECISION).value == date(2026, 5, 31)


def test_deadline_without_a_date_gives_the_period_and_asks():
    result = calculate("工伤认定要在多久内申请？", today=TODAY)
    calc = only(result, Kind.INJURY_CLAIM_EMPLOYER)
    assert (calc.value, calc.unit) == (30, Unit.DAY)
    assert result.missing[0].name is FactName.INCIDENT_DATE


# ------------------------------------------------------------------------------ conversation


def test_earlier_facts_fill_gaps():
    first = calculate("被辞退了能拿多少补偿？我月薪6000", today=TODAY)
    assert [m.name for m in first.missing] == [FactName.SERVICE]
    second = calculate("干了3年，被辞退能拿多少补偿", today=TODAY, facts=first.facts)
    assert only(second, Kind.SEVERANCE).value == Decimal(18000)


def test_facts_in_the_question_win_over_earlier_ones():
    earlier = read_facts("入职一年多，月薪6000", today=TODAY)
    result = calculate("我记错了，干了5年，被辞退能拿多少", today=TODAY, facts=earlier)
    calc = only(result, Kind.SEVERANCE)
    assert calc.value == Decimal(30000) and "约" not in calc.sentence
    assert result.facts.service_upto is None and result.facts.service_approx is False


def test_earlier_turn_and_hypothetical_unlawful():
    earlier = Facts(service_months=36, monthly_wage=Decimal(6000))
    result = calculate("那如果是违法辞退呢，能拿多少", today=TODAY, facts=earlier)
    assert only(result, Kind.UNLAWFUL_DISMISSAL).value == Decimal(36000)


@pytest.mark.parametrize(
    "question",
    ["被辞退了能拿多少补偿？", "签了合同，试用期6个月合法吗", "这个月加班30小时，月薪6000，加班费多少", "平时每天加班2小时，月薪6000，加班费多少",
     "工伤赔多少", "年假有几天", "工伤认定要多久内申请"],
)
def test_every_tap_choice_answers_its_question(question):
    # The bot sends a tapped choice back as 「question（choice）」.
    asked = calculate(question, today=TODAY).missing
    assert asked
    for missing in asked:
        for choice in missing.choices:
            again = calculate(f"{question}（{choice}）", today=TODAY)
            assert missing.name not in {m.name for m in again.missing}, choice
            assert again.calculations or len(asked) > 1, choice


# ------------------------------------------------------------------------------ no number asked


@pytest.mark.parametrize(
    "text",
    ["送外卖路上被车撞了，算工伤吗？", "平台不给交社保怎么办", "被辞退了有补偿吗", "没签合同怎么办", "试用期可以随时辞退吗",
     "我是骑手，问一下最低工资是多少", "产假期间能被辞退吗", "跑单时候被狗咬了算不算工伤", "怀孕了能休几天产检假",
     "平台规定每天最多加班多少小时"],
)
def test_questions_not_about_a_number(text):
    result = calculate(text, today=TODAY)
    assert not result.calculations and not result.missing


# ------------------------------------------------------------------------------ output form

BATTERY = [
    "干了3年5个月被辞退，月薪7千5，能拿多少补偿？", "2024年3月1日入职，一直没签合同，月薪5000，二倍工资多少",
    "签了两年合同，试用期6个月，合法吗", "月薪7500，试用期工资5000合法吗",
    "周末加了16个小时，平时每天加班2小时，一个月22天，国庆节加了一天班，月薪7500，加班费多少",
    "6月30日离职，参加工作15年，今年休了3天年假，月薪9000，没休的年假折算多少钱", "生了三胞胎，难产，产假几天",
    "评了五级伤残，月工资12000，能赔多少", "2026年3月15日出的车祸，申请工伤认定最晚哪天", "上个月15号被开，还能仲裁吗",
    "我想辞职，要提前多久", "昨天被辞退了，单位多久要给我转档案", "这算违法辞退吗？入职一年多，月薪1.2万",
]


@pytest.mark.parametrize("text", BATTERY)
def test_sentences_are_short_plain_and_carry_the_number(text):
    result = calculate(text, today=TODAY)
    assert result.calculations
    known = {LHF, "laodong-hetong-fa-shishi-tiaoli", "laodong-fa", "yueping-gongzuo-shijian-tongzhi", "zhigong-daixin-nianxiujia-tiaoli",
             "qiye-zhigong-daixin-nianxiujia-banfa", "nvzhigong-laodong-baohu-guiding", "gongshang-baoxian-tiaoli",
             "laodong-zhengyi-tiaojie-zhongcai-fa", "zhigong-gongzuo-shijian-guiding"}
    for calc in result.calculations:
        assert len(calc.sentence) <= 70 and calc.sentence.endswith("。")
        assert any(ch.isdigit() for ch in calc.sentence)
        assert calc.cites and all(c.doc_id in known and (c.article.startswith("第") or c.article == "全文") for c in calc.cites)
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in caveat) for caveat in calc.caveats)
        if calc.unit is Unit.DATE:
            assert isinstance(calc.value, date)
        else:
            assert isinstance(calc.value, (int, Decimal))


def test_results_are_frozen_and_kinds_are_enums():
    result = calculate("干了3年被辞退，月薪6000，补偿多少", today=TODAY)
    calc = result.calculations[0]
    assert isinstance(calc.kind, Kind) and calc.kind == "经济补偿"
    with pytest.raises(FrozenInstanceError):
        calc.value = Decimal(0)  # type: ignore[misc]


# ------------------------------------------------------------------------------ reading more phrasings


def test_wage_after_an_adverb():
    facts = read_facts("税前工资基本都是6800左右", today=TODAY)
    assert facts.monthly_wage == Decimal(6800) and facts.wage_approx
    assert read_facts("到手一直是5000", today=TODAY).monthly_wage == Decimal(5000)


@pytest.mark.parametrize("text, months", [("跑货车4年3个月", 51), ("进这家超市才5个月", 5), ("送快递两年了", 24), ("在车队开大车三年", 36)])
def test_service_with_the_work_named(text, months):
    assert read_facts(text, today=TODAY).service_months == months


def test_local_figures_are_not_the_workers_wage():
    facts = read_facts("当地社平工资9000，我工资5000，最低工资标准每月2100", today=TODAY)
    assert facts.monthly_wage == Decimal(5000)
    assert facts.local_average_wage == Decimal(9000) and facts.minimum_wage == Decimal(2100)


def test_annual_income_is_not_a_monthly_wage():
    facts = read_facts("去年收入12万", today=TODAY)
    assert facts.annual_income == Decimal(120000)
    assert facts.monthly_wage == Decimal(10000) and facts.wage_approx  # about a twelfth
    assert read_facts("年薪18万，月薪1.5万", today=TODAY).monthly_wage == Decimal(15000)


def test_wage_from_a_total_over_months():
    result = calculate("做了6个月，6个月工资一共36000，双方协商解除，补偿多少", today=TODAY)
    calc = only(result, Kind.SEVERANCE)
    assert calc.value == Decimal(6000)  # 36000 ÷ 6 = 6000; 6 months count as a year
    assert calc.formula.startswith("36000 ÷ 6 = 6000")
    assert Cite("laodong-hetong-fa-shishi-tiaoli", "第二十七条") in calc.cites


def test_owed_wages_over_months_are_not_the_wage():
    facts = read_facts("公司欠了我3个月工资一共18000", today=TODAY)
    assert facts.monthly_wage is None and facts.claim_amount == Decimal(18000)


# ------------------------------------------------------------------------------ more dismissal rules


@pytest.mark.parametrize(
    "text, value",
    [("老板没说任何理由就把我辞退了，干了2年8个月，月薪9000，能拿多少", 54000),  # 2 × 3 × 9000
     ("一句话就叫我走，做了10个月，月薪5000，能要多少", 10000)],  # 2 × 1 × 5000
)
def test_dismissal_without_any_reason_is_unlawful(text, value):
    result = calculate(text, today=TODAY)
    assert only(result, Kind.UNLAWFUL_DISMISSAL).value == Decimal(value)
    assert Kind.SEVERANCE not in kinds(result)


def test_notice_pay_at_last_months_wage_and_the_total_leads():
    text = "公司说我不胜任，没提前30天通知就辞退了，干了4年2个月，上个月工资8200，平均月工资8000，一共能拿多少"
    assert read_facts(text, today=TODAY).notice_given is False
    result = calculate(text, today=TODAY)
    assert only(result, Kind.SEVERANCE).value == Decimal(36000)  # 4.5 × 8000
    notice = only(result, Kind.NOTICE_PAY)
    assert notice.value == Decimal(8200) and Cite("laodong-hetong-fa-shishi-tiaoli", "第二十条") in notice.cites
    total = only(result, Kind.TOTAL)
    assert result.calculations[0] is total
    assert total.value == Decimal(44200) and total.formula == "36000 + 8200 = 44200"
    assert "44200" in total.sentence and len(total.sentence) <= 70


def test_notice_pay_named_as_an_extra_month():
    result = calculate("单位说经济情况变了，多给我一个月工资让我走，干了3年，月薪6000，总共多少", today=TODAY)
    assert only(result, Kind.TOTAL).value == Decimal(24000)  # 3 × 6000 + 6000


def test_fixed_term_contract_expiring_without_renewal():
    result = calculate("三年合同到期了，单位不续签，干了6年，月薪7000，有补偿吗", today=TODAY)
    calc = only(result, Kind.SEVERANCE)
    assert calc.value == Decimal(42000)
    assert Cite(LHF, "第四十四条") in calc.cites and any("原条件" in c for c in calc.caveats)
    early = only(calculate("合同还没到期就让我走了，干了1年，月薪5000，能拿多少", today=TODAY), Kind.SEVERANCE)
    assert not any("原条件" in c for c in early.caveats)


def test_task_contract_ending_with_the_task():
    text = "合同约定干完这个工程就终止，工程干了10个月结束了，月薪6000，有补偿吗"
    assert read_facts(text, today=TODAY).contract_type is ContractType.TASK
    calc = only(calculate(text, today=TODAY), Kind.SEVERANCE)
    assert calc.value == Decimal(6000)
    assert Cite("laodong-hetong-fa-shishi-tiaoli", "第二十二条") in calc.cites


def test_back_pay_from_dismissal_to_the_day_before_work_resumed():
    text = "2026年1月31日公司违法辞退我，仲裁后恢复劳动关系，2026年5月1日回单位上班，月薪5500，中间的工资能要多少"
    facts = read_facts(text, today=TODAY)
    assert (facts.end_date, facts.resume_date) == (date(2026, 1, 31), date(2026, 5, 1))
    result = calculate(text, today=TODAY)
    calc = only(result, Kind.BACK_PAY)
    assert calc.value == Decimal(16500)  # 2026-02-01 to 2026-04-30: 3 months × 5500
    assert calc.cites[0] == Cite("laodong-zhengyi-jieshi-2", "第十八条")
    assert Kind.UNLAWFUL_DISMISSAL not in kinds(result)
    months = only(calculate("违法解除后仲裁裁决继续履行，我有4个月没上班，月薪5000，工资能补多少", today=TODAY), Kind.BACK_PAY)
    assert months.value == Decimal(20000)


def test_fifteen_years_and_near_retirement_bars_dismissal_for_article_40_or_41():
    result = calculate("在这个厂连续干了18年，还有两年就退休了，厂里说要裁员，能裁我吗", today=TODAY)
    bar = result.calculations[0]
    assert bar.kind is Kind.DISMISSAL_BAR and bar.cites[0] == Cite(LHF, "第四十二条")
    assert "15" in bar.sentence and "5" in bar.sentence and len(bar.sentence) <= 70
    assert Kind.SEVERANCE not in kinds(result)
    assert only(result, Kind.UNLAWFUL_DISMISSAL).sentence.startswith("单位仍然辞退的")
    assert read_facts("离退休不到5年", today=TODAY).retirement_months == 59
    not_near = calculate("干了18年，离退休还有6年，被裁员了，补偿多少", today=TODAY)
    assert Kind.DISMISSAL_BAR not in kinds(not_near) and Kind.SEVERANCE in kinds(not_near)


def test_union_officer_dismissed_gets_twice_the_annual_income():
    result = calculate("我是车间的工会主席，因为替工人讨薪被公司解除了合同，上一年收入一共9万，能赔多少", today=TODAY)
    calc = only(result, Kind.UNION_DISMISSAL)
    assert calc.value == Decimal(180000) and calc.cites == (Cite("gonghui-fa", "第五十三条"),)
    assert Kind.SEVERANCE not in kinds(result)
    assert not calculate("老板放话谁入工会就开除谁，我该怎么办", today=TODAY).calculations


# ------------------------------------------------------------------------------ more wage rules


def test_late_signing_ends_the_double_wage():
    text = "2025年9月1日来的公司，老板一直不签合同，2026年2月1日才签，月薪4500，二倍工资多少"
    assert read_facts(text, today=TODAY).signed_date == date(2026, 2, 1)
    result = calculate(text, today=TODAY)
    assert only(result, Kind.DOUBLE_WAGE).value == Decimal(18000)  # 2025-10-01 to 2026-01-31: 4 × 4500
    assert Kind.OPEN_ENDED_FROM not in kinds(result)
    assert read_facts("2026年2月10日开始在物流园上班", today=TODAY).start_date == date(2026, 2, 10)


def test_double_wage_from_years_of_service_stops_at_eleven_months():
    calc = only(calculate("跑外卖三年了一直没签合同，二倍工资最多几个月", today=TODAY), Kind.DOUBLE_WAGE)
    assert calc.value == 11 and Cite("laodong-zhengyi-jieshi-2", "第九条") in calc.cites


@pytest.mark.parametrize(
    "text, extra",
    [("每天早8点到晚8点，中午吃饭休息1小时，一周上6天，一周超了多少小时", 26),  # 11 × 6 − 40
     ("做六休一，每天10小时，合法吗", 20), ("每天要干13个小时，合法吗", 5)],  # 60 − 40; 13 − 8 a day
)
def test_hours_beyond_the_standard(text, extra):
    calc = only(calculate(text, today=TODAY), Kind.WORKING_HOURS)
    assert calc.value == extra and calc.unit is Unit.HOUR
    assert calc.cites[0] == Cite("zhigong-gongzuo-shijian-guiding", "第三条") and "36" in calc.sentence
    if any("4.35" in c for c in calc.caveats):  # a month's hours are counted with the 21.75-day month: cited
        assert Cite("yueping-gongzuo-shijian-tongzhi", "全文") in calc.cites


def test_a_whole_working_day_is_not_all_overtime():
    # 11 hours a day is 3 hours over 8; 3 × 26 = 78 hours × 6000 ÷ 21.75 ÷ 8 × 150%.
    calc = only(calculate("每天工作11小时，一个月26天，月薪6000，加班费多少", today=TODAY), Kind.OVERTIME_WORKDAY)
    assert calc.value == Decimal("4034.48")


def test_unused_leave_said_as_not_taken_and_wage_without_overtime():
    result = calculate("年假10天不休了，单位同意给钱，不算加班费月平均工资8700，能给多少", today=TODAY)
    assert only(result, Kind.UNUSED_LEAVE_PAY).value == Decimal(8000)  # 10 × 8700 ÷ 21.75 × 2
    assert not any(c.kind.value.endswith("加班费") for c in result.calculations)
    assert FactName.OVERTIME_HOURS not in {m.name for m in result.missing}
    assert read_facts("年假还有3天都没休", today=TODAY).leave_unused_days == 3


def test_disability_allowance_and_the_local_average_bounds():
    calc = only(calculate("三级伤残，本人工资5000，伤残津贴每月多少", today=TODAY), Kind.DISABILITY_ALLOWANCE)
    assert calc.value == Decimal(4000)  # 80%
    result = calculate("二级伤残，本人工资3000，当地社平工资6000，能拿多少", today=TODAY)
    assert only(result, Kind.DISABILITY_GRANT).value == Decimal(90000)  # 25 × 3600 (60% of 6000)
    assert only(result, Kind.DISABILITY_ALLOWANCE).value == Decimal(3060)  # 85% × 3600
    assert Kind.DISABILITY_ALLOWANCE not in kinds(calculate("评了五级伤残，月工资6000，能赔多少", today=TODAY))


def test_severance_cap_when_the_local_average_is_given():
    calc = only(calculate("干了15年被裁员，月薪40000，当地社平工资10000，补偿多少", today=TODAY), Kind.SEVERANCE)
    assert calc.value == Decimal(360000)  # 12 years at most × 3 × 10000


# ------------------------------------------------------------------------------ more deadlines and dates


def test_final_award_limit_is_twelve_months_of_minimum_wage():
    text = "当地月最低工资2300，公司欠我工资25000，仲裁裁决后公司能去法院起诉吗"
    facts = read_facts(text, today=TODAY)
    assert facts.monthly_wage is None and facts.minimum_wage == Decimal(2300) and facts.claim_amount == Decimal(25000)
    result = calculate(text, today=TODAY)
    calc = only(result, Kind.FINAL_AWARD)
    assert calc.value == Decimal(27600) and "终局" in calc.sentence and "不能起诉" in calc.sentence
    assert Kind.ARBITRATION not in kinds(result)
    over = only(calculate("最低工资2000，欠我3万工资，仲裁裁决后公司还能起诉吗", today=TODAY), Kind.FINAL_AWARD)
    assert "不是终局" in over.sentence


def test_labour_inspection_two_years_from_the_last_violation():
    calc = only(calculate("2024年6月30日是公司最后一次克扣工资，现在向劳动监察举报还管吗", today=TODAY), Kind.INSPECTION_LIMIT)
    assert calc.value == date(2026, 6, 30) and calc.cites == (Cite("laodong-baozhang-jiancha-tiaoli", "第二十条"),)
    assert calc.caveats[0].startswith("按今天算，还在")


@pytest.mark.parametrize("text, paid", [("约定每月5号发工资，2026年9月5日是周六，应该哪天发", date(2026, 9, 4)),
                                        ("2026年9月6日该发工资，那天是星期天，能推迟吗", date(2026, 9, 4))])
def test_pay_day_on_a_weekend_moves_to_the_friday_before(text, paid):
    calc = only(calculate(text, today=TODAY), Kind.PAYDAY)
    assert calc.value == paid and calc.cites[0] == Cite("gongzi-zhifu-zanxing-guiding", "第七条")


def test_pay_day_on_a_weekday_is_left_alone():
    assert Kind.PAYDAY not in kinds(calculate("2026年9月7日发工资，会推迟吗", today=TODAY))


@pytest.mark.parametrize("text", ["先仲裁还是先去法院起诉", "劳动局投诉以后多久有结果", "一级伤残和十级伤残哪个重", "工会能帮我维权吗"])
def test_more_questions_without_a_number_to_work_out(text):
    result = calculate(text, today=TODAY)
    assert not {c.kind for c in result.calculations} & {Kind.FINAL_AWARD, Kind.INSPECTION_LIMIT, Kind.DISABILITY_ALLOWANCE, Kind.UNION_DISMISSAL}


NEW_BATTERY = [
    "公司说我不胜任，没提前30天通知就辞退了，干了4年2个月，上个月工资8200，平均月工资8000，一共能拿多少",
    "2026年1月31日公司违法辞退我，仲裁后恢复劳动关系，2026年5月1日回单位上班，月薪5500，中间的工资能要多少",
    "在这个厂连续干了18年，还有两年就退休了，厂里说要裁员，能裁我吗",
    "我是车间的工会主席，因为替工人讨薪被公司解除了合同，上一年收入一共9万，能赔多少",
    "每天早8点到晚8点，中午吃饭休息1小时，一周上6天，一周超了多少小时", "三级伤残，本人工资5000，伤残津贴每月多少",
    "当地月最低工资2300，公司欠我工资25000，仲裁裁决后公司能去法院起诉吗", "最低工资2000，欠我3万工资，仲裁裁决后公司还能起诉吗",
    "2024年6月30日是公司最后一次克扣工资，现在向劳动监察举报还管吗", "约定每月5号发工资，2026年9月5日是周六，应该哪天发",
    "因为参加工会活动被开除了，能要回工作吗", "劳动仲裁裁决后公司能去法院起诉吗，最低工资2100", "五级伤残，本人工资3000，每月伤残津贴多少",
]


@pytest.mark.parametrize("text", NEW_BATTERY)
def test_new_rules_sentences_are_short_and_cite_articles(text):
    result = calculate(text, today=TODAY)
    assert result.calculations
    for calc in result.calculations:
        assert len(calc.sentence) <= 70 and calc.sentence.endswith("。")
        assert any(ch.isdigit() for ch in calc.sentence)
        assert calc.cites and all(c.article.startswith("第") or c.article == "全文" for c in calc.cites)
        assert isinstance(calc.value, date) if calc.unit is Unit.DATE else isinstance(calc.value, (int, Decimal))


# --- second round: sloppier facts, more rules --------------------------------------------------

LATE = date(2026, 12, 7)


@pytest.mark.parametrize("text, start", [
    ("18年5月6号进的厂，现在被辞退了", date(2018, 5, 6)),
    ("99年7月1日入职的", date(1999, 7, 1)),
    ("今年（2026年）3月2号入职", date(2026, 3, 2)),
    ("20年9月进的这家物流公司", date(2020, 9, 1)),
])
def test_two_digit_and_restated_years(text, start):
    assert read_facts(text, today=LATE).start_date == start


def test_a_two_digit_year_after_a_duration_word_is_not_a_date():
    facts = read_facts("干了12年3月份被辞退", today=LATE)
    assert facts.start_date is None


def test_a_later_date_without_a_role_ends_the_service_for_severance():
    result = calculate("16年4月10号进的这个仓库，2026年9月30号公司跟我协商解除合同，月薪5000，补偿多少", today=LATE)
    calc = only(result, Kind.SEVERANCE)
    assert calc.value == Decimal("52500.00")  # 10年5个月21天 → 10.5 × 5000


@pytest.mark.parametrize("text, wage", [("工资八千五一个月", 8500), ("一个月一万二", 12000), ("月薪8千一个月都不够花", 8000)])
def test_a_count_after_the_amount_is_not_part_of_it(text, wage):
    assert read_facts(text, today=LATE).monthly_wage == wage


def test_whole_years_with_zheng():
    assert read_facts("在这家公司干了整5年", today=LATE).service_months == 60


def test_gross_pay_over_take_home_pay():
    facts = read_facts("到手五千三，应发6500，干了两年被辞退", today=LATE)
    assert facts.monthly_wage == 6500 and not facts.wage_net
    only_net = read_facts("税后到手5300，干了两年被辞退，补偿多少", today=LATE)
    assert only_net.monthly_wage == 5300 and only_net.wage_net
    calc = only(calculate("税后到手5300，干了两年被辞退，补偿多少", today=LATE), Kind.SEVERANCE)
    assert any("应得工资" in c for c in calc.caveats)


def test_commission_on_top_of_base_pay_counts_for_severance():
    result = calculate("底薪3000，绩效每个月1500左右，干了1年8个月公司裁员，补偿多少", today=LATE)
    calc = only(result, Kind.SEVERANCE)
    assert calc.value == Decimal("9000.00") and calc.formula.startswith("3000 + 1500 = 4500")
    assert read_facts("月薪6000，年终奖两万", today=LATE).wage_extra is None  # no base pay named, and yearly


def test_daily_wage_holiday_overtime_by_days():
    result = calculate("日薪300，五一两天都上了班，加班费多少", today=LATE)
    calc = only(result, Kind.OVERTIME_HOLIDAY)
    assert calc.value == Decimal("1800.00") and "每天900元" in calc.sentence


def test_weekly_schedule_overtime():
    result = calculate("月薪4350，一周上6天，每天干9小时，没有调休，一周加班费多少", today=LATE)
    assert only(result, Kind.OVERTIME_WORKDAY).value == Decimal("187.50")  # 4350/21.75/8 = 25; 5 × 1 × 25 × 1.5
    assert only(result, Kind.OVERTIME_REST_DAY).value == Decimal("450.00")  # 9 × 25 × 2
    assert only(result, Kind.OVERTIME_TOTAL).value == Decimal("637.50")
    five = calculate("月薪4350，一周上5天，每天干8小时，加班费多少", today=LATE)
    assert Kind.OVERTIME_WORKDAY not in kinds(five) and Kind.OVERTIME_REST_DAY not in kinds(five)


def test_rest_days_counted_in_a_clause_beside_the_work():
    result = calculate("月薪6525，周末都叫我去上班，这个月周末一共6天，不给调休，加班费多少", today=LATE)
    assert only(result, Kind.OVERTIME_REST_DAY).value == Decimal("3600.00")  # 6525/21.75 = 300 × 2 × 6


def test_overtime_limit_against_the_hours_said():
    result = calculate("每天多干2个钟，一个月加班五六十个小时，合法吗，最多能加多少", today=LATE)
    calc = only(result, Kind.OVERTIME_LIMIT)
    assert "每月50小时超过了36小时" in calc.sentence and "每天2小时" not in calc.sentence
    assert read_facts("双休日加班4天", today=LATE).week_days is None


@pytest.mark.parametrize("text, kind, end", [
    ("伤残鉴定结论2026年3月31日收到的，不服，最晚哪天申请再次鉴定", Kind.REAPPRAISAL, date(2026, 4, 15)),
    ("仲裁裁决书2026年1月20日拿到的，不服想起诉，最晚哪天", Kind.SUIT_AFTER_AWARD, date(2026, 2, 4)),
    ("2026年1月31日入职，单位最晚哪天要给我办社保", Kind.INSURANCE_REGISTRATION, date(2026, 3, 2)),
])
def test_deadlines_from_a_paper_or_the_first_day(text, kind, end):
    result = calculate(text, today=LATE)
    assert only(result, kind).value == end
    assert Kind.ARBITRATION not in kinds(result)


def test_non_compete_pay_and_its_floor():
    low = only(calculate("竞业限制没约定补偿，离职前平均工资7000，最低工资2300，每月补偿多少", today=LATE), Kind.NON_COMPETE)
    assert low.value == Decimal("2300.00")
    high = only(calculate("竞业限制没约定补偿，离职前平均工资9000，最低工资2300，每月补偿多少", today=LATE), Kind.NON_COMPETE)
    assert high.value == Decimal("2700.00")
    assert Kind.NON_COMPETE not in kinds(calculate("竞业限制约定每月补偿3000，合法吗", today=LATE))


def test_death_benefits_with_and_without_the_figures():
    result = calculate("我丈夫因工死亡，当地职工月平均工资7500，全国城镇居民人均可支配收入50000元，他本人工资5000，抚恤金多少", today=LATE)
    assert only(result, Kind.DEATH_FUNERAL).value == Decimal("45000.00")
    assert only(result, Kind.DEATH_GRANT).value == Decimal("1000000.00")
    assert only(result, Kind.DEATH_PENSION).value == Decimal("2000.00")
    bare = calculate("我妈因工去世了，丧葬补助金多少", today=LATE)
    assert only(bare, Kind.DEATH_FUNERAL).value == 6
    assert {m.name for m in bare.missing} == {FactName.AVERAGE_WAGE, FactName.DISPOSABLE_INCOME}


def test_probation_pay_asks_for_the_minimum_wage_only_when_it_can_matter():
    asked = calculate("转正工资2500，试用期最少给多少", today=LATE)
    assert only(asked, Kind.PROBATION_WAGE).value == Decimal("2000.00")
    assert FactName.MINIMUM_WAGE in {m.name for m in asked.missing}
    floored = calculate("转正工资2500，最低工资2200，试用期工资最少给多少", today=LATE)
    assert only(floored, Kind.PROBATION_WAGE).value == Decimal("2200.00")


def test_an_english_question_is_read_for_its_facts():
    result = calculate("I was dismissed without any reason after I worked 2 years and 7 months. My monthly salary was 6000 yuan. How much can I get?", today=LATE)
    assert only(result, Kind.UNLAWFUL_DISMISSAL).value == Decimal("36000.00")  # 2 × 3 × 6000
    facts = read_facts("I have worked 25 years in total and I am leaving on 30 June 2026.", today=LATE)
    assert facts.career_months == 300 and facts.end_date == date(2026, 6, 30)
    assert read_facts("老板说 OK，月薪5000", today=LATE).monthly_wage == 5000  # a Chinese question keeps its words


def test_unused_leave_days_are_given_without_the_wage():
    result = calculate("累计工作8年，2026年6月30日离职，今年年假休了1天，还有几天没休的年假要给钱", today=LATE)
    calc = only(result, Kind.UNUSED_LEAVE_PAY)
    assert calc.unit is Unit.DAY and calc.value == 1  # 181/365 × 5 = 2.48 → 2, less 1
    assert FactName.WAGE in {m.name for m in result.missing}


# session 6: how a hotline volunteer writes the facts down ---------------------------------------------

def test_an_average_wage_said_as_yuejun_or_pingjun_is_the_monthly_wage():
    assert read_facts("他在厂里干了3年，月均只有3100，被辞退", today=LATE).monthly_wage == 3100
    facts = read_facts("做了两年，离职前一年平均7300，上个月拿了7600", today=LATE)
    assert facts.monthly_wage == 7300 and facts.last_month_wage == 7600


def test_plain_gongling_is_time_with_this_employer_when_nothing_else_says():
    result = calculate("厂子搬迁，单位提前一个月书面通知解除，工龄4年零1个月，月工资6000，补偿怎么算", today=LATE)
    assert only(result, Kind.SEVERANCE).value == Decimal("27000.00")  # 4.5 × 6000
    assert read_facts("累计工龄12年，在这家干了2年", today=LATE).service_months == 24  # 累计工龄 is the career
    assert read_facts("社会工龄20年，年假几天", today=LATE).service_months is None


def test_a_range_of_months_is_time_worked():
    today = date(2026, 12, 7)
    assert read_facts("他从前年11月到今年3月一直在这个站点送餐", today=today).service_months == 16
    assert read_facts("2025年4月至2025年12月在仓库", today=today).service_months == 8
    assert read_facts("3月5日到4月1日请了病假", today=today).service_months is None  # days, not a stretch of work
    assert read_facts("3月到8月是旺季", today=today).service_months is None  # no year: may be any year


def test_a_dismissal_with_no_reason_or_basis_given_is_unlawful():
    result = calculate("当事人干了1年9个月，月工资五千，老板叫他明天别来了，没给任何理由，他不想回去，能要多少", today=LATE)
    assert only(result, Kind.UNLAWFUL_DISMISSAL).value == Decimal("20000.00")  # 2 × 2 × 5000
    facts = read_facts("公司以迟到为由辞退，但没有制度依据，干了两年", today=LATE)
    assert facts.unlawful_dismissal is True
    assert read_facts("公司没有理由不给我交社保吧", today=LATE).unlawful_dismissal is None  # no dismissal named


def test_whole_rest_days_counted_as_saturdays_or_rest_days():
    result = calculate("月薪4350，上个月有2个星期天被喊去上班，没补休，加班费多少", today=LATE)
    assert only(result, Kind.OVERTIME_REST_DAY).value == Decimal("800.00")  # 4350 ÷ 21.75 = 200; × 200% × 2
    holiday = calculate("月工资4350，国庆有3个法定节假日被安排来值班，加班费多少", today=LATE)
    assert only(holiday, Kind.OVERTIME_HOLIDAY).value == Decimal("1800.00")  # 200 × 300% × 3
    bare = calculate("上个月5个休息日都被叫来干活，算加班费", today=LATE)
    assert FactName.WAGE in {m.name for m in bare.missing}


def test_leave_not_one_day_taken_and_wage_without_overtime():
    facts = read_facts("今年年假一天没休", today=LATE)
    assert facts.leave_unused_days is None and facts.leave_taken_days == 0
    assert read_facts("年假还有2天没休", today=LATE).leave_unused_days == 2
    result = calculate("累计工作6年，不含加班的月均工资4350，2026年3月31日离职，今年年假一天没休，应补多少钱", today=LATE)
    assert only(result, Kind.LEAVE_THIS_YEAR).value == 1  # 90 ÷ 365 × 5 = 1.23 → 1
    assert only(result, Kind.UNUSED_LEAVE_PAY).value == Decimal("400.00")  # 1 × 200 × 200%
    assert FactName.OVERTIME_HOURS not in {m.name for m in result.missing}
    assert Kind.RESIGNATION_NOTICE not in kinds(result)  # already gone: no notice period


def test_leave_days_due_as_the_worker_states_them():
    result = calculate("今年应休10天年假，只休了6天，月工资4350，没休的另付多少", today=LATE)
    assert only(result, Kind.UNUSED_LEAVE_PAY).value == Decimal("1600.00")  # 4 × 200 × 200%


def test_a_contract_signed_late_leaves_the_months_before_it():
    result = calculate("2025年3月1日入职，公司到2025年7月1日才补签合同，月工资6000，另一倍工资多少", today=LATE)
    assert only(result, Kind.DOUBLE_WAGE).value == Decimal("18000.00")  # 4月1日 to 6月30日: 3 months


def test_arbitration_award_term_from_the_day_accepted():
    result = calculate("劳动仲裁2026年6月20日受理的，仲裁委最晚什么时候要作出裁决，延期的话呢", today=LATE)
    calc = only(result, Kind.AWARD_TERM)
    assert calc.value == date(2026, 8, 4)  # 20 June + 45 days
    assert "2026年8月19日" in calc.sentence  # + 15 days more at most
    assert Kind.ARBITRATION not in kinds(result)
    assert Cite("laodong-zhengyi-tiaojie-zhongcai-fa", "第四十三条") in calc.cites


def test_severance_already_paid_counts_toward_the_unlawful_dismissal_damages():
    result = calculate("干了3年，月薪6000，公司辞退时已经付了18000的经济补偿，后来法院认定违法解除，还能再要多少", today=LATE)
    assert result.calculations[0].kind is Kind.PAID_BALANCE
    assert only(result, Kind.PAID_BALANCE).value == Decimal("18000.00")  # 2 × 3 × 6000 − 18000
    assert Kind.ARBITRATION not in kinds(result)  # 「还能再要」 asks an amount, not a deadline


def test_probation_past_the_limit_already_served_is_paid_as_damages():
    result = calculate("签了3年合同，试用期约了8个月，已经干完转正了，转正后月薪5000，违法试用期赔偿金多少", today=LATE)
    assert only(result, Kind.PROBATION_DAMAGES).value == Decimal("10000.00")  # (8 − 6) × 5000
    assert Kind.SEVERANCE not in kinds(result) and not result.missing
    still_in = calculate("签了1年合同，试用期约了3个月，现在还在试用期，月薪5000，合法吗", today=LATE)
    assert Kind.PROBATION_DAMAGES not in kinds(still_in)


def test_a_high_wage_without_the_local_average_asks_for_it():
    result = calculate("月薪5万，干了8年，被违法辞退，赔偿金多少", today=LATE)
    assert only(result, Kind.UNLAWFUL_DISMISSAL).value == Decimal("800000.00")
    assert FactName.AVERAGE_WAGE in {m.name for m in result.missing}
    given = calculate("月薪5万，当地上年度职工月均工资1万，干了8年，被违法辞退，赔偿金多少", today=LATE)
    assert only(given, Kind.UNLAWFUL_DISMISSAL).value == Decimal("480000.00")  # 2 × 8 × 3 × 10000
    assert not given.missing
    assert not calculate("月薪6000，干了8年，被违法辞退，赔偿金多少", today=LATE).missing


def test_comprehensive_hours_past_the_period_standard_are_overtime():
    result = calculate("经批准按月综合计算工时，这个月标准工时168小时，实际工作了180小时，月工资4350，加班费多少", today=LATE)
    calc = only(result, Kind.OVERTIME_WORKDAY)
    assert calc.value == Decimal("450.00")  # 4350 ÷ 21.75 ÷ 8 = 25; × 150% × 12
    assert calc.cites[0] == Cite("gongzi-zhifu-zanxing-guiding", "第十三条")
    assert not result.missing


def test_piece_work_in_overtime_at_150_percent_of_the_piece_rate():
    result = calculate("计件的，做完定额后被安排加班，加班时间里包了300件，单价1.2元/件，这部分该给多少", today=LATE)
    assert only(result, Kind.OVERTIME_PIECE).value == Decimal("540.00")  # 1.2 × 150% × 300
    rest = calculate("计件工资，周六加班做了100件，单价2元一件，该给多少", today=LATE)
    assert only(rest, Kind.OVERTIME_PIECE).value == Decimal("400.00")  # 2 × 200% × 100


def test_no_double_wage_when_the_worker_himself_would_not_sign():
    result = calculate("单位几次书面通知他签合同，他本人故意不签，干了5个月，月薪6000，能要二倍工资吗", today=LATE)
    calc = only(result, Kind.DOUBLE_WAGE)
    assert calc.value == 0 and calc.cites[0] == Cite("laodong-zhengyi-jieshi-2", "第七条")
    assert only(calculate("单位一直不跟我签合同，干了5个月，月薪6000，二倍工资多少", today=LATE), Kind.DOUBLE_WAGE).value == Decimal("24000.00")


def test_siling_and_plain_gongzuo_nianxian_are_time_with_this_employer():
    assert read_facts("司龄4年，月入七千", today=LATE).service_months == 48
    assert read_facts("本单位工作年限为2年5个月", today=LATE).service_months == 29


def test_start_and_end_given_as_months_only():
    result = calculate("2022年2月入职，2026年9月被公司辞退，工资标准5000，补偿多少", today=LATE)
    calc = only(result, Kind.SEVERANCE)
    assert calc.value == Decimal("25000.00")  # 4年7个月 → 5 × 5000
    assert "约" in calc.sentence
    facts = read_facts("自2024年8月起在车队开车，每月约6千", today=LATE)
    assert facts.start_date == date(2024, 8, 1) and facts.monthly_wage == 6000
    assert read_facts("2024年起诉过公司", today=LATE).start_date is None


def test_years_with_an_earlier_employer_are_career_not_service():
    facts = read_facts("之前在别的厂干了4年，去年来这家公司干了1年2个月", today=LATE)
    assert facts.service_months == 14 and facts.career_months == 62
    assert read_facts("以前在其他公司做了3年", today=LATE).service_months is None
    leave = calculate("在现在的单位干了8个月，之前工作了9年半，今年年假几天", today=LATE)
    assert only(leave, Kind.ANNUAL_LEAVE).value == 10  # 9年半 + 8个月: past 10 years in all


def test_a_third_person_note_is_read_like_the_worker_s_own_words():
    result = calculate("当事人在快递站干了2年7个月，月工资六千，站长说站点亏损让他走人，补偿多少", today=LATE)
    assert only(result, Kind.SEVERANCE).value == Decimal("18000.00")  # 3 × 6000
    assert calculate("公司把她开了，没给任何理由，她干了1年，月薪5000，能要多少", today=LATE).get(Kind.UNLAWFUL_DISMISSAL).value == Decimal("10000.00")
    assert read_facts("其他同事都签了合同", today=LATE).written_contract is True  # 其他 is not 其我
    assert only(calculate("该员工干了2年，公司让该员工走人，月薪5000，补偿多少", today=LATE), Kind.SEVERANCE).value == Decimal("10000.00")


def test_a_dismissal_for_pregnancy_or_injury_is_unlawful_unless_for_misconduct():
    result = calculate("她干了3年，月薪4000，怀孕5个月被公司辞退，能要多少", today=LATE)
    calc = only(result, Kind.UNLAWFUL_DISMISSAL)
    assert calc.value == Decimal("24000.00")  # 2 × 3 × 4000
    assert Cite(LHF, "第四十二条") in calc.cites
    misconduct = calculate("她在哺乳期，因严重违反规章制度被开除，干了3年，月薪4000，能要多少", today=LATE)
    assert Kind.UNLAWFUL_DISMISSAL not in kinds(misconduct)


def test_workday_overtime_days_given_as_a_total():
    result = calculate("平时每天加班3小时，总共加了20天，月薪4350，加班费多少", today=LATE)
    assert only(result, Kind.OVERTIME_WORKDAY).value == Decimal("2250.00")  # 25 × 150% × 60


def test_notice_then_termination_and_medical_period_is_not_contract_expiry():
    result = calculate("病休医疗期满后不能从事原工作，公司没提前30天通知就解除，干了2年，平均工资5000，上个月工资5200，合计多少", today=LATE)
    assert only(result, Kind.TOTAL).value == Decimal("15200.00")  # 2 × 5000 + 5200
    assert Cite(LHF, "第四十四条") not in only(result, Kind.SEVERANCE).cites  # 医疗期满 is not the contract's term running out


def test_unemployment_benefit_months_by_time_paid_in():
    assert only(calculate("公司倒闭了，失业保险交了4年，失业金最长领几个月", today=LATE), Kind.UNEMPLOYMENT_MONTHS).value == 12
    assert only(calculate("累计缴失业保险5年，失业金能领多久", today=LATE), Kind.UNEMPLOYMENT_MONTHS).value == 18
    assert only(calculate("失业保险交了10年，失业金最多领多久", today=LATE), Kind.UNEMPLOYMENT_MONTHS).value == 24
    under = calculate("失业保险才交了8个月，失业金能领多久", today=LATE)
    assert only(under, Kind.UNEMPLOYMENT_MONTHS).value == 0
    dismissed = calculate("被裁员了，失业保险交了6年，失业金最多领几个月", today=LATE)
    assert kinds(dismissed) == {Kind.UNEMPLOYMENT_MONTHS} and not dismissed.missing  # not a 经济补偿 question


def test_sick_leave_past_the_bar_takes_the_year_s_leave():
    assert only(calculate("累计工作6年，今年病假累计2个月，年假几天", today=LATE), Kind.ANNUAL_LEAVE).value == 0
    kept = only(calculate("累计工作12年，今年请病假两个半月，年假几天", today=LATE), Kind.ANNUAL_LEAVE)
    assert kept.value == 10  # 10 to 20 years: the bar is 3 months
    assert only(calculate("累计工作21年，今年病假3个月，年假几天", today=LATE), Kind.ANNUAL_LEAVE).value == 15


def test_deduction_for_a_loss_is_at_most_a_fifth_of_the_wage_and_keeps_the_minimum():
    assert only(calculate("损坏了设备，公司要扣工资赔偿，月工资6000，每月最多扣多少", today=LATE), Kind.WAGE_DEDUCTION).value == Decimal("1200.00")
    floored = calculate("月工资2800，最低工资标准2500，扣工资赔偿损失每月最多扣多少", today=LATE)
    assert only(floored, Kind.WAGE_DEDUCTION).value == Decimal("300.00")  # 2800 − 2500 < 560


def test_nursing_care_fee_and_nursing_time():
    care = calculate("工伤二级，生活大部分不能自理，统筹地区上年度职工月平均工资7500，生活护理费多少", today=LATE)
    assert only(care, Kind.NURSING_CARE).value == Decimal("3000.00")  # 40% × 7500
    assert only(calculate("生了三胞胎，哺乳时间每天多久", today=LATE), Kind.NURSING_TIME).value == 3


def test_more_ways_of_saying_time_worked_and_the_wage():
    facts = read_facts("在厂里两年了，一月5500", today=LATE)
    assert facts.service_months == 24 and facts.monthly_wage == 5500
    assert read_facts("劳动关系存续2年4个月", today=LATE).service_months == 28
    assert read_facts("他在公司任职期间5年", today=LATE).service_months == 60
    approx = read_facts("干了3年，工资每个月五六千", today=LATE)
    assert approx.monthly_wage == 5000 and approx.wage_approx  # the lower end, said as approximate
    assert read_facts("工资四七千", today=LATE).monthly_wage != 4000  # not a range of neighbours
    assert read_facts("他做了2年，拿的是4500的底薪", today=LATE).monthly_wage == 4500


def test_an_early_termination_by_the_employer_with_notice_pay_named():
    result = calculate("公司以经营困难为由提前解除，没有提前通知，月薪4000，干了2年3个月，补偿和代通知金一共多少", today=LATE)
    assert only(result, Kind.TOTAL).value == Decimal("14000.00")  # 2.5 × 4000 + 4000


def test_a_currency_sign_or_rmb_before_the_wage():
    assert read_facts("干了3年，月薪¥6800", today=LATE).monthly_wage == 6800
    assert read_facts("干了3年，工资每月RMB 7200", today=LATE).monthly_wage == 7200


def test_weekends_counted_in_days_beside_a_full_day_of_hours():
    result = calculate("月薪4350，周末都被叫来上班，这个月3个双休日共6天，每天8小时，没调休，加班费多少", today=LATE)
    assert only(result, Kind.OVERTIME_REST_DAY).value == Decimal("2400.00")  # 200 × 200% × 6: a 双休日 is two days


def test_overtime_left_this_month_and_hours_past_the_monthly_limit():
    left = only(calculate("这个月单位已经安排延长工作时间22小时，还能再加几个小时", today=LATE), Kind.OVERTIME_LIMIT)
    assert "14小时" in left.sentence  # 36 − 22
    over = only(calculate("上个月一共加班了45个小时，超过法定上限了吗", today=LATE), Kind.OVERTIME_LIMIT)
    assert "超出9小时" in over.sentence


def test_more_deadline_questions_in_other_words():
    term = calculate("仲裁委2026年10月9日受理了他的申请，45天审理期限到哪天", today=LATE)
    assert only(term, Kind.AWARD_TERM).value == date(2026, 11, 23)
    annul = calculate("公司2026年11月2日收到终局裁决书，想申请撤销，最晚哪天", today=LATE)
    assert only(annul, Kind.ANNUL_AWARD).value == date(2026, 12, 2)  # + 30 days
    assert Kind.SUIT_AFTER_AWARD not in kinds(annul)
    resign = calculate("2026年11月3日递交了书面辞职信，最后工作日是哪天", today=LATE)
    assert only(resign, Kind.RESIGNATION_NOTICE).value == date(2026, 12, 3)


def test_unemployment_months_and_nursing_care_ask_for_the_fact_they_turn_on():
    assert FactName.INSURED in {m.name for m in calculate("被辞退了，失业金能领多久", today=LATE).missing}
    assert not calculate("失业保险交了2年，失业金能领多久", today=LATE).missing
    assert FactName.CARE_LEVEL in {m.name for m in calculate("工伤二级，生活护理费每月多少", today=LATE).missing}


def test_the_wage_after_probation_said_as_zhuanzheng():
    result = calculate("试用期工资3500，转正5000，试用期最低应该发多少", today=LATE)
    assert only(result, Kind.PROBATION_WAGE).value == Decimal("4000.00")  # 5000 × 80%


def test_whether_there_is_annual_leave_after_a_year_of_work():
    assert only(calculate("在公司工作满2年了，有没有年假", today=LATE), Kind.ANNUAL_LEAVE).value == 5


def test_an_hourly_wage_and_a_wage_said_to_include_overtime_pay():
    assert only(calculate("时薪20元，平时加班了12小时，加班费多少", today=LATE), Kind.OVERTIME_WORKDAY).value == Decimal("360.00")  # 20 × 150% × 12
    result = calculate("月薪7000，其中包括加班费1500，干了2年被辞退，补偿多少", today=LATE)
    assert only(result, Kind.SEVERANCE).value == Decimal("14000.00") and not result.missing


def test_a_stretch_of_work_from_one_date_to_another():
    result = calculate("他2023年5月1日至2026年4月30日在物流公司工作，被辞退，月薪6000，补偿多少", today=LATE)
    assert only(result, Kind.SEVERANCE).value == Decimal("18000.00")  # 3 years × 6000
    sick = read_facts("2026年3月1日到2026年5月1日请了病假", today=LATE)
    assert sick.start_date is None and sick.end_date is None


def test_a_weekday_of_last_week_as_a_date():
    result = calculate("他上周三被公司开除，仲裁最晚哪天申请", today=LATE)  # LATE is a Monday
    assert only(result, Kind.ARBITRATION).value == date(2027, 12, 2)  # 2026-12-02 + 1 year
    rest = calculate("上周六加了8小时班，没补休，月薪5220，加班费多少", today=LATE)
    assert only(rest, Kind.OVERTIME_REST_DAY).value == Decimal("480.00")  # still a rest day: 30 × 200% × 8


def test_wages_over_a_given_injury_leave_are_paid_in_full():
    result = calculate("工伤停工留薪期定了4个月，原工资5500，这期间单位一共该发多少", today=LATE)
    assert only(result, Kind.INJURY_LEAVE_PAY).value == Decimal("22000.00")
    assert result.calculations[0].kind is Kind.INJURY_LEAVE_PAY


def test_spring_festival_days_named_by_their_lunar_dates():
    result = calculate("月薪4350，春节初一到初五都被叫去上班，没调休，加班费多少", today=LATE)
    assert only(result, Kind.OVERTIME_HOLIDAY).value == Decimal("1800.00")  # 初一–初三: 200 × 300% × 3
    assert only(result, Kind.OVERTIME_REST_DAY).value == Decimal("800.00")  # 初四、初五: 200 × 200% × 2
    # which 春节 days are holidays is not in the corpus: the answer says where it comes from
    assert any("放假办法" in c and "没有收录" in c for c in only(result, Kind.OVERTIME_HOLIDAY).caveats)
    plain = calculate("月薪4350，国庆节3天都被叫去上班，没调休，加班费多少", today=LATE)
    assert not any("放假办法" in c for calc in plain.calculations for c in calc.caveats)


def test_a_dismissal_found_unlawful_and_a_task_contract_without_gongzuo():
    result = calculate("公司以违纪为由开除了我，法院判决认定违法，干了4年，月薪6000，赔偿多少", today=LATE)
    assert kinds(result) == {Kind.UNLAWFUL_DISMISSAL} and only(result, Kind.UNLAWFUL_DISMISSAL).value == Decimal("48000.00")
    asked = calculate("公司开除我，仲裁会认定违法吗，干了4年，月薪6000", today=LATE)
    assert Kind.SEVERANCE in kinds(asked)  # asked, not stated: both amounts
    assert read_facts("签的是以完成一定任务为期限的合同", today=LATE).contract_type is ContractType.TASK


def test_a_schedule_of_full_days_is_counted_by_the_standard_week_without_asking():
    result = calculate("每天工作11小时，一周6天，月薪4350，一个月加班费多少", today=LATE)
    assert only(result, Kind.OVERTIME_WORKDAY).value == Decimal("562.50")  # 25 × 150% × 3 × 5
    assert only(result, Kind.OVERTIME_REST_DAY).value == Decimal("550.00")  # 25 × 200% × 11
    assert "每月加班费约4839.38元" in only(result, Kind.OVERTIME_TOTAL).caveats[0]  # 1112.5 × 4.35
    assert Cite("yueping-gongzuo-shijian-tongzhi", "全文") in only(result, Kind.OVERTIME_TOTAL).cites  # where 4.35 (21.75 ÷ 5) comes from
    assert FactName.OVERTIME_DAYS not in {m.name for m in result.missing}


def test_owed_wages_with_the_late_payment_damages_and_part_time_work():
    result = calculate("公司拖欠了他4个月工资，月薪4500，劳动监察责令后逾期还不付，能加付多少赔偿金", today=LATE)
    calc = only(result, Kind.OWED_WAGES)
    assert calc.value == Decimal("18000.00") and "9000到18000元" in calc.sentence  # 50% to 100% of 18000
    assert Kind.SEVERANCE not in kinds(result) and not result.missing
    part = calculate("她是非全日制用工，干了2年，单位通知终止用工，有没有经济补偿", today=LATE)
    assert only(part, Kind.PART_TIME_END).value == 0 and Kind.SEVERANCE not in kinds(part)
