"""Days and instants: the one rule that turns a calendar day into moments (issue #14).

A *day* D (``datetime.date``) is a day in the deployment's time zone. "As of D" includes
everything that takes effect on or before D: for instants (bookings, recorded times) that is
every instant before the start of D + 1 in local time. Every reading by day — the control
line, the 占补平衡 ledger, OGC ``datetime`` — goes through :func:`day_bounds` /
:func:`end_of_day`, so a line put in force on 2026-03-01 is absent as of 2026-02-28 and
present as of 2026-03-01 everywhere.

The time zone is passed in (``indspace.settings.DeploymentSettings.tz``, or the store's);
nothing here reads the environment. :func:`today` is the one place in the code that reads
the wall clock for a day; everything else is pure.

>>> from zoneinfo import ZoneInfo
>>> tz = ZoneInfo("Asia/Shanghai")
>>> start, end = day_bounds(date(2026, 3, 1), tz)
>>> start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
('2026-02-28T16:00:00+00:00', '2026-03-01T16:00:00+00:00')
>>> local_day(datetime(2026, 2, 28, 16, 30, tzinfo=UTC), tz)
datetime.date(2026, 3, 1)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

__all__ = [
    "day_bounds",
    "end_of_day",
    "last_instant",
    "local_day",
    "parse_moment",
    "start_of_day",
    "today",
]


def _plain_day(day: date) -> date:
    if isinstance(day, datetime):  # a datetime is a date too: refuse the silent mix-up
        raise TypeError(f"expected a calendar day (datetime.date), got the instant {day!r}")
    return day


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC, clamped to the representable range (year 1 … 9999) so that a day
    at either end of the calendar still gives an instant instead of an OverflowError."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.max if moment.year == date.max.year else datetime.min
        return edge.replace(tzinfo=UTC)


def start_of_day(day: date, tz: tzinfo) -> datetime:
    """The first instant of ``day`` in ``tz`` (aware, in UTC)."""
    return _utc(datetime.combine(_plain_day(day), time(0), tzinfo=tz))


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The first instant *after* ``day`` in ``tz`` (exclusive bound, in UTC): "as of D"
    means strictly before this. After the last calendar day: the last instant there is.

    >>> end_of_day(date.max, UTC) == datetime.max.replace(tzinfo=UTC)
    True
    """
    if _plain_day(day) == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return start_of_day(day + timedelta(days=1), tz)


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``day`` in ``tz``."""
    return start_of_day(day, tz), end_of_day(day, tz)


def local_day(instant: datetime, tz: tzinfo) -> date:
    """The day in ``tz`` on which an instant falls (a naive instant is read as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    try:
        return instant.astimezone(tz).date()
    except OverflowError:  # beyond year 9999 (or before year 1) in that zone
        return date.max if instant.year == date.max.year else date.min


def today(tz: tzinfo) -> date:
    """Today in ``tz`` (the deployment's time zone): the default "as of" day everywhere —
    not the machine's local date, which on a server in UTC is yesterday until 08:00 in
    Beijing."""
    return local_day(datetime.now(UTC), tz)


def last_instant(day: date, tz: tzinfo) -> datetime:
    """The last representable instant of ``day`` in ``tz`` (inclusive bound)."""
    return end_of_day(day, tz) - timedelta(microseconds=1)


def parse_moment(text: str, tz: tzinfo) -> datetime:
    """A recorded-time argument (``--recorded-at``, API/OGC ``recorded_at``) → an aware
    instant: ``YYYY-MM-DD`` is the end of that day in ``tz`` (everything recorded on it
    counts); an ISO 8601 / RFC 3339 time without offset is read in ``tz``; ``Z`` is UTC.

    Raises ``ValueError`` for anything else.

    >>> from zoneinfo import ZoneInfo
    >>> tz = ZoneInfo("Asia/Shanghai")
    >>> parse_moment("2026-03-01", tz).astimezone(UTC).isoformat()
    '2026-03-01T15:59:59.999999+00:00'
    >>> parse_moment("2026-03-01T08:00:00", tz).astimezone(UTC).isoformat()
    '2026-03-01T00:00:00+00:00'
    >>> parse_moment("2026-03-01T08:00:00Z", tz).isoformat()
    '2026-03-01T08:00:00+00:00'
    """
    value = text.strip()
    if len(value) == 10:
        return last_instant(date.fromisoformat(value), tz)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return _utc(moment if moment.tzinfo else moment.replace(tzinfo=tz))
