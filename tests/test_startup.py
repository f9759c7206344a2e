"""The server refuses an unmigrated database with a clear message; `db upgrade` fixes it."""

import os
import subprocess
import sys

import pytest

from gridgov.db import NotMigrated


def test_refuses_unmigrated_database(tmp_path):
    from gridgov.app import create_app

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(NotMigrated, match="gridgov db upgrade"):
        create_app(url)


def test_serve_command_exits_with_the_message_and_upgrade_fixes_it(tmp_path):
    env = {**os.environ, "GRIDGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    r = subprocess.run([sys.executable, "-m", "gridgov.cli", "serve", "--port", "1"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "gridgov db upgrade" in r.stderr
    r = subprocess.run([sys.executable, "-m", "gridgov.cli", "db", "upgrade"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from gridgov.app import create_app

    create_app(env["GRIDGOV_DATABASE_URL"])  # no longer raises


def test_help_on_every_command():
    for args in (["--help"], ["demo", "--help"], ["serve", "--help"], ["db", "upgrade", "--help"],
                 ["regions", "import", "--help"], ["locate", "--help"], ["user", "add", "--help"],
                 ["audit", "verify", "--help"]):
        r = subprocess.run([sys.executable, "-m", "gridgov.cli", *args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "Usage" in r.stdout, (args, r.stderr)
