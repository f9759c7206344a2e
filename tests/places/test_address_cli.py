"""`gridgov address parse`: stdin lines → JSON lines, one per input line, blank lines included."""

import json
import subprocess
import sys


def test_address_parse_cli_round_trip():
    lines = ["浙江省杭州市余杭区五常街道文一西路969号", "", "辽阳县人民街道幸福路１２号三单元五〇一室（附近）"]
    out = subprocess.run([sys.executable, "-m", "gridgov.cli", "address", "parse"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True, timeout=120).stdout.splitlines()
    rows = [json.loads(x) for x in out]
    assert [r["text"] for r in rows] == lines
    assert rows[1]["elements"] == []
    first = {e["label"]: e["text"] for e in rows[0]["elements"]}
    assert first["prov"] == "浙江省" and first["road"] == "文一西路" and first["roadno"] == "969号"
    for r in rows:
        for e in r["elements"]:
            assert r["text"][e["start"]:e["end"]] == e["text"]
