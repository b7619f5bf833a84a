"""Timestamps: RFC 3339 in, UTC with milliseconds and `Z` out (contract section 1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# An RFC 3339 date-time that carries an explicit offset (`Z` or `+hh:mm`).
_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp; raise ValueError when it lacks an offset or is invalid."""
    if not _WITH_OFFSET.match(value):
        raise ValueError("must be an RFC 3339 timestamp with a UTC offset")
    text = value.replace("z", "Z").replace("t", "T")
    fraction = re.search(r"\.(\d+)", text)
    if fraction and len(fraction.group(1)) > 6:  # Python parses at most microseconds
        text = text.replace(fraction.group(0), "." + fraction.group(1)[:6])
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except OverflowError as error:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError("is out of range in UTC") from error


def format_timestamp(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    return format_timestamp(utc_now())
