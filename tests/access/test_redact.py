"""Redaction of published free text (gridgov.access.redact): what is masked, how, and the ordinary
numbers that must come through untouched. Pure: no database."""

from __future__ import annotations

import doctest

import pytest

from gridgov.access import redact as redact_module
from gridgov.access.masking import mask_citizen_id, mask_phone
from gridgov.access.redact import find, redact


def test_doctests():
    result = doctest.testmod(redact_module)
    assert result.attempted >= 6 and result.failed == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # mobiles: plain, spaced, dashed, with the country code; masked like masking.mask_phone
        ("我的电话13812345678", "我的电话138****5678"),
        ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
        ("打138-1234-5678找我", "打138****5678找我"),
        ("+86 13912345678", "+86 139****5678"),
        ("+8613912345678", "+86139****5678"),
        ("0086-19912345678", "0086-199****5678"),
        ("手机：15012345678、18687654321", "手机：150****5678、186****4321"),
        # landlines: area code kept, the last two digits kept
        ("座机0419-3456789", "座机0419-*****89"),
        ("010 62345678 转 2", "010 ******78 转 2"),
        ("(0419)3456789", "(0419)*****89"),
        ("电话0419-3456789-801", "电话0419-*****89-801"),
        # citizen IDs: 18 digits, with X, typed in groups, the old 15 digits
        ("身份证210102199001011234", "身份证2101**********1234"),
        ("身份证号：21010219900101123x", "身份证号：2101**********123X"),
        ("证件 210102 19900101 1234", "证件 2101**********1234"),
        ("老身份证210102900101123", "老身份证2101*******1123"),
        # bank cards and other long digit runs
        ("卡号6222021234567890123", "卡号6222***********0123"),
        ("卡号 6222 0212 3456 7890", "卡号 6222********7890"),
        # e-mail
        ("发到 zhang.san@example.com 就行", "发到 z***@example.com 就行"),
        ("QQ邮箱12345678@qq.com", "QQ邮箱1***@qq.com"),
        # licence plates: ordinary, new energy, with a separator, lower case, 学/警 plates
        ("车牌辽K12345一直停在消防通道", "车牌辽K***45一直停在消防通道"),
        ("浙A·D12345", "浙A·****45"),
        ("京AF12345占用盲道", "京A****45占用盲道"),
        ("苏e 12345", "苏e ***45"),
        ("教练车辽A1234学", "教练车辽A***4学"),
        # contact numbers and ids after a keyword
        ("QQ 12345678", "QQ ****5678"),
        ("电话3456789", "电话***6789"),
        ("微信号：zhang_san88", "微信号：zh*******88"),
        ("手机号1381234567（少一位）", "手机号******4567（少一位）"),
    ],
)
def test_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "人民路12号门前",
        "3栋2单元501室楼道堆物",
        "2026-11-25 09:30 起",
        "2026/11/25 9:30—18:00",
        "2026年11月25日下午3点",
        "20261125 夜里",
        "往东10 米，约 200 平方米，1500元",
        "共 13 户 45 人受影响",
        "已并入 SJ202611250000123 一并办理",
        "快递单号 7312345678901 丢了",
        "拨打 12345 或 110、96110，客服 400-123-4567",
        "请拨打电话12329咨询，或拨打价格举报电话12358、热线电话12345",
        "手机 5G 信号差，电话 3 次没人接",
        "统一社会信用代码 91210100MA0XKQ5B2C",
        "新能源充电桩坏了，京东快递站门口",
        "辽阳县首山镇第1234号",
        "温度 -15℃，风力 5-6 级",
        "hotel 门口",
        "",
    ],
)
def test_ordinary_text_untouched(text):
    assert redact(text) == text
    assert find(text) == []


def test_none_and_kinds():
    assert redact(None) is None
    assert find("电话13812345678，身份证210102199001011234，车牌京A12345，a@b.cn") == [
        "email", "citizen_id", "mobile", "plate"]


def test_masks_match_the_register_masking():
    """The same number looks the same in a register field and in a published text."""
    assert redact("13812345678") == mask_phone("13812345678")
    assert redact("210102199001011234") == mask_citizen_id("210102199001011234")


def test_nothing_personal_survives_in_a_mixed_text():
    text = ("张先生 13812345678 身份证 21010219900101123X 车 辽K12345，"
            "邮箱 zs@example.com，家里 0419-3456789，卡 6222021234567890，住 3栋2单元501室")
    out = redact(text)
    for secret in ("13812345678", "21010219900101123X", "K12345", "zs@", "3456789", "6222021234567890"):
        assert secret not in out, secret
    assert "3栋2单元501室" in out and out.startswith("张先生 138****5678")
    assert redact(out) == out  # idempotent: a masked text stays as it is
