"""Data integration: the pure tabular toolkit that imports and exports stand on.

* :mod:`~gridgov.integration.tabular` — :func:`read_table`: ``.xlsx``/CSV bytes → :class:`Table`
  of string cells with Excel row numbers (encodings, title rows, merged headers, limits);
* :mod:`~gridgov.integration.columns` — :class:`RowSchema` of :class:`Column` s: validates a
  table into good rows (parsed values) and bad rows (Chinese reasons), ready-made cell parsers,
  :func:`row_digest` for idempotent re-imports;
* :mod:`~gridgov.integration.excel` — templates, error reports, watermarked exports.

None of these modules touches the database. On top of them (imported on their own, not from this
package): :mod:`~gridgov.integration.pipeline`, the one import run every import goes through
(``ImportRun``, a savepoint per row, quarantine, counts, audit, error report), and
:mod:`~gridgov.integration.http`, what the import routes share. See ``docs/tabular-import.md``.
"""

from gridgov.integration.columns import (
    REPORT_REASON_HEADER,
    REPORT_ROW_HEADER,
    BadRow,
    CellError,
    Column,
    GoodRow,
    RowSchema,
    ValidationResult,
    int_parser,
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
    parse_text_cell,
    parse_uscc_cell,
    region_code_parser,
    row_digest,
    text_parser,
)
from gridgov.integration.excel import (
    error_report_xlsx,
    export_csv,
    export_xlsx,
    format_watermark,
    iter_export_csv,
    template_xlsx,
)
from gridgov.integration.tabular import RawRow, Table, TableError, header_key, read_table

__all__ = [
    "REPORT_REASON_HEADER", "REPORT_ROW_HEADER",
    "BadRow", "CellError", "Column", "GoodRow", "RawRow", "RowSchema", "Table", "TableError",
    "ValidationResult",
    "error_report_xlsx", "export_csv", "export_xlsx", "format_watermark", "header_key", "int_parser",
    "iter_export_csv", "parse_bool_cell", "parse_citizen_id_cell", "parse_date_cell", "parse_datetime_cell",
    "parse_decimal_cell", "parse_enum_cell", "parse_int_cell", "parse_mobile_cell", "parse_phone_cell",
    "parse_region_code_cell", "parse_text_cell", "parse_uscc_cell", "read_table", "region_code_parser",
    "row_digest", "template_xlsx", "text_parser",
]
