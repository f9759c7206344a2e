"""Fixtures of the HTTP-level page tests: ``report(line)`` prints figures in the run's summary."""

from __future__ import annotations

import pytest

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
