"""Timestamps: RFC 3339 in, UTC with milliseconds and `Z` out (docs/API.md, "Requests and answers").

One range for every timestamp a client sends (`EARLIEST` .. `LATEST`, UTC): a day inside
years 0001..9999 at each end, so that everything derived from an accepted timestamp stays in
0001..9999 too: a session's end (at most `MAX_SESSION_SECONDS` later) and its local day in any
time zone (offsets up to 14 hours). One formatter writes every timestamp, always with a
four-digit year, so stored timestamps sort as text in time order.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# An RFC 3339 date-time that carries an explicit offset (`Z` or `+hh:mm`).
_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
MAX_SESSION_SECONDS = 604_800  # a session lasts at most a week (docs/DESIGN.md, "Values")
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC) - timedelta(days=1, seconds=MAX_SESSION_SECONDS)
RANGE_TEXT = "0001-01-02T00:00:00Z .. 9999-12-23T00:00:00Z"


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp in the accepted range; ValueError (with the reason for the
    client) when it lacks an offset, is not a date-time or is out of range."""
    if not _WITH_OFFSET.match(value):
        raise ValueError("must be an RFC 3339 timestamp with a UTC offset")
    text = value.replace("z", "Z").replace("t", "T")
    fraction = re.search(r"\.(\d+)", text)
    if fraction and len(fraction.group(1)) > 6:  # Python parses at most microseconds
        text = text.replace(fraction.group(0), "." + fraction.group(1)[:6])
    moment = None
    if not text.startswith("0000"):  # year 0 does not exist (datetime: "out of range")
        # OverflowError: e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC.
        with contextlib.suppress(OverflowError):
            moment = datetime.fromisoformat(text).astimezone(UTC)
    if moment is None or not EARLIEST <= moment <= LATEST:
        raise ValueError(f"must be within {RANGE_TEXT}")
    return moment


def format_timestamp(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC (strftime's %Y does not pad years below 1000)."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{m.microsecond // 1000:03d}Z"
    )


# What `utc_now` answers instead of the system's clock (None: the system's). Set only by a
# benchmark (`set_clock`) whose figures must not depend on how long its requests take.
_clock: Callable[[], datetime] | None = None


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Make `utc_now` answer `clock()` (an aware datetime), or the system's clock again (None).
    The epoch seconds some modules take from `time.time()` (sync tokens, idempotency and
    webhook records) do not follow it."""
    global _clock
    _clock = clock


def utc_now() -> datetime:
    return datetime.now(UTC) if _clock is None else _clock()


def now_iso() -> str:
    return format_timestamp(utc_now())
