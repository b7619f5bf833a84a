"""Event source mappings: the template's `DynamoDB` and `SQS` function events, run locally.

As Lambda's event source mappings do, a poller thread per event reads its source in the
emulator and invokes the function through the runtime with Lambda's event shape: a table's
stream by `local.streams.StreamPoller`, a queue by `local.queues.QueuePoller`.

Polls never wait inside the emulator (no long polling): the emulator serves one call at a
time, and a waiting receive would hold every other caller up.

A stream poller's position (the sequence number of the last record it handled) is part of the
local stack's saved state (local/persistence.py): after a restart it reads on after that
record, or from the shard's start if it had handled none: no record is lost, and one handled
just before a hard kill may be handled again (at least once, as Lambda's mappings are).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from local.emulator import Emulator
from local.functions import Runtime
from local.queues import QueuePoller
from local.resources import Provisioner
from local.streams import StreamPoller

log = logging.getLogger("stint.local")

POLL_SECONDS = 0.2


class EventSources:
    """One poller thread per DynamoDB-stream and SQS event of the template's functions."""

    def __init__(self, stack: Provisioner, emulator: Emulator, runtime: Runtime) -> None:
        self.stack = stack
        self.emulator = emulator
        self.runtime = runtime
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._streams: dict[str, StreamPoller] = {}

    def start(self, positions: dict[str, str | None] | None = None) -> None:
        """Start polling; `positions` (those of `positions()` before a restart) resumes the
        streams where they were, and reads a stream not named there from its start."""
        for function in self.runtime.functions:
            for name, event in function.events.items():
                properties = self.stack.resolve(event.get("Properties") or {})
                poll: Callable[[], bool] | None = None
                if event.get("Type") == "DynamoDB":
                    stream = StreamPoller(self.emulator, self.runtime, function, properties)
                    key = f"{function.logical_id}.{name}"
                    if positions is not None:
                        stream.resume_after(positions.get(key))
                    self._streams[key] = stream
                    poll = stream.poll
                elif event.get("Type") == "SQS":
                    poll = QueuePoller(self.emulator, self.runtime, function, properties).poll
                if poll is not None:
                    thread = threading.Thread(
                        target=self._run, args=(poll,), name=f"{function.logical_id}.{name}"
                    )
                    thread.daemon = True
                    thread.start()
                    self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def positions(self) -> dict[str, str | None]:
        """Each stream event's last handled sequence number (None: none handled yet)."""
        return {key: stream.position for key, stream in self._streams.items()}

    def _run(self, poll: Callable[[], bool]) -> None:
        while not self._stop.is_set():
            try:
                busy = poll()
            except Exception:  # the poller must outlive a failed call; Lambda's does
                log.exception("event source poller failed")
                busy = False
            if not busy:
                self._stop.wait(POLL_SECONDS)
