"""Reading hand-made spreadsheets: formats, encodings, headers, row numbers, values, refusals."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from datetime import date, datetime, time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from gridgov.codes import build_citizen_id
from gridgov.integration import Column, RowSchema, TableError, parse_citizen_id_cell, read_table
from gridgov.integration.tabular import clean_header, column_letter, header_key

ID1 = build_citizen_id("211021", date(1990, 1, 1), 123)
ID2 = build_citizen_id("211021", date(1985, 6, 30), 456)
EXPECTED = ["姓名", "身份证号", "性别", "联系电话", "户籍地址-省", "户籍地址-市", "户籍地址-区", "户籍地址-详细地址",
            "所属社区", "出生日期"]
PERSON = RowSchema("实有人口", [
    Column("name", "姓名", required=True),
    Column("citizen_id", "身份证号", required=True, parse=parse_citizen_id_cell),
    Column("sex", "性别"),
])


def xlsx(rows: list[list[object]], *, merges: tuple[str, ...] = (), sheets: dict[str, list[list[object]]] | None = None,
         title: str = "Sheet1") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
    for ref in merges:
        ws.merge_cells(ref)
    for name, extra in (sheets or {}).items():
        other = wb.create_sheet(name)
        for row in extra:
            other.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def patch_sheet(data: bytes, pattern: str, replacement: str) -> bytes:
    """Rewrite the first worksheet's XML (to build cells openpyxl cannot write, e.g. cached formulas)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content, n = re.subn(pattern.encode(), replacement.encode(), content)
                assert n == 1
            dst.writestr(info, content)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# CSV: encodings and delimiters

CSV_TEXT = f"姓名,身份证号,性别\r\n张三,{ID1},男\r\n李四,{ID2},女\r\n"


@pytest.mark.parametrize(("encoded", "encoding"), [
    (CSV_TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + CSV_TEXT.encode("utf-8"), "utf-8-sig"),
    (CSV_TEXT.encode("gbk"), "gbk"),
    (CSV_TEXT.replace("张三", "张𠀀").encode("gb18030"), "gb18030"),
    (CSV_TEXT.encode("utf-16"), "utf-16"),
])
def test_csv_encodings(encoded: bytes, encoding: str) -> None:
    table = read_table(encoded, "人口.csv")
    assert table.format == "csv"
    assert table.encoding == encoding
    assert table.headers == ["姓名", "身份证号", "性别"]
    assert [r.values["身份证号"] for r in table.rows] == [ID1, ID2]
    assert table.rows[1].values == {"姓名": "李四", "身份证号": ID2, "性别": "女"}
    assert [r.number for r in table.rows] == [2, 3]


def test_undecodable_names_the_offset() -> None:
    data = b"name,note\nab,\xff\xfe\xfd\n"
    with pytest.raises(TableError) as info:
        read_table(data, "x.csv")
    assert info.value.code == "undecodable"
    assert "字节偏移 13" in info.value.message
    assert info.value.details["utf8_offset"] == 13


def test_mixed_utf8_and_gbk_is_refused_not_garbled() -> None:
    data = "姓名,身份证号,性别\n张三,1,男\n".encode() + "李四,2,女\n".encode("gbk")
    with pytest.raises(TableError) as info:
        read_table(data, "x.csv")
    assert info.value.code == "undecodable"
    assert "编码混杂" in info.value.message
    assert "第 3 行" in info.value.message


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters(delimiter: str) -> None:
    text = CSV_TEXT.replace(",", delimiter).replace("张三", "张三, 小名")  # a comma inside a value
    if delimiter == ",":
        text = text.replace("张三, 小名", '"张三, 小名"')
    table = read_table(text.encode("gbk"), "x.txt", expected_headers=EXPECTED)
    assert table.delimiter == delimiter
    assert table.rows[0].values["姓名"] == "张三, 小名"
    assert table.rows[0].values["身份证号"] == ID1


def test_tab_separated_text_saved_as_xls_is_read_with_a_warning() -> None:
    data = CSV_TEXT.replace(",", "\t").encode("gbk")
    table = read_table(data, "导出.xls")
    assert table.delimiter == "\t"
    assert any(".xls" in w for w in table.warnings)


def test_csv_record_numbers_match_excel_rows_even_with_line_breaks_in_cells() -> None:
    text = f'姓名,身份证号,备注\n张三,{ID1},"第一行\n第二行"\n\n李四,{ID2},\n'
    table = read_table(text.encode(), "x.csv")
    assert [r.number for r in table.rows] == [2, 4]
    assert table.rows[0].values["备注"] == "第一行\n第二行"
    assert table.empty_rows == 1


def test_csv_excel_text_tricks_are_unwrapped() -> None:
    text = f"姓名,身份证号,邮编\n张三,=\"{ID1}\",'111000\n"
    table = read_table(text.encode(), "x.csv")
    assert table.rows[0].values == {"姓名": "张三", "身份证号": ID1, "邮编": "111000"}


def test_csv_scientific_notation_is_flagged() -> None:
    text = "姓名,身份证号,面积\n张三,2.11021E+17,1.5E+2\n"
    table = read_table(text.encode(), "x.csv")
    row = table.rows[0]
    assert row.values["身份证号"] == "2.11021E+17"
    assert "科学计数法" in row.problems["身份证号"]
    assert "面积" not in row.problems  # a small number in scientific notation is not a mangled ID


def test_unbalanced_quote_is_refused() -> None:
    text = f'姓名,身份证号\n"张三,{ID1}\n李四,{ID2}\n'
    with pytest.raises(TableError) as info:
        read_table(text.encode(), "x.csv")
    assert info.value.code == "malformed_csv"
    assert "引号" in info.value.message


# --------------------------------------------------------------------------------------------
# headers


def test_title_rows_above_the_header_are_skipped_and_row_numbers_are_excels() -> None:
    rows = [["辽阳县实有人口登记表"], [], ["填报单位：首山镇", None, "填报日期：2026-11-01"],
            ["姓名", "身份证号", "性别"], ["张三", ID1, "男"], [], ["李四", ID2, "女"], [], []]
    data = xlsx(rows, merges=("A1:C1",))
    table = read_table(data, "人口.xlsx", expected_headers=EXPECTED)
    assert table.header_row == 4
    assert table.title_rows[0] == "辽阳县实有人口登记表"
    assert [r.number for r in table.rows] == [5, 7]
    assert table.empty_rows == 1  # the blank line between the rows; trailing blanks are not rows
    assert any("空行" in w for w in table.warnings)


def test_title_rows_in_csv() -> None:
    text = f"辽阳县实有人口登记表,,\n,,\n姓名,身份证号,性别\n张三,{ID1},男\n"
    table = read_table(text.encode("gbk"), "x.csv", expected_headers=EXPECTED)
    assert table.header_row == 3
    assert table.rows[0].number == 4
    # without expected headers the title (one distinct value) is still skipped
    assert read_table(text.encode("gbk"), "x.csv").header_row == 3


def test_merged_two_row_header() -> None:
    rows = [
        ["辽阳县实有人口登记表"],
        ["姓名", "户籍地址", None, None, None, "联系电话"],
        [None, "省", "市", "区", "详细地址", None],
        ["张三", "辽宁省", "辽阳市", "辽阳县", "首山镇 1 号", "13800138000"],
    ]
    data = xlsx(rows, merges=("A1:F1", "A2:A3", "B2:E2", "F2:F3"))
    table = read_table(data, "x.xlsx", expected_headers=EXPECTED)
    assert table.headers == ["姓名", "户籍地址-省", "户籍地址-市", "户籍地址-区", "户籍地址-详细地址", "联系电话"]
    assert (table.header_row, table.header_rows) == (2, 2)
    assert table.rows[0].number == 4
    assert table.rows[0].values["户籍地址-详细地址"] == "首山镇 1 号"
    # the same header flattened to CSV (merged cells become empty cells)
    text = "姓名,户籍地址,,,,联系电话\n,省,市,区,详细地址,\n张三,辽宁省,辽阳市,辽阳县,首山镇1号,13800138000\n"
    table = read_table(text.encode(), "x.csv", expected_headers=EXPECTED)
    assert table.headers == ["姓名", "户籍地址-省", "户籍地址-市", "户籍地址-区", "户籍地址-详细地址", "联系电话"]
    # and with the depth given explicitly
    assert read_table(text.encode(), "x.csv", header_rows=2).headers == table.headers


def test_header_merged_across_two_columns_names_only_the_first() -> None:
    rows = [["姓名", "身份证号", "详细地址", None], ["张三", ID1, "首山镇", None], ["李四", ID2, "刘二堡", "旁注"]]
    table = read_table(xlsx(rows, merges=("C1:D1",)), "x.xlsx", expected_headers=EXPECTED)
    assert table.headers == ["姓名", "身份证号", "详细地址"]
    assert table.columns == ["姓名", "身份证号", "详细地址", ""]
    assert any("第 D 列没有表头" in w for w in table.warnings)


def test_header_names_are_cleaned() -> None:
    rows = [["*姓　名", " 身份\n证号 ", "性别（必填）"], ["张三", ID1, "男"]]
    table = read_table(xlsx(rows), "x.xlsx", expected_headers=EXPECTED)
    assert table.headers == ["姓名", "身份证号", "性别"]
    assert clean_header("＊联系 电话\r\n") == "联系电话"
    assert header_key("ＩＤ（必填）") == header_key("id")


def test_duplicate_headers_are_refused() -> None:
    rows = [["姓名", "身份证号", "姓 名"], ["张三", ID1, "张三"]]
    with pytest.raises(TableError) as info:
        read_table(xlsx(rows), "x.xlsx")
    assert info.value.code == "duplicate_header"
    assert "“姓名”出现在第 A、C 列" in info.value.message


def test_no_header_found() -> None:
    rows = [["甲", "乙"], ["1", "2"]]
    with pytest.raises(TableError) as info:
        read_table(xlsx(rows), "x.xlsx", expected_headers=EXPECTED)
    assert info.value.code == "no_header"


def test_explicit_header_row() -> None:
    rows = [["说明：以下为数据"], ["甲", "乙"], ["1", "2"]]
    table = read_table(xlsx(rows), "x.xlsx", header_row=2)
    assert table.headers == ["甲", "乙"]
    assert table.rows[0].number == 3


def test_repeated_header_rows_are_skipped() -> None:
    rows = [["姓名", "身份证号"], ["张三", ID1], ["姓名", "身份证号"], ["李四", ID2]]
    table = read_table(xlsx(rows), "x.xlsx", expected_headers=EXPECTED)
    assert [r.number for r in table.rows] == [2, 4]
    assert table.repeated_header_rows == 1


# --------------------------------------------------------------------------------------------
# values


def test_xlsx_values_are_normalised() -> None:
    rows = [
        ["编号", "面积", "比例", "日期", "时间戳", "时刻", "是否", "备注"],
        [12.0, 85.5, 0.1 + 0.2, datetime(2024, 1, 5), datetime(2024, 1, 5, 10, 30), time(8, 0), True, "\u3000 有空格 \u3000"],
        [13800138000, 1e-7, None, date(2024, 2, 29), None, None, False, "\u200b"],
    ]
    table = read_table(xlsx(rows), "x.xlsx")
    assert table.rows[0].values == {
        "编号": "12", "面积": "85.5", "比例": "0.3", "日期": "2024-01-05", "时间戳": "2024-01-05 10:30:00",
        "时刻": "08:00:00", "是否": "TRUE", "备注": "有空格",
    }
    second = table.rows[1].values
    assert second["编号"] == "13800138000"
    assert second["面积"] == "0.0000001"
    assert second["日期"] == "2024-02-29"
    assert second["备注"] is None
    assert table.rows[0].raw[0] == 12  # the value as stored
    assert not table.rows[0].problems


def test_eighteen_digit_id_typed_as_a_number_is_flagged_not_guessed() -> None:
    rows = [["姓名", "身份证号"], ["张三", 2.11021199001011e17], ["李四", 211021198506304561], ["王五", ID1]]
    table = read_table(xlsx(rows), "x.xlsx")
    first, second, third = table.rows
    assert first.values["身份证号"] == "2.11021199001011E+17"
    assert "15 位" in first.problems["身份证号"]
    assert "身份证号" in second.problems
    assert not third.problems
    result = PERSON.validate(table)
    assert [b.number for b in result.bad] == [2, 3]
    assert result.bad[0].reasons[0].startswith("身份证号：该单元格是超过 15 位的数字")
    assert [g.number for g in result.good] == [4]


def test_formulas_use_cached_values() -> None:
    data = xlsx([["姓名", "年龄"], ["张三", 42]])
    data = patch_sheet(data, r'<c r="B2" t="n"><v>42</v></c>', '<c r="B2"><f>20+22</f><v>42</v></c>')
    table = read_table(data, "x.xlsx")
    assert table.rows[0].values["年龄"] == "42"


def test_excel_error_values_are_flagged() -> None:
    table = read_table(xlsx([["姓名", "年龄"], ["张三", "#N/A"]]), "x.xlsx")
    assert "错误值 #N/A" in table.rows[0].problems["年龄"]


def test_vertically_merged_data_cells_fill_every_row() -> None:
    rows = [["所属社区", "姓名"], ["东街社区", "张三"], [None, "李四"], [None, "王五"], ["西街社区", "赵六"]]
    table = read_table(xlsx(rows, merges=("A2:A4",)), "x.xlsx")
    assert [r.values["所属社区"] for r in table.rows] == ["东街社区"] * 3 + ["西街社区"]
    assert any("合并" in w for w in table.warnings)


def test_content_outside_the_header_is_a_row_problem() -> None:
    text = f"姓名,身份证号,住址\n张三,{ID1},首山镇,1号楼\n李四,{ID2},刘二堡\n"
    table = read_table(text.encode(), "x.csv")
    assert "第 D 列在表头范围之外" in table.rows[0].problems[""]
    assert not table.rows[1].problems
    result = PERSON.validate(table)
    assert [b.number for b in result.bad] == [2]


# --------------------------------------------------------------------------------------------
# sheets


def test_sheet_selection() -> None:
    data = xlsx([["说明"], ["本工作簿第二页为数据"]], sheets={"人员": [["姓名", "身份证号"], ["张三", ID1]]})
    table = read_table(data, "x.xlsx", expected_headers=EXPECTED)
    assert table.sheet == "人员"
    assert any("人员" in w for w in table.warnings)
    assert read_table(data, "x.xlsx", sheet="人员").rows[0].values["姓名"] == "张三"
    with pytest.raises(TableError) as info:
        read_table(data, "x.xlsx", sheet="房屋")
    assert info.value.code == "no_sheet"
    assert "人员" in info.value.message


# --------------------------------------------------------------------------------------------
# refusals


def _refused(data: bytes, filename: str, code: str, **kwargs: object) -> TableError:
    with pytest.raises(TableError) as info:
        read_table(data, filename, **kwargs)
    assert info.value.code == code, info.value.message
    assert info.value.message
    return info.value


def test_legacy_xls_is_refused() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert _refused(ole, "人口.xls", "unsupported_format").message == "不支持旧版 .xls，请另存为 .xlsx 或 CSV"
    encrypted = ole + "EncryptedPackage".encode("utf-16-le")
    assert "密码" in _refused(encrypted, "人口.xlsx", "unsupported_format").message


def test_html_saved_as_xls_is_refused() -> None:
    html = "<html><head><meta charset='gbk'></head><body><table><tr><td>姓名</td></tr></table></body></html>"
    assert "HTML" in _refused(html.encode("gbk"), "导出.xls", "unsupported_format").message
    assert "HTML" in _refused(html.encode("utf-16"), "导出.xls", "unsupported_format").message


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty_file"),
    (b"  \r\n\r\n", "empty_file"),
    (codecs.BOM_UTF8, "empty_file"),
    (b"%PDF-1.7\n...", "unsupported_format"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "unsupported_format"),
    (b"\x00\x01\x02\x03binary\x00", "unsupported_format"),
    (b"PK\x03\x04garbage", "corrupt_file"),
])
def test_not_a_table(data: bytes, code: str) -> None:
    _refused(data, "x.csv", code)


def test_other_zip_files_are_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types>wordprocessingml</Types>")
    assert "Word" in _refused(out.getvalue(), "x.xlsx", "unsupported_format").message
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert ".ods" in _refused(out.getvalue(), "x.ods", "unsupported_format").message


def test_empty_workbook_is_refused() -> None:
    _refused(xlsx([]), "x.xlsx", "empty_file")


def test_unknown_extension_with_text_is_refused() -> None:
    _refused(b'{"a": 1}', "x.json", "unsupported_format")


def test_format_follows_content_not_extension() -> None:
    table = read_table(xlsx([["姓名", "身份证号"], ["张三", ID1]]), "x.csv")
    assert table.format == "xlsx"
    assert any("按 .xlsx 读取" in w for w in table.warnings)
    table = read_table(CSV_TEXT.encode(), "x.xlsx")
    assert table.format == "csv"


def test_size_and_row_limits() -> None:
    err = _refused(CSV_TEXT.encode() * 10, "x.csv", "too_large", max_bytes=100)
    assert err.status == 413
    assert "上限" in err.message
    _refused(CSV_TEXT.encode(), "x.csv", "too_many_rows", max_rows=1)
    _refused(xlsx([["a", "b"], [1, 2], [3, 4], [5, 6]]), "x.xlsx", "too_many_rows", max_rows=2)
    assert len(read_table(CSV_TEXT.encode(), "x.csv", max_rows=2).rows) == 2


def test_unpacked_size_is_limited() -> None:
    data = xlsx([["姓名"], ["张三"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/media/padding.bin", b"\0" * 3_000_000)
    assert len(out.getvalue()) < 100_000
    err = _refused(out.getvalue(), "x.xlsx", "too_large", max_bytes=100_000)
    assert "解压后" in err.message


def test_wrong_sheet_dimensions_do_not_truncate() -> None:
    data = xlsx([["姓名", "身份证号"], ["张三", ID1], ["李四", ID2]])
    data = patch_sheet(data, r'<dimension ref="[^"]+" ?/>', '<dimension ref="A1:A1"/>')
    table = read_table(data, "x.xlsx")
    assert table.headers == ["姓名", "身份证号"]
    assert [r.values["身份证号"] for r in table.rows] == [ID1, ID2]


def test_header_only_file_is_not_an_error() -> None:
    table = read_table("姓名,身份证号\n".encode(), "x.csv")
    assert table.rows == [] and "没有数据行" in table.warnings[-1]


def test_table_error_is_an_api_error() -> None:
    err = _refused(b"", "x.csv", "empty_file")
    assert err.status == 422
    assert err.to_dict()["error"]["code"] == "empty_file"


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


# --------------------------------------------------------------------------------------------
# property: nothing but TableError escapes


_names = st.sampled_from(["x.csv", "x.xlsx", "x.xls", "x.txt", "x", "x.json", "数据.CSV"])
_prefixes = st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", codecs.BOM_UTF8,
                             codecs.BOM_UTF16_LE, "姓名,身份证号\n".encode(), "姓名\t身份证号\n".encode("gbk"), b"<html>"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=_prefixes, body=st.binary(max_size=400), filename=_names)
def test_read_table_raises_only_table_error(prefix: bytes, body: bytes, filename: str) -> None:
    try:
        read_table(prefix + body, filename, expected_headers=EXPECTED)
    except TableError as e:
        assert e.message and e.code


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('姓名身份证号,;\t|"\n\r \u3000=\'*abc0123456789.E+')), max_size=300),
       encoding=st.sampled_from(["utf-8", "gbk", "utf-16", "utf-8-sig"]))
def test_read_table_on_arbitrary_text(text: str, encoding: str) -> None:
    try:
        table = read_table(text.encode(encoding), "x.csv")
    except TableError as e:
        assert e.message and e.code
        return
    for row in table.rows:
        assert set(row.values) == set(table.headers)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(min_value=0, max_value=5000))
def test_damaged_xlsx_raises_only_table_error(junk: bytes, at: int) -> None:
    data = bytearray(xlsx([["姓名", "身份证号"], ["张三", ID1]]))
    at = at % len(data)
    data[at:at + len(junk)] = junk
    try:
        read_table(bytes(data), "x.xlsx")
    except TableError as e:
        assert e.message and e.code
