"""Fixtures of the HTTP-level page tests: ``web`` (a client of the demo app, as a browser would use
it; log in with ``web_kit.web_login``) and ``report(line)`` (prints figures in the run's summary)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def web(demo_app):
    with TestClient(demo_app) as c:
        yield c


SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        terminalreporter.section("page timings")
        for line in SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def report():
    def add(line: str) -> None:
        SUMMARY.append(line)
        print(line)

    return add
