"""`gridgov demo` ends with the register it wrote: rows and seconds per table (a Rich table)."""

from __future__ import annotations

import io

from rich.console import Console
from typer.testing import CliRunner

from gridgov.cli import app, register_table


def render(table) -> str:
    out = io.StringIO()
    Console(width=120, file=out).print(table)
    return out.getvalue()


def test_register_table_lists_rows_seconds_and_steps():
    text = render(
        register_table(
            {
                "grid_workers": 11,
                "persons": 1_491_044,
                "new_table": 3,
                "generate_s": 1.25,
                "write_persons_s": 19.04,
                "indexes_s": 0.5,
                "total_s": 20.8,
            }
        )
    )
    lines = text.splitlines()
    row = next(line for line in lines if "实有人口" in line)
    assert "1,491,044" in row and "19.0" in row
    assert any("new_table" in line and " 3 " in line for line in lines)  # unknown tables keep their name
    steps = [line for line in lines if any(s in line for s in ("生成数据", "重建索引", "合计"))]
    assert len(steps) == 3 and "合计" in steps[-1] and "20.8" in steps[-1]


def test_demo_command_prints_the_register(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(app, ["demo", "--scale", "tiny", "--no-serve", "--database-url", url])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "区域数量" in out and "人口与房屋登记" in out and "实有人口" in out and "合计" in out
