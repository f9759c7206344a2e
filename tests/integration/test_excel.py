"""Row schemas, cell parsers, digests, templates, error reports and watermarked exports."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from gridgov.codes import CodeError, build_citizen_id, build_grid_code, build_uscc, check_char
from gridgov.integration import (
    BadRow,
    CellError,
    Column,
    RowSchema,
    TableError,
    error_report_xlsx,
    export_csv,
    export_xlsx,
    format_watermark,
    int_parser,
    iter_export_csv,
    parse_bool_cell,
    parse_citizen_id_cell,
    parse_date_cell,
    parse_datetime_cell,
    parse_decimal_cell,
    parse_enum_cell,
    parse_int_cell,
    parse_mobile_cell,
    parse_phone_cell,
    parse_region_code_cell,
    parse_uscc_cell,
    read_table,
    region_code_parser,
    row_digest,
    template_xlsx,
    text_parser,
)

ID1 = build_citizen_id("211021", date(1990, 1, 1), 123)
ID2 = build_citizen_id("211021", date(1985, 6, 30), 456)
ID3 = build_citizen_id("211021", date(2001, 12, 9), 789)
EXAMPLE_ID = build_citizen_id("211021", date(1980, 5, 20), 11)
USCC = build_uscc("9", "1", "211021", "MA0T4U8R")


def wrong_check(cid: str) -> str:
    return cid[:17] + ("0" if cid[17] != "0" else "1")


def born_matches_id(data: dict) -> list[str]:
    if data["born"] is not None and data["born"].strftime("%Y%m%d") != data["citizen_id"][6:14]:
        return ["出生日期：与身份证号中的出生日期不一致"]
    return []


PERSON = RowSchema("实有人口", [
    Column("name", "姓名", required=True, example="张三", help_cn="与身份证一致"),
    Column("citizen_id", "身份证号", aliases=("公民身份号码",), required=True, parse=parse_citizen_id_cell,
           example=EXAMPLE_ID, help_cn="18 位，末位可为 X"),
    Column("sex", "性别", parse=parse_enum_cell({"男": "male", "女": "female"}), example="男"),
    Column("phone", "联系电话", parse=parse_phone_cell, example="13800138000"),
    Column("born", "出生日期", parse=parse_date_cell, example="1980-05-20"),
    Column("resident", "是否常住", parse=parse_bool_cell, example="是"),
    Column("grid", "所属网格", parse=region_code_parser("grid", "exclusive_grid")),
], unique=["citizen_id"], checks=[born_matches_id])


def workbook(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# parsers


def test_citizen_id_cell() -> None:
    assert parse_citizen_id_cell(ID1) == ID1
    assert parse_citizen_id_cell(f" {ID1[:6]} {ID1[6:14]} {ID1[14:]} ") == ID1
    full_width = ID1.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert parse_citizen_id_cell(full_width) == ID1
    x_id = next(build_citizen_id("211021", date(1990, 1, 1), n) for n in range(1000)
                if check_char(f"21102119900101{n:03d}") == "X")
    assert parse_citizen_id_cell(x_id.lower()) == x_id
    old = "211021900101123"
    assert parse_citizen_id_cell(old) == "21102119900101123" + check_char("21102119900101123")
    for bad in (wrong_check(ID1), ID1[:-1], "abc", "991021199001011234"):
        with pytest.raises(CodeError):
            parse_citizen_id_cell(bad)


def test_uscc_phone_region_cells() -> None:
    assert parse_uscc_cell(USCC.lower()) == USCC
    with pytest.raises(CodeError):
        parse_uscc_cell(USCC[:-1] + ("0" if USCC[-1] != "0" else "1"))
    assert parse_phone_cell("138 0013 8000") == "13800138000"
    assert parse_phone_cell("０４１９－２３４５６７８") == "0419-2345678"
    assert parse_mobile_cell("+86 13800138000") == "13800138000"
    for bad in ("12345", "1380013800a"):
        with pytest.raises(CodeError):
            parse_phone_cell(bad)
    with pytest.raises(CodeError):
        parse_mobile_cell("0419-1234567")
    assert parse_region_code_cell("211021") == "211021"
    assert parse_region_code_cell("210000") == "21"
    with pytest.raises(CodeError):
        parse_region_code_cell("991021")
    grid = build_grid_code("211021001001", 1)
    assert region_code_parser("grid")(grid) == grid
    with pytest.raises(CellError) as info:
        region_code_parser("grid")("211021")
    assert info.value.message == "应为网格代码，实为县级代码"


@pytest.mark.parametrize("text", ["2024-01-05", "2024/1/5", "2024.1.5", "20240105", "2024年1月5日", "2024年01月05号",
                                  "２０２４－０１－０５", "2024-01-05 00:00:00", "2024-01-05T00:00"])
def test_date_cell_accepts(text: str) -> None:
    assert parse_date_cell(text) == date(2024, 1, 5)


@pytest.mark.parametrize(("text", "message"), [
    ("2024-02-30", "不是有效日期"), ("2024-13-01", "不是有效日期"), ("05/01/2024", "日期格式无法识别"),
    ("45296", "日期格式无法识别"), ("2024-01", "日期格式无法识别"), ("1700-01-01", "年份"),
    ("2024-01-05 10:30:00", "不应包含时间"), ("明天", "日期格式无法识别"),
])
def test_date_cell_rejects(text: str, message: str) -> None:
    with pytest.raises(CellError) as info:
        parse_date_cell(text)
    assert message in info.value.message


def test_datetime_cell() -> None:
    assert parse_datetime_cell("2024/1/5 10:30") == datetime(2024, 1, 5, 10, 30)
    assert parse_datetime_cell("2024-01-05 10:30:15") == datetime(2024, 1, 5, 10, 30, 15)
    assert parse_datetime_cell("2024-01-05T10:30:15.5") == datetime(2024, 1, 5, 10, 30, 15, 500000)
    assert parse_datetime_cell("20240105") == datetime(2024, 1, 5)
    for bad in ("2024-01-05 25:00", "2024-01-05 10点"):
        with pytest.raises(CellError):
            parse_datetime_cell(bad)


def test_number_cells() -> None:
    assert parse_int_cell("12") == 12
    assert parse_int_cell("-3") == -3
    assert parse_int_cell("1,234") == 1234
    assert parse_int_cell("12.0") == 12
    assert parse_int_cell("１２") == 12
    for bad in ("12.5", "abc", "1,23", "", "1e3"):
        with pytest.raises(CellError):
            parse_int_cell(bad)
    age = int_parser(0, 150)
    assert age("150") == 150
    with pytest.raises(CellError, match="不能大于 150"):
        age("151")
    assert parse_decimal_cell("1,234.50") == Decimal("1234.50")
    assert parse_decimal_cell(".5") == Decimal("0.5")
    assert parse_decimal_cell("-0.25") == Decimal("-0.25")
    for bad in ("NaN", "Infinity", "1.2.3", "12%", "1e5"):
        with pytest.raises(CellError):
            parse_decimal_cell(bad)


def test_enum_bool_text_cells() -> None:
    sex = parse_enum_cell({"男": "male", "女": "female"})
    assert sex("男") == "male"
    assert sex(" 女 ") == "female"
    assert sex("Female") == "female"
    with pytest.raises(CellError) as info:
        sex("未知")
    assert info.value.message == "“未知”不是可选值，应为：男、女"
    assert sex.choices == ("男", "女")
    for yes in ("是", "Y", "yes", "TRUE", "1", "√"):
        assert parse_bool_cell(yes) is True
    for no in ("否", "n", "No", "false", "0", "×"):
        assert parse_bool_cell(no) is False
    with pytest.raises(CellError):
        parse_bool_cell("也许")
    assert text_parser(4)("首山镇") == "首山镇"
    with pytest.raises(CellError, match="长度超过 2 个字"):
        text_parser(2)("首山镇")


# --------------------------------------------------------------------------------------------
# schema


def test_validate_good_and_bad_rows_with_reasons() -> None:
    grid = build_grid_code("211021001001", 1)
    data = workbook([
        ["姓名", "公民身份号码", "性别", "联系电话", "出生日期", "是否常住", "所属网格", "备注"],
        ["张三", ID1, "男", "13800138000", date(1990, 1, 1), "是", grid, "无"],
        ["李四", wrong_check(ID2), "女", "12345", "1985/6/30", "否", None, None],
        [None, ID3, "未知", None, "2001.12.9", None, None, None],
        ["王五", ID1, "男", None, None, None, None, None],
        ["赵六", ID3, "女", None, "2001-12-10", None, None, None],
    ])
    result = PERSON.load(data, "人口.xlsx")
    assert [g.number for g in result.good] == [2]
    assert result.good[0].data == {"name": "张三", "citizen_id": ID1, "sex": "male", "phone": "13800138000",
                                   "born": date(1990, 1, 1), "resident": True, "grid": grid}
    bad = {b.number: b for b in result.bad}
    assert sorted(bad) == [3, 4, 5, 6]
    expected_check = check_char(ID2[:17])
    assert bad[3].reasons[0] == f"公民身份号码：校验位错误：应为 {expected_check}，实为 {wrong_check(ID2)[17]}"
    assert bad[3].reasons[1].startswith("联系电话：")
    assert bad[3].failed == ("公民身份号码", "联系电话")
    assert bad[4].reasons == ["姓名：必填项为空", "性别：“未知”不是可选值，应为：男、女"]
    assert bad[5].reasons == ["公民身份号码：与第 2 行重复"]
    assert bad[6].reasons == ["出生日期：与身份证号中的出生日期不一致"]
    assert bad[3].values["公民身份号码"] == wrong_check(ID2)
    assert any("备注" in w for w in result.warnings)
    assert result.summary_cn() == "实有人口：共 5 行，可导入 1 行，有错误 4 行"


def test_missing_required_column_is_refused_before_any_row() -> None:
    data = workbook([["姓名", "性别"], ["张三", "男"]])
    with pytest.raises(TableError) as info:
        PERSON.load(data, "x.xlsx")
    assert info.value.code == "missing_column"
    assert info.value.message == "缺少必填列：身份证号"


def test_two_headers_for_one_column_are_refused() -> None:
    data = workbook([["姓名", "身份证号", "公民身份号码"], ["张三", ID1, ID1]])
    with pytest.raises(TableError) as info:
        PERSON.load(data, "x.xlsx")
    assert info.value.code == "ambiguous_column"


def test_schema_declaration_errors() -> None:
    with pytest.raises(ValueError):
        RowSchema("x", [Column("a", "甲"), Column("a", "乙")])
    with pytest.raises(ValueError):
        RowSchema("x", [Column("a", "甲"), Column("b", "乙", aliases=("甲",))])
    with pytest.raises(ValueError):
        RowSchema("x", [Column("a", "甲")], unique=["b"])


def test_a_broken_parser_does_not_stop_the_import() -> None:
    schema = RowSchema("x", [Column("n", "编号", parse=lambda s: int(s))])
    result = schema.validate(read_table(b"\xe7\xbc\x96\xe5\x8f\xb7\n1\nabc\n", "x.csv"))
    assert [g.data for g in result.good] == [{"n": 1}]
    assert result.bad[0].reasons == ["编号：格式错误"]


# --------------------------------------------------------------------------------------------
# idempotence


def test_row_digest_is_stable() -> None:
    a = {"name": "张三", "born": date(1990, 1, 1), "area": Decimal("85.50"), "n": 3, "ok": True, "x": None}
    b = dict(reversed(list(a.items())))
    b["area"] = Decimal("85.5")
    assert row_digest(a) == row_digest(b)
    assert len(row_digest(a)) == 64
    assert row_digest(a) != row_digest({**a, "n": 4})
    assert row_digest({"d": date(2024, 1, 5)}) != row_digest({"d": "2024-01-05"})
    assert row_digest({"t": datetime(2024, 1, 5, 10), "u": time(8)}) == row_digest({"u": time(8), "t": datetime(2024, 1, 5, 10)})
    with pytest.raises(TypeError):
        row_digest({"x": object()})


@given(st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text(max_size=10),
                                                      st.dates(), st.booleans()), max_size=6))
def test_row_digest_ignores_key_order(data: dict) -> None:
    assert row_digest(data) == row_digest(dict(reversed(list(data.items()))))


def test_importing_the_same_file_twice_gives_the_same_digests() -> None:
    data = workbook([["姓名", "身份证号", "出生日期"], ["张三", ID1, "1990/1/1"], ["李四", ID2, None]])
    first = [g.digest for g in PERSON.load(data, "x.xlsx").good]
    second = [g.digest for g in PERSON.load(data, "x.xlsx").good]
    assert first == second and len(set(first)) == 2


# --------------------------------------------------------------------------------------------
# template


def test_template_layout() -> None:
    wb = load_workbook(io.BytesIO(template_xlsx(PERSON)))
    assert wb.sheetnames[:2] == ["实有人口", "填写说明"]
    ws = wb["实有人口"]
    headers = [c.value for c in ws[1]]
    assert headers == ["*姓名", "*身份证号", "性别", "联系电话", "出生日期", "是否常住", "所属网格"]
    assert ws["A1"].font.color.rgb.endswith("C00000") and ws["A1"].font.b
    assert ws["C1"].font.color is None or not str(ws["C1"].font.color.rgb).endswith("C00000")
    assert "18 位" in ws["B1"].comment.text and EXAMPLE_ID in ws["B1"].comment.text
    assert ws["B2"].value == EXAMPLE_ID and ws["B2"].data_type == "s"
    assert ws["B2"].font.i and ws["B2"].font.color.rgb.endswith("808080")
    for col in "BDG":  # ID, phone, grid code: text format so Excel keeps every digit
        assert ws[f"{col}2"].number_format == "@"
        assert ws[f"{col}500"].number_format == "@"
        assert ws.column_dimensions[col].number_format == "@"
    assert ws["C2"].number_format == "General"
    assert ws.freeze_panes == "A2"
    lists = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert lists['"男,女"'].startswith("C2:") and lists['"是,否"'].startswith("F2:")
    assert ws.column_dimensions["B"].width >= len(EXAMPLE_ID)
    notes = [row for row in wb["填写说明"].values]
    assert any(row[0] == "身份证号" and row[1] == "必填" for row in notes)


def test_template_round_trip() -> None:
    template = template_xlsx(PERSON)
    # left untouched, the example row is not imported as a person
    result = PERSON.load(template, "模板.xlsx")
    assert not result.good
    assert result.bad[0].number == 2 and "示例行" in result.bad[0].reasons[0]
    # filled in, it is
    wb = load_workbook(io.BytesIO(template))
    ws = wb.active
    ws["A2"], ws["B2"], ws["E2"] = "李四", ID2, "1985-06-30"
    for col, value in zip("ABCDEF", ["王五", ID3, "女", "0419-2345678", "2001-12-09", "否"]):
        ws[f"{col}3"] = value
    out = io.BytesIO()
    wb.save(out)
    result = PERSON.load(out.getvalue(), "模板.xlsx")
    assert not result.bad, result.bad
    assert [(g.number, g.data["citizen_id"]) for g in result.good] == [(2, ID2), (3, ID3)]
    assert result.good[1].data["phone"] == "0419-2345678" and result.good[1].data["resident"] is False
    assert result.empty_rows == 0  # the pre-formatted rows below are not counted as empty rows


def test_long_choice_lists_go_to_a_hidden_sheet() -> None:
    many = {f"选项{i:03d}": i for i in range(80)}
    schema = RowSchema("x", [Column("a", "类别", parse=parse_enum_cell(many)), Column("b", "名称")])
    wb = load_workbook(io.BytesIO(template_xlsx(schema)))
    assert wb["选项"].sheet_state == "hidden"
    assert wb["选项"]["A80"].value == "选项079"
    assert wb.active.data_validations.dataValidation[0].formula1 == "'选项'!$A$1:$A$80"


# --------------------------------------------------------------------------------------------
# error report


def test_error_report_round_trip() -> None:
    source = workbook([
        ["辽阳县实有人口登记表"],
        ["姓名", "公民身份号码", "联系电话", "备注"],
        ["张三", ID1, "13800138000", "=不是公式"],
        ["李四", wrong_check(ID2), "13900139000", None],
        ["王五", ID3, "12345", None],
    ])
    result = PERSON.load(source, "人口.xlsx")
    assert [b.number for b in result.bad] == [4, 5]
    report = error_report_xlsx(PERSON, result.bad, source_name="人口.xlsx", generated_at=datetime(2026, 11, 22, 10))

    wb = load_workbook(io.BytesIO(report))
    ws = wb.active
    assert "人口.xlsx" in ws["A1"].value and "2026-11-22 10:00" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["姓名", "公民身份号码", "联系电话", "备注", "原行号", "错误原因"]
    assert [c.value for c in ws[3]][:2] == ["李四", wrong_check(ID2)]
    assert ws["E3"].value == 4 and ws["F3"].value.startswith("公民身份号码：校验位错误")
    assert ws["B3"].fill.fgColor.rgb.endswith("FFC7CE") and not ws["A3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["C4"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["B3"].number_format == "@"
    assert ws.freeze_panes == "A3"

    # the user fixes the two cells and imports the report itself
    ws["B3"] = ID2
    ws["C4"] = "13700137000"
    out = io.BytesIO()
    wb.save(out)
    fixed = PERSON.load(out.getvalue(), "人口_错误报告.xlsx")
    assert not fixed.bad, fixed.bad
    assert [g.data["citizen_id"] for g in fixed.good] == [ID2, ID3]
    unknown = [w for w in fixed.warnings if w.startswith("未识别的列")]
    assert unknown == ["未识别的列（已忽略）：备注"]  # 原行号 and 错误原因 are ignored silently


def test_a_report_that_fails_again_gives_a_clean_report() -> None:
    first = PERSON.load(workbook([["姓名", "身份证号"], ["李四", wrong_check(ID2)]]), "x.xlsx")
    report = error_report_xlsx(PERSON, first.bad, source_name="x.xlsx")
    again = PERSON.load(report, "x_错误报告.xlsx")  # re-imported without fixing
    assert again.bad[0].reasons == first.bad[0].reasons
    second = error_report_xlsx(PERSON, again.bad, source_name="x_错误报告.xlsx")
    ws = load_workbook(io.BytesIO(second)).active
    assert [c.value for c in ws[2]] == ["姓名", "身份证号", "原行号", "错误原因"]
    assert ws["C3"].value == 3  # the row in the report it came from
    assert PERSON.load(second, "y.xlsx").bad[0].values["身份证号"] == wrong_check(ID2)


def test_error_report_from_quarantined_rows_highlights_by_reason() -> None:
    rows = [BadRow(7, {"姓名": "李四", "身份证号": "123"}, ["身份证号：长度错误：应为 18 位，实为 3 位"])]
    ws = load_workbook(io.BytesIO(error_report_xlsx(PERSON, rows, source_name="x.csv"))).active
    assert ws["B3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["C3"].value == 7


def test_empty_error_report_still_has_the_headers() -> None:
    ws = load_workbook(io.BytesIO(error_report_xlsx(PERSON, [], source_name="x.csv"))).active
    assert [c.value for c in ws[2]][:2] == ["姓名", "身份证号"]


# --------------------------------------------------------------------------------------------
# exports

WATERMARK = format_watermark("leader（分管领导 刘强）", datetime(2026, 11, 22, 10, 0), "辽阳县 211021")


def test_watermark_text() -> None:
    assert WATERMARK == "导出人：leader（分管领导 刘强）｜导出时间：2026-11-22 10:00｜范围：辽阳县 211021｜仅限工作使用，严禁外传"


def test_export_xlsx_has_the_watermark_first() -> None:
    rows = [["张三", ID1, 42, date(2024, 1, 5), True, "=HYPERLINK(\"http://x\")", 211021199001011234, None]]
    data = export_xlsx(["姓名", "身份证号", "年龄", "登记日期", "常住", "备注", "编号", "空"], rows,
                       watermark=WATERMARK, sheet_name="实有人口/导出")
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws.title == "实有人口_导出"
    assert ws["A1"].value == WATERMARK
    assert "A1:H1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == ["姓名", "身份证号", "年龄", "登记日期", "常住", "备注", "编号", "空"]
    values = [c.value for c in ws[3]]
    assert values[:3] == ["张三", ID1, 42]
    assert values[3] == datetime(2024, 1, 5)
    assert values[4] == "是"
    assert values[5] == "=HYPERLINK(\"http://x\")" and ws["F3"].data_type == "s"  # text, not a live formula
    assert values[6] == "211021199001011234"  # too long for an Excel number: written as text
    assert wb.properties.description == WATERMARK
    # an export can be read back: the watermark row is skipped as a title
    table = read_table(data, "导出.xlsx")
    assert table.header_row == 2 and table.rows[0].number == 3
    assert table.title_rows == [WATERMARK]


def test_export_xlsx_streams_many_rows() -> None:
    n = 100_000
    rows = ((f"居民{i}", ID1, i) for i in range(n))  # a generator: never held in memory as a list
    data = export_xlsx(["姓名", "身份证号", "序号"], rows, watermark=WATERMARK)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == n + 2
    assert sheet.rindex(f"居民{n - 1}") > sheet.rindex(f"居民{n - 2}")
    assert f'<row r="{n + 2}"' in sheet


def test_export_csv() -> None:
    rows = [["张三", ID1, "=1+1", "-5", "+86 138 0013 8000", "@sum", 3, Decimal("1.50"), date(2024, 1, 5), None],
            ["李四", "0419", "普通文字", "-x", "", "", -2, 1.5, datetime(2024, 1, 5, 10, 30), True]]
    headers = ["姓名", "身份证号", "公式", "负数", "电话", "at", "数", "小数", "日期", "空"]
    data = export_csv(headers, rows, watermark=WATERMARK)
    assert data.startswith(codecs.BOM_UTF8)
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == WATERMARK
    assert lines[1] == ",".join(headers)
    assert lines[2].split(",") == ["张三", "\t" + ID1, "'=1+1", "-5", "+86 138 0013 8000", "'@sum", "3", "1.50",
                                   "2024-01-05", ""]
    assert lines[3].split(",")[:4] == ["李四", "\t0419", "普通文字", "'-x"]
    assert lines[3].endswith("2024-01-05 10:30:00,是")
    # it reads back with the watermark skipped and the Excel guards removed
    table = read_table(data, "导出.csv")
    assert table.encoding == "utf-8-sig" and table.header_row == 2
    assert table.rows[0].values["身份证号"] == ID1
    assert table.rows[1].values["身份证号"] == "0419"
    assert b"".join(iter_export_csv(headers, rows, watermark=WATERMARK, chunk_rows=1)) == data
