"""Which rule a question asks for, read from what happened and what is asked rather than from set phrases.

Written from the rules' own conditions, not from gold items; each case found nothing (or the
wrong rule) before this session's change."""
from datetime import date
from decimal import Decimal

from bot.calculator import FactName, Kind, calculate

TODAY = date(2026, 12, 7)


def test_an_employer_ending_the_contract_with_the_worker_is_a_dismissal():
    # 劳动合同法第四十条第三项 / 第四十六条: 6 years × 10000
    result = calculate("公司说要搬到外地去，我不想去，他们就跟我解除了，我干了六年了，月薪一万，能拿多少", today=TODAY)
    assert result.get(Kind.SEVERANCE).value == Decimal("60000.00")


def test_quitting_because_no_social_insurance_was_paid_is_severance_whatever_the_words_between():
    # 劳动合同法第三十八条第一款第三项 / 第四十六条第一项 / 第四十七条: 2 years and 6 months → 3 months × 6000
    result = calculate("公司没给我交社保，我自己提出辞职了，干了两年半，工资六千，能要补偿吗，多少", today=TODAY)
    assert result.get(Kind.SEVERANCE).value == Decimal("18000.00")


def test_a_disability_grade_said_with_an_amount_asked_is_the_grant_and_asks_the_wage():
    # 工伤保险条例第三十七条: 八级 = 11 months of the worker's wage; without the wage, the months and the question
    result = calculate("我摔伤了评了八级，能拿多少钱", today=TODAY)
    assert result.get(Kind.DISABILITY_GRANT).value == 11
    assert [m.name for m in result.missing] == [FactName.WAGE]
    assert calculate("我摔伤了评了八级，一个月工资五千，能拿多少钱", today=TODAY).get(Kind.DISABILITY_GRANT).value == Decimal("55000.00")
