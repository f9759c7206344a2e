import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.places.addressing import address_key, normalize


@pytest.mark.parametrize("text,key", [
    ("辽宁省辽阳市辽阳县首山镇幸福路12号幸福家园3号楼2单元502室", "幸福路12号幸福家园3号楼2单元502室"),
    ("辽阳县人民街道团结社区幸福路12号", "幸福路12号"),
    ("幸福路１２号（东门）附近", "幸福路12号"),
    ("幸福小区三号楼五〇一室", "幸福小区3号楼501室"),
    ("浙江省杭州市滨江区缤纷北苑47幢", "缤纷北苑47幢"),
    ("首山镇东村三组12号", "东村3组12号"),
    ("辽阳县柳壕镇二十三号", "23号"),
    ("辽阳县首山镇杨洼子村杨洼子综合市场", "杨洼子综合市场"),
    ("辽阳市白塔区新运大街华联超市", "新运大街华联超市"),
])
def test_keys(text, key):
    assert address_key(text) == key


def test_normalize_numbers_and_width():
    assert normalize("三单元十二层一百零五室") == "3单元12层105室"
    assert normalize("Ａ座") == "A座"


@given(st.text(max_size=80))
def test_never_raises(text):
    key = address_key(text)
    assert key is None or len(key) <= 160
