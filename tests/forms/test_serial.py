"""Serial numbers: the pure formatting and period functions, and the pattern checks."""

from __future__ import annotations

import datetime as dt

import pytest

from tack.forms.fields.serial import check_pattern, format_serial, period_key

from .helpers import form_errors

DAY = dt.date(2026, 1, 5)


@pytest.mark.parametrize(("pattern", "when", "counter", "expected"), [
    ("VIS-{YYYY}{MM}{DD}-{####}", DAY, 42, "VIS-20260105-0042"),
    ("VIS-{YYYY}{MM}{DD}-{####}", DAY, 12345, "VIS-20260105-12345"),  # outgrows its digits: still unique
    ("{YY}{MM}-{###}", dt.date(2009, 12, 31), 7, "0912-007"),
    ("{#}", DAY, 0, "0"),
    ("{##########}", DAY, 1, "0000000001"),
    ("报销-{YYYY}年{MM}月-{####}", DAY, 3, "报销-2026年01月-0003"),
    ("{DD}/{MM}/{YYYY} #{###}", DAY, 9, "05/01/2026 #009"),
    ("{####}", dt.date(1, 1, 1), 1, "0001"),
    ("{YYYY}-{####}", dt.date(999, 5, 5), 1, "0999-0001"),
    ("X{YYYY}{####}", dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC), 5, "X20260005"),
])
def test_format_serial(pattern: str, when: dt.date, counter: int, expected: str) -> None:
    assert format_serial(pattern, when, counter) == expected


@pytest.mark.parametrize("counter", [-1, True, 1.5, "3"])
def test_format_serial_refuses_a_bad_counter(counter: object) -> None:
    with pytest.raises(ValueError):
        format_serial("{####}", DAY, counter)  # type: ignore[arg-type]


@pytest.mark.parametrize(("reset", "expected"), [
    ("never", ""), ("yearly", "2026"), ("monthly", "2026-01"), ("daily", "2026-01-05"),
])
def test_period_key(reset: str, expected: str) -> None:
    assert period_key(reset, DAY) == expected


def test_period_keys_change_exactly_at_period_boundaries() -> None:
    dec31, jan1 = dt.date(2025, 12, 31), dt.date(2026, 1, 1)
    assert period_key("yearly", dec31) != period_key("yearly", jan1)
    assert period_key("monthly", dt.date(2026, 1, 31)) != period_key("monthly", dt.date(2026, 2, 1))
    assert period_key("monthly", dt.date(2026, 1, 1)) == period_key("monthly", dt.date(2026, 1, 31))
    assert period_key("daily", dt.date(5, 6, 7)) == "0005-06-07"
    with pytest.raises(ValueError):
        period_key("weekly", DAY)


@pytest.mark.parametrize(("pattern", "reset", "problem"), [
    ("VIS-{YYYY}", "never", "exactly one counter"),
    ("{###}-{###}", "never", "exactly one counter"),
    ("{YYYY}-{HH}-{###}", "never", "Unknown part {HH}"),
    ("{###########}", "never", "Unknown part"),  # 11 digits
    ("{}{###}", "never", "Unknown part {}"),
    ("{YYYY-{###}", "never", "brace"),
    ("{###}}", "never", "brace"),
    ("A{###}\n", "never", "control characters"),
    ("{MM}{DD}-{###}", "yearly", "{YYYY} or {YY}"),
    ("{YYYY}-{###}", "monthly", "{MM}"),
    ("{YYYY}{MM}-{###}", "daily", "{DD}"),
])
def test_bad_patterns(pattern: str, reset: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("{", r"\{").replace("}", r"\}")):
        check_pattern(pattern, reset)


@pytest.mark.parametrize(("pattern", "reset"), [
    ("{####}", "never"), ("{YY}-{###}", "yearly"), ("{YY}{MM}{####}", "monthly"),
    ("VIS-{YYYY}{MM}{DD}-{####}", "daily"), ("{DD}{MM}{YYYY}{#}", "daily"), ("{YYYY}{MM}{DD}{####}", "never"),
])
def test_good_patterns(pattern: str, reset: str) -> None:
    check_pattern(pattern, reset)


def test_the_form_checks_the_pattern_where_it_is() -> None:
    assert form_errors(
        {"name": "Title"},
        {"name": "No", "type": "serial", "settings": {"pattern": "VIS-{YYYY}-{####}", "reset": "daily"}},
        {"name": "No2", "type": "serial", "settings": {"reset": "hourly"}},
        {"name": "No3", "type": "serial", "settings": {"pattern": ""}},
    ) == [("$.fields[1].settings.pattern", "pattern"), ("$.fields[2].settings.reset", "settings"),
          ("$.fields[3].settings.pattern", "settings")]
