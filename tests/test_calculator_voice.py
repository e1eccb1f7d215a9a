"""Voice messages as the phone transcribes them: clauses run together with a pause (a space) between
them, totals said over several months, the dependants named one by one, a stretch of work told in two
parts. Written from the rules' own conditions and the number grammar, not from gold items; each case
reads wrong (or not at all) on the calculator before this change."""
from datetime import date
from decimal import Decimal

import pytest

from bot.calculator import Kind, calculate, read_facts
from bot.spoken_numbers import spoken_to_written

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize("said, written", [
    ("干了两年 月薪六千 被辞退了", "干了两年，月薪六千，被辞退了"),
    ("干了八个月 八个月工资一共四万", "干了八个月，八个月工资一共四万"),  # a number after a unit starts a new phrase
    ("本人工资七千 一次性伤残补助金多少", "本人工资七千，一次性伤残补助金多少"),  # 一次性 does not continue 七千
    ("2026年 3月 5号 入职", "2026年3月5号，入职"),  # inside a date a space is noise (as in 「干了 3 年 5 个月」, tested before)
])
def test_a_pause_ends_a_clause_but_not_a_number(said, written):
    assert spoken_to_written(said) == written


def test_a_wage_said_before_a_pause_is_not_joined_to_the_next_word():
    assert read_facts("评了一级 本人工资七千 一次性伤残补助金多少", today=TODAY).monthly_wage == Decimal(7000)


def test_wages_added_up_over_months_whatever_they_are_called():
    # 劳动合同法第四十七条第三款: the wage is the average of the months worked
    facts = read_facts("干了十个月，十个月工资加奖金一共拿了五万，公司跟我协商解除", today=TODAY)
    assert facts.monthly_wage == Decimal(5000)


def test_the_injury_wage_is_held_to_three_times_the_local_average_when_it_is_given():
    # 工伤保险条例第六十四条 / 第三十七条: 七级 = 13 months of 本人工资, at most 300% of 8000 = 24000
    result = calculate("评了七级 本人工资三万 统筹地区职工平均工资八千 一次性伤残补助金多少", today=TODAY)
    assert result.get(Kind.DISABILITY_GRANT).value == Decimal("312000.00")


@pytest.mark.parametrize("question, amount", [
    ("我老公因工去世了，他本人工资六千，靠他养的有我和两个孩子，供养亲属抚恤金每月一共多少", Decimal("6000.00")),  # 40% + 2 × 30%
    ("我老公因工去世了，他本人工资六千，靠他养的有我和一个孩子，供养亲属抚恤金每月多少", Decimal("4200.00")),  # 40% + 30%
    ("我老公因工去世了，他本人工资六千，靠他养的有我和三个孩子，供养亲属抚恤金每月多少", Decimal("6000.00")),  # 130% held to the wage
])
def test_each_dependant_adds_to_the_pension_up_to_the_wage(question, amount):
    # 工伤保险条例第三十九条第二项
    result = calculate(question, today=TODAY)
    assert result.get(Kind.DEATH_PENSION).value == amount
    assert result.get(Kind.DEATH_FUNERAL) is None and not result.missing  # not asked: neither computed nor its figure asked


def test_double_wage_runs_to_the_day_the_worker_left():
    # 劳动合同法第八十二条 / 实施条例第六条: from 2026-03-01 (a month after 2-01) to the last day, 7-31: 5 months
    result = calculate("2026年2月1号入职，一直没签合同，7月31号我走了，月薪五千，二倍工资多少", today=TODAY)
    assert result.get(Kind.DOUBLE_WAGE).value == Decimal("25000.00")


def test_a_start_day_followed_by_where_the_worker_went_is_the_start_not_a_span():
    # 「3月1号到快递公司上班」: 到 names the place, not the end of a span; signed 9-01 → 4-01 to 8-31, 5 months
    result = calculate("我今年3月1号到快递公司上班的，9月1号才签合同，月薪六千，二倍工资多少", today=TODAY)
    assert result.get(Kind.DOUBLE_WAGE).value == Decimal("30000.00")


def test_hours_extended_on_workdays_and_a_rest_day_are_added_up():
    # 劳动法第四十四条: 8700 ÷ 21.75 = 400 a day, 50 an hour; 8 h × 50 × 150% = 600; 1 day × 400 × 200% = 800
    result = calculate("月薪8700，平时延长了8个小时，周六加了一天班没补休，加班费一共多少", today=TODAY)
    assert result.get(Kind.OVERTIME_WORKDAY).value == Decimal("600.00")
    assert result.get(Kind.OVERTIME_REST_DAY).value == Decimal("800.00")
    assert result.get(Kind.OVERTIME_TOTAL).value == Decimal("1400.00")


def test_years_with_an_employer_that_sent_the_worker_on_count_together_unless_paid_off():
    # 劳动合同法实施条例第十条: 3 years + 1 year 5 months = 4 years 5 months → 4.5 months × 6000
    told = "在A公司干了三年，公司安排我转到关联的B公司，不是我自己要走的，{paid}在B公司又干了一年零五个月，现在B公司裁员，月薪六千，经济补偿多少"
    merged = calculate(told.format(paid="A公司没给过补偿，"), today=TODAY).get(Kind.SEVERANCE)
    assert merged.value == Decimal("27000.00")
    assert any(c.article == "第十条" for c in merged.cites)
    # paid off by the first employer: only the 1 year 5 months with the second → 1.5 months
    assert calculate(told.format(paid="A公司已经给过我经济补偿，"), today=TODAY).get(Kind.SEVERANCE).value == Decimal("9000.00")


@pytest.mark.parametrize("heard, meant", [
    ("我想申请重裁，最晚哪天", "我想申请仲裁，最晚哪天"),
    ("送货路上摔了，认了工商，评了十级", "送货路上摔了，认了工伤，评了十级"),
    ("上个月加般费没给", "上个月加班费没给"),
])
def test_a_term_heard_as_a_sound_alike_is_read_as_the_term(heard, meant):
    assert spoken_to_written(heard) == meant
    for itself in ("我去工商局登记了个体户", "营业执照是工商部门发的"):  # a sound-alike that means itself stays
        assert spoken_to_written(heard + "，" + itself) == meant + "，" + itself


def test_the_arbitration_limit_heard_as_a_sound_alike_runs_a_year_from_leaving():
    # 劳动争议调解仲裁法第二十七条: one year from the day the contract ended
    result = calculate("我2026年3月15号离职的，公司还欠我两个月工资，我申请重裁最晚到哪天", today=TODAY)
    assert result.get(Kind.ARBITRATION).value == date(2027, 3, 15)


def test_mediation_that_reaches_no_agreement_opens_arbitration_after_fifteen_days():
    # 劳动争议调解仲裁法第十四条第三款: received 2026-10-10 + 15 days = 2026-10-25
    result = calculate("2026年10月10号我去调解委员会申请调解，当天就收到了，要是调不成，十五天的期限到哪天", today=TODAY)
    assert result.get(Kind.MEDIATION_LIMIT).value == date(2026, 10, 25)
    assert result.get(Kind.ARBITRATION) is None
    bare = calculate("去调解委员会申请调解，调不成要等几天才能去仲裁", today=TODAY)
    assert bare.get(Kind.MEDIATION_LIMIT).value == 15 and bare.missing


def test_late_social_insurance_carries_half_a_per_mille_a_day():
    # 社会保险法第八十六条: 30000 × 0.05% × 40 days = 600
    result = calculate("公司欠缴了我的社保费三万块，已经欠了四十天了，滞纳金多少", today=TODAY)
    assert result.get(Kind.LATE_FEE).value == Decimal("600.00")
    assert calculate("公司欠缴社保，滞纳金怎么算", today=TODAY).missing  # the amount and the days are asked


@pytest.mark.parametrize("question, stop", [
    ("我开货车，早上七点出发，一直没停，最晚几点得停下来歇", "11点"),
    ("跑长途，下午两点出发连续开车，最多开几个小时，几点要休息", "18点"),
])
def test_a_driver_stops_four_hours_after_setting_off(question, stop):
    # 道路运输条例第二十八条第二款: at most 4 hours' continuous driving
    result = calculate(question, today=TODAY)
    limit = result.get(Kind.DRIVING_LIMIT)
    assert limit.value == 4 and stop in limit.sentence


@pytest.mark.parametrize("question", ["我直播带货卖了三十万，增值税要交多少", "跑网约车的收入，个人税率是多少，怎么报税"])
def test_a_tax_question_of_ones_own_is_outside_labour_law(question):
    from bot.guards import outside_labour_law

    assert outside_labour_law(question)
    assert not outside_labour_law("月薪一万，公司扣了个税和社保，到手多少，工资怎么算")
