"""Statutory periods on the calendar (民法典 第二百零一条 – 第二百零三条), vectorised.

* 第二百零一条: a period counted in years, months or days starts on the day *after* the event
  (the starting day is not counted);
* 第二百零二条: a period in years or months ends on the corresponding day of the last month;
  without one (29 February, the 31st), on the last day of that month;
* 第二百零三条: a last day that is a statutory rest day (法定休假日: a holiday, or a weekend
  that is not a 调休 working day) moves to the next working day; the period ends at the end of
  that day, so a finding shows from the day after.

So one full year after 2023-03-07 ends at the end of 2024-03-07 (a Thursday, a working day)
and the finding shows from 2024-03-08. The rest days come from a kept calendar — the
``holidays`` package's country calendar (``DeploymentSettings.holiday_calendar``, CN) —
never from a hand-written list. Days are ``numpy.datetime64[D]`` arrays; NaT stays NaT.

>>> cal = WorkCalendar.for_days("CN", np.array(["2023-03-07"], dtype="datetime64[D]"))
>>> str(period_end(np.array(["2023-03-07"], dtype="datetime64[D]"), cal, years=1)[0])
'2024-03-07'
>>> str(add_calendar(np.array(["2024-02-29"], dtype="datetime64[D]"), years=1)[0])
'2025-02-28'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays
import numpy as np

__all__ = ["WorkCalendar", "add_calendar", "period_end"]

_NAT = np.datetime64("NaT", "D")


def add_calendar(
    start: np.ndarray, *, years: int | np.ndarray = 0, months: int | np.ndarray = 0
) -> np.ndarray:
    """The day ``years`` years and ``months`` months after each ``start`` (第二百零二条):
    the corresponding day, or the month's last day when there is none."""
    s = np.asarray(start, dtype="datetime64[D]")
    first = s.astype("datetime64[M]")
    offset = (s - first.astype("datetime64[D]")).astype(np.int64)  # day of month − 1
    shift = np.asarray(years, dtype=np.int64) * 12 + np.asarray(months, dtype=np.int64)
    target = first + shift
    last = (target + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    out = np.minimum(target.astype("datetime64[D]") + offset, last)
    return np.where(np.isnat(s), _NAT, out)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days of ``country`` between ``first`` and ``last`` (inclusive), as a lookup:
    ``next_working[i]`` is the first working day on or after ``first + i``."""

    country: str
    first: np.datetime64
    next_working: np.ndarray

    @classmethod
    def for_days(cls, country: str, days: np.ndarray, *, margin_years: int = 3) -> WorkCalendar:
        """A calendar covering ``days`` (NaT ignored) with a margin of years either side."""
        d = np.asarray(days, dtype="datetime64[D]")
        d = d[~np.isnat(d)]
        if len(d):
            y0 = int(d.min().astype("datetime64[Y]").astype(np.int64)) + 1970
            y1 = int(d.max().astype("datetime64[Y]").astype(np.int64)) + 1970
        else:
            y0 = y1 = 2000
        return _calendar(country, y0 - 1, y1 + margin_years)

    def next_working_day(self, days: np.ndarray) -> np.ndarray:
        """Each day, or the first working day after it when it is a rest day (第二百零三条)."""
        d = np.asarray(days, dtype="datetime64[D]")
        nat = np.isnat(d)
        idx = (d - self.first).astype(np.int64)
        if len(idx) and (~nat).any():
            inside = idx[~nat]
            if inside.min() < 0 or inside.max() >= len(self.next_working):
                raise ValueError(
                    f"day outside the working calendar {self.country} "
                    f"{self.first} + {len(self.next_working)} days"
                )
        out = self.next_working[np.where(nat, 0, idx)]
        return np.where(nat, _NAT, out)

    def is_working(self, day: date) -> bool:
        d = np.datetime64(day, "D")
        return bool(self.next_working[int((d - self.first).astype(np.int64))] == d)


@lru_cache(maxsize=16)
def _calendar(country: str, y0: int, y1: int) -> WorkCalendar:
    cal = holidays.country_holidays(country, years=range(y0, y1 + 1))
    first = np.datetime64(f"{y0:04d}-01-01", "D")
    end = np.datetime64(f"{y1 + 1:04d}-01-01", "D")
    days = np.arange(first, end + np.timedelta64(40, "D"), dtype="datetime64[D]")
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday (3)
    working = weekday < 5
    extra: set[date] = set(getattr(cal, "weekend_workdays", set()))  # 调休: weekends worked
    for table, flag in ((set(cal.keys()), False), (set(extra), True)):
        if table:
            pos = (np.array(sorted(table), dtype="datetime64[D]") - first).astype(np.int64)
            pos = pos[(pos >= 0) & (pos < len(days))]
            working[pos] = flag
    idx = np.where(working, np.arange(len(days)), len(days) - 1)
    nxt = np.minimum.accumulate(idx[::-1])[::-1]
    return WorkCalendar(country, first, days[nxt])


def period_end(
    start: np.ndarray,
    calendar: WorkCalendar,
    *,
    years: int | np.ndarray = 0,
    months: int | np.ndarray = 0,
) -> np.ndarray:
    """The last day of a period of ``years``/``months`` that starts after ``start``
    (第二百零一条 – 第二百零三条); the period is over from the next day."""
    return calendar.next_working_day(add_calendar(start, years=years, months=months))
