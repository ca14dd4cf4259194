"""core.clock: the one rule that turns a day into instants (issue #14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from indspace.core.clock import day_bounds, end_of_day, last_instant, local_day, parse_moment

SH = ZoneInfo("Asia/Shanghai")  # UTC+8, no daylight saving
NY = ZoneInfo("America/New_York")


def test_a_day_is_local() -> None:
    # 2026-03-01 in Shanghai runs from 2026-02-28T16:00Z up to 2026-03-01T16:00Z
    start, end = day_bounds(date(2026, 3, 1), SH)
    assert (start, end) == (
        datetime(2026, 2, 28, 16, tzinfo=UTC),
        datetime(2026, 3, 1, 16, tzinfo=UTC),
    )
    assert last_instant(date(2026, 3, 1), SH) == end - timedelta(microseconds=1)
    # New York on 2026-03-08 (daylight saving starts): 05:00Z to 04:00Z next day, 23 h
    s, e = day_bounds(date(2026, 3, 8), NY)
    assert (s.hour, e.hour, (e - s) / timedelta(hours=1)) == (5, 4, 23.0)


def test_an_instant_falls_on_its_local_day() -> None:
    assert local_day(datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC), SH) == date(2026, 2, 28)
    assert local_day(datetime(2026, 2, 28, 16, 0, tzinfo=UTC), SH) == date(2026, 3, 1)
    assert local_day(datetime(2026, 2, 28, 16, 0), SH) == date(2026, 3, 1)  # naive = UTC


def test_recorded_at_text() -> None:
    assert parse_moment("2026-03-01", SH) == datetime(2026, 3, 1, 15, 59, 59, 999999, tzinfo=UTC)
    assert parse_moment("2026-03-01T08:00", SH) == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_moment("2026-03-01T08:00:00+00:00", SH) == datetime(2026, 3, 1, 8, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_moment("next week", SH)


def test_the_ends_of_the_calendar_give_instants_not_errors() -> None:
    top = datetime.max.replace(tzinfo=UTC)
    assert end_of_day(date.max, SH) == top
    assert parse_moment("9999-12-31T23:00:00-05:00", NY) == top
    assert parse_moment("0001-01-01T00:00:00+05:00", SH) == datetime.min.replace(tzinfo=UTC)
    assert local_day(top, SH) == date.max
    assert local_day(datetime.min.replace(tzinfo=UTC), NY) == date.min


def test_an_instant_is_not_a_day() -> None:
    with pytest.raises(TypeError, match="calendar day"):
        end_of_day(datetime(2026, 3, 1, tzinfo=UTC), SH)
