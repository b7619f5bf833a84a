"""The emulator's journal: every call that may have changed moto's state, on disk before its
answer leaves, replayed over the last snapshot when the stack starts again.

A call is journaled as its request (the WSGI environ's strings and the body) plus what makes
moto's answer to it reproducible: moto draws every id it makes (a Cognito user's `sub`, a
refresh token, an SQS message id and receipt handle, a stream record's event id) from
`moto.moto_api._internal.mock_random`, and reads the clock (creation dates, a token's `iat`,
a message's visibility deadline). So before each call the emulator seeds `mock_random` with a
fresh seed of its own, and moto's clock (`Clock`) hands out the real time while recording
every reading; the journal keeps the seed and the readings. Replayed, a call gets the same
seed and the same readings in the same order, and so the same ids, dates and tokens
(tests/local/test_journal.py compares a replayed state with the live one).

Records are appended under the emulator's lock (the journal's order is the order the calls
ran in) with one `write()` each to a file opened `O_APPEND`: once `write()` returned, the
record is the kernel's, and a `kill -9` of the stack cannot lose it. It is not fsynced: that
would protect against the machine's crash or power loss too, at a few milliseconds a write,
which a local development stack does not need. A record is framed (length, CRC-32): a record
torn by a crash of the machine mid-write is where the replay stops.

Records of another kind carry the stack's own parts (local/persistence.py) as they change.
"""

from __future__ import annotations

import datetime as _datetime
import logging
import os
import pickle
import random
import struct
import time as _time
import types
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("stint.local")

_FRAME = struct.Struct("<II")  # the record's length and its CRC-32
_PREFIX = "journal."
# The environ's entries a replay needs (every str: the method, the path, the headers...).
_SKIPPED_KEYS = frozenset({"REMOTE_ADDR", "REMOTE_PORT", "SERVER_SOFTWARE"})


# ----------------------------------------------------------------------------- moto's clock


class Clock:
    """The time moto reads: the real one, each reading kept while a call is recorded; during a
    replay, the readings the call had, in order (the real time once they run out)."""

    def __init__(self) -> None:
        self.readings: list[float] | None = None  # the call's, while one is recorded
        self._replayed: Iterator[float] | None = None

    def time(self) -> float:
        if self._replayed is not None:
            return next(self._replayed, None) or _time.time()
        now = _time.time()
        if self.readings is not None:
            self.readings.append(now)
        return now

    def record(self) -> list[float]:
        self._replayed = None
        self.readings = []
        return self.readings

    def replay(self, readings: list[float]) -> None:
        self.readings = None
        self._replayed = iter(readings)

    def stop(self) -> None:
        self.readings = None
        self._replayed = None

    def install(self) -> None:
        """Point moto's clock at this one: `moto.core.utils.utcnow` (through which moto's
        DynamoDB and SQS read the time) and Cognito's `time.time()`."""
        from moto.cognitoidp import models as cognito_models
        from moto.cognitoidp import utils as cognito_utils
        from moto.core import utils as core_utils

        clock = self

        class ClockDatetime:  # what moto.core.utils calls on `datetime.datetime`
            now = staticmethod(lambda tz=None: _datetime.datetime.fromtimestamp(clock.time(), tz))
            utcnow = staticmethod(
                lambda: _datetime.datetime.fromtimestamp(clock.time(), _datetime.UTC).replace(
                    tzinfo=None
                )
            )
            fromtimestamp = staticmethod(_datetime.datetime.fromtimestamp)
            utcfromtimestamp = staticmethod(_datetime.datetime.utcfromtimestamp)
            strptime = staticmethod(_datetime.datetime.strptime)

        core_utils.datetime = _module("datetime", _datetime, datetime=ClockDatetime)
        clocked_time = _module("time", _time, time=self.time)
        cognito_models.time = clocked_time
        cognito_utils.time = clocked_time


def _module(name: str, real: types.ModuleType, **overrides: Any) -> types.ModuleType:
    """A copy of module `real` with some attributes replaced."""
    copy = types.ModuleType(name)
    copy.__dict__.update({k: v for k, v in vars(real).items() if not k.startswith("__")})
    copy.__dict__.update(overrides)
    return copy


CLOCK = Clock()


def seed_moto(seed: int) -> None:
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)


# Seeds for moto's generator, drawn without a system call: `os.urandom` inside the emulator's
# lock gave the interpreter lock away, and each call waited to get it back behind every request
# thread. Replay needs only the seed that was used, not an unpredictable one.
_SEEDS = random.Random(os.urandom(16))


def new_seed() -> int:
    return _SEEDS.getrandbits(64)


# ----------------------------------------------------------------------------- the files


def journal_name(generation: int) -> str:
    return f"{_PREFIX}{generation:06d}"


def journals(directory: Path) -> list[tuple[int, Path]]:
    """The journals in `directory`, oldest first, with their generation."""
    found = []
    for path in directory.glob(f"{_PREFIX}*"):
        suffix = path.name[len(_PREFIX) :]
        if suffix.isdigit():
            found.append((int(suffix), path))
    return sorted(found)


class Journal:
    """One journal file, appended to (one `write()` a record)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = os.fstat(self._fd).st_size

    def append(self, record: dict[str, Any]) -> None:
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        frame = _FRAME.pack(len(data), zlib.crc32(data)) + data
        written = os.write(self._fd, frame)
        if written != len(frame):  # a full disk: the call must not be answered as done
            raise OSError(f"{self.path}: {written} of {len(frame)} bytes written")
        self.size += written

    def close(self) -> None:
        os.close(self._fd)


def read(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a journal, up to its end or to a record that is not whole."""
    data = path.read_bytes()
    offset = 0
    while offset + _FRAME.size <= len(data):
        length, crc = _FRAME.unpack_from(data, offset)
        payload = data[offset + _FRAME.size : offset + _FRAME.size + length]
        if len(payload) != length or zlib.crc32(payload) != crc:
            break
        yield pickle.loads(payload)
        offset += _FRAME.size + length
    if offset != len(data):
        log.warning("%s: %d bytes after its last whole record ignored", path, len(data) - offset)


# ----------------------------------------------------------------------------- calls


def call_record(
    environ: dict[str, Any], body: bytes, seed: int, clock: list[float]
) -> dict[str, Any]:
    """What replays a call: its request, the seed moto had and the times it read."""
    request = {
        key: value
        for key, value in environ.items()
        if isinstance(value, str) and key not in _SKIPPED_KEYS
    }
    return {"environ": request, "body": body, "seed": seed, "clock": clock}


App = Callable[[dict[str, Any], Callable[..., Any]], Any]


def replay_call(app: App, record: dict[str, Any]) -> str:
    """Run a journaled call again in `app` (moto's), as it ran; its answer's status."""
    import io
    import sys

    environ: dict[str, Any] = dict(record["environ"])
    body: bytes = record["body"]
    environ.update(
        {
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
    )
    status: list[str] = []
    seed_moto(record["seed"])
    CLOCK.replay(record["clock"])
    try:
        result = app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            for _ in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    finally:
        CLOCK.stop()
    return status[0] if status else ""
