from hypothesis import given
from hypothesis import strategies as st

from gridgov.access.masking import mask_address, mask_citizen_id, mask_name, mask_phone


def test_examples():
    assert mask_citizen_id("210102199001011234") == "2101**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0419-1234567") == "0419-*****67"
    assert mask_name("张三丰") == "张*丰" and mask_name("张三") == "张*" and mask_name("欧阳小娜") == "欧**娜"
    assert mask_address("辽宁省辽阳市辽阳县人民街道团结社区幸福路12号3单元501室").endswith("****")
    assert mask_citizen_id(None) is None and mask_name("") == ""


@given(st.text(min_size=9, max_size=30))
def test_masked_id_hides_the_middle(s):
    m = mask_citizen_id(s)
    assert len(m) == len(s) and m[4:-4] == "*" * (len(s) - 8)


@given(st.text(min_size=3, max_size=10))
def test_masked_name_keeps_only_ends(s):
    m = mask_name(s)
    assert m[0] == s[0] and m[-1] == s[-1] and set(m[1:-1]) == {"*"}


def test_contact_text_masks_the_name_and_the_number_but_keeps_the_relation():
    from gridgov.access.masking import mask_contact

    assert mask_contact("李四（儿子）13912345678") == "李*（儿子）139****5678"
    assert mask_contact("（社区监护）") == "（社区监护）"
    assert mask_contact(None) is None


def test_special_group_attributes_that_are_personal_are_masked():
    from gridgov.people.groups import GROUPS, mask_attributes

    cert = "21102119800101123X11"
    out = mask_attributes("disabled", {"category": "视力", "grade": "一级", "certificate_no": cert})
    assert out["certificate_no"] == "2110************3X11" and out["category"] == "视力"
    assert mask_attributes("left_behind_child", {"guardian": "张三丰"})["guardian"] == "张*丰"
    # every attribute that names a person or carries a number of theirs says how it is masked
    for group in GROUPS.values():
        for a in group.attributes:
            if a.key in {"guardian", "emergency_contact", "certificate_no"}:
                assert a.personal, f"{group.code}.{a.key} is personal data"
