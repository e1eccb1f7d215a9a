"""Personal data in workers' questions: found by form and checksum, masked with readable tokens,
and legal text left exactly as it was."""
from __future__ import annotations

import itertools

import pytest

from bot.redact import (
    TOKENS,
    find_personal_data,
    id_check_digit,
    is_id_number,
    luhn_ok,
    redact,
)


def make_id(first17: str) -> str:
    """A 身份证号 with its GB 11643 check digit computed here, independently of the module."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def wrong_check(id_number: str) -> str:
    """The same 17 digits with a wrong check digit that also fails Luhn (so it is neither an ID
    nor a card: a plain long number)."""
    for ch in "0123456789":
        candidate = id_number[:17] + ch
        if ch != id_number[17] and not luhn_ok(candidate):
            return candidate
    raise AssertionError("no such digit")


def make_card(prefix: str, length: int) -> str:
    """A number of ``length`` digits starting with ``prefix`` that passes Luhn."""
    body = prefix.ljust(length - 1, "3")
    for ch in "0123456789":
        if luhn_ok(body + ch):
            return body + ch
    raise AssertionError


def kinds(text: str) -> list[str]:
    return [m.kind for m in find_personal_data(text)]


# -- checksums ------------------------------------------------------------------------------------

VALID_IDS = [make_id("11010519491231002"), make_id("44030419900307123"), make_id("32058319851111001"), make_id("65010220000229456")]


def test_known_id_check_digits():
    # Worked examples of the GB 11643-1999 rule (the 2nd is the standard's own example number).
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"
    assert is_id_number("11010519491231002X") and is_id_number("11010519491231002x")
    assert not is_id_number("110105194912310021")


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_ids_pass_and_every_other_check_digit_fails(number):
    assert is_id_number(number)
    others = [number[:17] + ch for ch in "0123456789X" if ch != number[17]]
    assert not any(is_id_number(o) for o in others)


@pytest.mark.parametrize(
    "number",
    [
        make_id("11010519491331002"),  # month 13
        make_id("11010519490230002"),  # 30 February
        make_id("11010518491231002"),  # born 1849
        make_id("01010519491231002"),  # no region starts with 0
        make_id("11010520991231002"),  # born in the future
    ],
)
def test_right_check_digit_but_impossible_birth_date_is_not_an_id(number):
    assert not is_id_number(number)


def test_old_fifteen_digit_ids():
    assert is_id_number("110105491231002")
    assert not is_id_number("110105491331002")  # month 13


@pytest.mark.parametrize("number, ok", [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True), ("79927398710", False), (make_card("622202", 19), True), (make_card("621700", 16), True)])
def test_luhn(number, ok):
    assert luhn_ok(number) is ok


# -- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"我的身份证号是{VALID_IDS[0]}，被辞退了",
        f"身份证：{VALID_IDS[1]}",
        f"身份证号 {VALID_IDS[2][:6]} {VALID_IDS[2][6:14]} {VALID_IDS[2][14:]}",
        f"证件号{VALID_IDS[3]}。",
        f"身份证{VALID_IDS[0].lower()}",
        "老身份证号110105491231002还能用吗",
    ],
)
def test_id_numbers_are_found(text):
    assert kinds(text) == ["id_card"]
    assert "〔身份证号〕" in redact(text)
    assert not any(ch.isdigit() for ch in redact(text))


@pytest.mark.parametrize("number", VALID_IDS)
def test_wrong_check_digit_is_not_an_id_but_is_still_masked(number):
    bad = wrong_check(number)
    assert kinds(f"身份证{bad}") == ["long_number"]
    assert redact(f"身份证{bad}") == "身份证〔号码〕"


@pytest.mark.parametrize(
    "text",
    [
        "工资卡号4111111111111111发不了工资",
        "卡号 4111 1111 1111 1111",
        "卡号4111-1111-1111-1111",
        f"工资打到{make_card('622202', 19)}了吗",
        f"银行卡：{make_card('621700', 16)[:4]} {make_card('621700', 16)[4:8]} {make_card('621700', 16)[8:12]} {make_card('621700', 16)[12:]}",
        f"卡号{make_card('622848', 19)[:4]} {make_card('622848', 19)[4:8]} {make_card('622848', 19)[8:12]} {make_card('622848', 19)[12:16]} {make_card('622848', 19)[16:]}",
    ],
)
def test_bank_cards_pass_luhn(text):
    assert kinds(text) == ["bank_card"]
    assert "〔银行卡〕" in redact(text)


@pytest.mark.parametrize("text", ["卡号4111111111111112", "卡号 4111 1111 1111 1112"])
def test_luhn_failure_is_not_a_bank_card_but_is_masked(text):
    assert kinds(text) == ["long_number"]
    assert "〔号码〕" in redact(text) and "1112" not in redact(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我电话13812345678", "我电话〔手机号〕"),
        ("手机 138 1234 5678，站长的是15987654321", "手机 〔手机号〕，站长的是〔手机号〕"),
        ("联系我：138-1234-5678", "联系我：〔手机号〕"),
        ("+86 13912345678", "〔手机号〕"),
        ("+8613912345678", "〔手机号〕"),
        ("008619912345678打不通", "〔手机号〕打不通"),
        ("号码是19912345678。", "号码是〔手机号〕。"),
        ("13812345678 13912345678", "〔手机号〕 〔手机号〕"),
    ],
)
def test_mobile_phones(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("公司电话0571-87654321", "公司电话〔电话〕"),
        ("打010-62345678转123", "打〔电话〕"),
        ("（020）38765432", "〔电话〕"),
        ("(0755) 2345 678", "(0755) 2345 678"),  # not a real grouping: left alone
        ("座机02138765432", "座机〔电话〕"),
    ],
)
def test_landlines(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["车牌粤B·D12345被交警扣了", "京A12345", "沪AD12345是新能源车", "浙A 1234F", "苏E-12345", "川a12345", "豫C12345挂", "粤BF12345"],
)
def test_plates(text):
    assert kinds(text) == ["plate"]
    assert "〔车牌〕" in redact(text)


@pytest.mark.parametrize("text", ["新ENGLISH课", "京东快递员", "（2023）京01民终1234号", "粤ABCDE", "沪A股"])
def test_not_plates(text):
    assert "plate" not in kinds(text)


@pytest.mark.parametrize("text", ["邮箱zhang.san@163.com", "发到 rider_01+hr@qq.com 吧", "Email: Li.Si@example.com.cn"])
def test_emails(text):
    assert kinds(text) == ["email"]
    assert "@" not in redact(text)


def test_email_made_of_a_phone_number_is_an_email():
    assert redact("13812345678@139.com") == "〔邮箱〕"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我叫张三，在美团送外卖", "我叫〔姓名〕，在美团送外卖"),
        ("我是李四", "我是〔姓名〕"),
        ("我是李四，送了两年外卖", "我是〔姓名〕，送了两年外卖"),
        ("姓名：王五", "姓名：〔姓名〕"),
        ("姓名:王小五 电话:13812345678", "姓名:〔姓名〕 电话:〔手机号〕"),
        ("联系人 赵六", "联系人 〔姓名〕"),
        ("联系人：欧阳娜娜，", "联系人：〔姓名〕，"),
        ("我叫欧阳娜娜，今年30岁", "我叫〔姓名〕，今年30岁"),
        ("我叫小王", "我叫〔姓名〕"),
        ("本人张三，男", "本人〔姓名〕，男"),
        ("申请人：阿依古丽·买买提，", "申请人：〔姓名〕，"),
        ("我的名字是刘德华。", "我的名字是〔姓名〕。"),
        ("我叫王建国在顺丰上班", "我叫〔姓名〕在顺丰上班"),
    ],
)
def test_names_the_worker_gives(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我是骑手，被扣了钱",
        "我是司机",
        "我是江西人，在上海跑外卖",
        "我是单位派来的",
        "我是高中生能兑现吗",
        "我是党员",
        "我是包工头",
        "我叫车去医院",
        "我叫了外卖",
        "当事人的姓名、性别、年龄",
        "用人单位应当记载劳动者的姓名",
        "我是外卖员",
        "本人不同意调岗",
    ],
)
def test_words_that_are_not_names(text):
    assert "name" not in kinds(text)
    assert redact(text) == text


LEGAL_TEXT = [
    "《工伤保险条例》第十四条",
    "2023年7月1日起施行",
    "拨打12333咨询",
    "人社部发〔2021〕56号",
    "工资3000元，加班24小时",
    "劳动合同法第82条",
    "（2023）京01民终1234号判决",
    "每月最低工资标准为2690元",
    "GB 11643-1999",
    "2021-07-16",
    "2023年 2024年 2025年",
    "第三十九条第（二）项",
    "拖欠工资15000元，已经3个月",
    "400-820-8820是平台客服",
]


@pytest.mark.parametrize("text", LEGAL_TEXT)
def test_legal_text_is_left_alone(text):
    assert find_personal_data(text) == []
    assert redact(text) == text


def test_a_whole_question_keeps_its_meaning():
    question = (
        f"我叫张三，身份证{VALID_IDS[1]}，手机13812345678，车牌粤B·D12345。2023年7月1日送外卖路上摔伤，"
        "站长说按人社部发〔2021〕56号不算工伤，工资卡4111 1111 1111 1111还扣了3000元，邮箱zs@qq.com，算工伤吗？"
    )
    assert redact(question) == (
        "我叫〔姓名〕，身份证〔身份证号〕，手机〔手机号〕，车牌〔车牌〕。2023年7月1日送外卖路上摔伤，"
        "站长说按人社部发〔2021〕56号不算工伤，工资卡〔银行卡〕还扣了3000元，邮箱〔邮箱〕，算工伤吗？"
    )
    assert kinds(question) == ["name", "id_card", "phone", "plate", "bank_card", "email"]


def test_matches_are_ordered_disjoint_and_point_at_the_data():
    text = f"联系人 赵六 13812345678 {VALID_IDS[0]} zs@qq.com 京A12345"
    matches = find_personal_data(text)
    assert [text[m.start:m.end] for m in matches] == ["赵六", "13812345678", VALID_IDS[0], "zs@qq.com", "京A12345"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(matches))


@pytest.mark.parametrize("text", ["", "   ", "工伤" * 2000, "\x00\x01", "😀😀"])
def test_odd_input_does_not_break_it(text):
    assert redact(text) == text


def test_redaction_is_idempotent_and_tokens_are_not_data():
    text = "我是李四，电话13812345678，卡4111111111111111"
    once = redact(text)
    assert redact(once) == once
    for token in TOKENS.values():
        assert find_personal_data(token) == []
