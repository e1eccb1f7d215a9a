"""Numbers, durations and dates as they are said aloud (a voice message turned into text) or typed loosely.

Written from the number grammar, not from any gold item. Each fact-level case below was read wrong
(or not at all) before :mod:`bot.spoken_numbers` existed."""
from datetime import date
from decimal import Decimal

import pytest

from bot.calculator import Kind, calculate, read_facts
from bot.spoken_numbers import spoken_to_written

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize("said, written", [
    ("我干了三年，不对，是四年，一个月五千", "我干了四年，一个月五千"),
    ("工资七千，哦不，七千五", "工资七千五"),
    ("干了两年，说错了，应该是两年半", "干了两年半"),
    ("月薪柒仟伍佰元", "月薪七千五百元"),
    ("二零二三年八月份进厂", "2023年八月份进厂"),
    ("二四年三月入职", "24年三月入职"),
    ("干了 3 年 5 个月", "干了3年5个月"),
    ("干了3年5月", "干了3年5个月"),
    ("干了三周年了", "干了三年了"),
    ("我三月十五入职的", "我三月十五号入职的"),
    ("我入的职", "我入职"),
])
def test_spoken_forms_become_written_ones(said, written):
    assert spoken_to_written(said) == written


@pytest.mark.parametrize("text", [
    "干了二三年",  # two or three years, not the year 2023
    "23年5月入职",  # a date: the two-digit year stays
    "2023年5月入职",
    "今年5月入职",
    "3月15000块",  # no day here
    "Hello world 3 years",
    "公司不对劲，扣了我三千",  # 不对 not followed by a number corrects nothing
])
def test_written_forms_and_look_alikes_are_left_alone(text):
    assert spoken_to_written(text) == text


def test_a_correction_of_another_kind_of_number_is_not_applied():
    # 「三年，不对，是5000」: a wage is not a correction of a duration
    assert spoken_to_written("干了三年，不对，是5000块") == "干了三年，不对，是5000块"


def test_interjections_between_clauses_are_dropped():
    assert spoken_to_written("嗯，我是，呃，送外卖的") == "我是，送外卖的"


@pytest.mark.parametrize("text, months", [
    ("干了3年5月，月薪7500", 41),
    ("干了 3 年 5 个月，月薪 7500", 41),
    ("在公司干了三周年了", 36),
    ("干了两年，不对，三年，月薪7500", 36),
])
def test_service_as_said(text, months):
    assert read_facts(text, today=TODAY).service_months == months


@pytest.mark.parametrize("text, start", [
    ("我三月十五入职的，一直没签合同", date(2026, 3, 15)),
    ("我二零二四年三月入的职", date(2024, 3, 1)),
    ("我是二四年三月份入职的", date(2024, 3, 1)),
    ("我二零二三年八月份进厂的", date(2023, 8, 1)),
])
def test_start_dates_as_said(text, start):
    assert read_facts(text, today=TODAY).start_date == start


def test_bankers_numerals_are_a_wage():
    assert read_facts("月薪柒仟伍佰元，干了两年", today=TODAY).monthly_wage == Decimal(7500)


def test_a_corrected_service_length_changes_the_severance():
    # 4 years × 5000 (劳动合同法第四十七条), not the 3 years said first
    result = calculate("我在厂里干了三年，不对，是四年，一个月五千，被辞退了，经济补偿多少", today=TODAY)
    assert result.get(Kind.SEVERANCE).value == Decimal("20000.00")
