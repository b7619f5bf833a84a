"""The local stack's state on disk: saved while it runs, restored when it starts again.

What is saved is moto's own state, its backends (every table and its stream, the user pools
with their users, passwords, tokens and signing keys, the queues with their messages), pickled
as LocalStack's persistence pickles the same backends, plus the parts of the stack that live
outside moto (`Persistence.track`: the physical ids of the template's resources, the stream
pollers' positions, the OAuth2 endpoints' codes and refresh tokens).

- A snapshot is taken under the emulator's lock (no call is half done in it) at most
  `SNAPSHOT_INTERVAL_S` after a call that changed something, and once more on stop. It is
  written to a temporary file and renamed over the last one, so a kill at any moment leaves
  the previous snapshot or the new one, never half of one: a hard kill loses at most the calls
  of the last interval (plus the time a save takes).
- The parts outside moto are read *before* moto is pickled: a stream poller's position is
  never ahead of the writes it has made, so after a restart a record is dispatched again
  rather than lost (at least once, as Lambda's event source mappings are).
- `state.json` beside the snapshot says up to when it holds every call (`savedAt`: a moment
  the lock was held, when the snapshot was taken or, at a later check with nothing changed
  since, still equal to the state): every call answered before `savedAt` is in it.

The snapshot names moto's classes: another moto version (or a changed model) may not load
it. Then the stack refuses to start and says how to start clean (`make dev-clean`).
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import moto
from moto.core.base_backend import BackendDict

from local.emulator import Emulator

log = logging.getLogger("stint.local")

FORMAT = 1
STATE_FILE = "state.pickle"
META_FILE = "state.json"
SNAPSHOT_INTERVAL_S = 0.5
# Services whose state is not worth keeping: DynamoDB Streams holds only shard iterators
# (the records are the table's); the pollers get new iterators after a restart.
TRANSIENT_SERVICES = frozenset({"dynamodbstreams"})

_LOCK_TYPES: dict[type, Callable[[], Any]] = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
}


class StateError(Exception):
    """The saved state cannot be restored."""


# ----------------------------------------------------------------------------- pickling


def _private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    return load_der_private_key(der, password=None)


def _public_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    return load_der_public_key(der)


def _key_reduction(obj: Any) -> tuple[Callable[[bytes], Any], tuple[bytes]] | None:
    """cryptography's keys (moto's Cognito and KMS keys) do not pickle: their DER does."""
    if not type(obj).__module__.startswith("cryptography."):
        return None
    from cryptography.hazmat.primitives import serialization as ser

    if hasattr(obj, "private_bytes"):
        der = obj.private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, ser.NoEncryption())
        return _private_key, (der,)
    if hasattr(obj, "public_bytes"):
        der = obj.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
        return _public_key, (der,)
    return None


class _Pickler(pickle.Pickler):
    """Locks are pickled as new locks (nothing holds one in a snapshot: the emulator's lock
    is held while it is taken), keys as their DER."""

    def reducer_override(self, obj: Any) -> Any:
        make_lock = _LOCK_TYPES.get(type(obj))
        if make_lock is not None:
            return make_lock, ()
        return _key_reduction(obj) or NotImplemented


def _dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- moto's backends


def _backend_dicts() -> dict[str, tuple[str, str, BackendDict[Any]]]:
    """service -> (module, attribute, its BackendDict), for every service moto holds data of."""
    found: dict[str, tuple[str, str, BackendDict[Any]]] = {}
    for module_name in sorted(name for name in sys.modules if name.startswith("moto.")):
        for attribute, value in vars(sys.modules[module_name]).items():
            if not isinstance(value, BackendDict) or not len(value):
                continue
            service = str(value.service_name)
            if service not in TRANSIENT_SERVICES and service not in found:
                found[service] = (module_name, attribute, value)
    return found


def _install_backends(saved: dict[str, tuple[str, str, BackendDict[Any]]]) -> None:
    """Put the saved backends into moto's module-level BackendDicts (which moto's request
    handlers look up on every call)."""
    for module_name, attribute, backends in saved.values():
        live = getattr(importlib.import_module(module_name), attribute)
        live.clear()
        dict.update(live, backends)


# ----------------------------------------------------------------------------- the state


class Persistence:
    """Saves the emulator's state (and the registered parts) to `state_dir`; restores it."""

    def __init__(
        self, emulator: Emulator, state_dir: Path, interval: float = SNAPSHOT_INTERVAL_S
    ) -> None:
        self.emulator = emulator
        self.path = state_dir / STATE_FILE
        self.meta_path = state_dir / META_FILE
        self.interval = interval
        self.restored = False
        self._parts: dict[str, Callable[[], Any]] = {}
        self._loaded: dict[str, Any] = {}
        self._saved: tuple[int, dict[str, Any]] | None = None  # (changes, parts) last saved
        self._size = 0  # bytes of the snapshot on disk
        self._save_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def clear(self) -> None:
        """Forget the saved state: the next start is a clean one."""
        for path in (self.path, self.meta_path):
            path.unlink(missing_ok=True)

    def restore(self) -> bool:
        """Load the saved state into moto (before the emulator serves); False if there is none."""
        if not self.path.exists():
            return False
        try:
            content = pickle.loads(self.path.read_bytes())
        except Exception as error:
            raise StateError(f"{self.path} cannot be loaded ({error!r})") from error
        if not isinstance(content, dict) or content.get("format") != FORMAT:
            raise StateError(f"{self.path} is not a state this version of the stack wrote")
        if content.get("moto") != moto.__version__:
            raise StateError(
                f"{self.path} was saved by moto {content.get('moto')}, this is {moto.__version__}"
            )
        _install_backends(content["backends"])
        self._loaded = dict(content["parts"])
        self._saved = (self.emulator.app.changes, dict(self._loaded))
        self._size = self.path.stat().st_size
        self.restored = True
        log.info(
            "state restored from %s (saved %s)",
            self.path,
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(content["savedAt"])),
        )
        return True

    def loaded(self, name: str) -> Any:
        """The value of part `name` that was restored (None on a clean start)."""
        return self._loaded.get(name)

    def track(self, name: str, current: Callable[[], Any]) -> None:
        """Save `current()` as part `name` with every snapshot (a value that pickles)."""
        self._parts[name] = current

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="state-snapshots", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the snapshots and take the last one (if they were started: a stack that did
        not finish starting leaves the saved state as it was)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=10)
        self._thread = None
        self.save()

    def save(self) -> bool:
        """Take a snapshot if anything changed since the last; True if one was written."""
        with self._save_lock:
            parts = {name: current() for name, current in self._parts.items()}  # before moto
            app = self.emulator.app
            with app.lock:
                saved_at = time.time()
                changes = app.changes
                data = None if self._saved == (changes, parts) else self._snapshot(saved_at, parts)
            if data is not None:
                write_atomically(self.path, data)
                self._size = len(data)
            meta = {"savedAt": saved_at, "changes": changes, "bytes": self._size}
            write_atomically(self.meta_path, json.dumps(meta).encode(), durable=data is not None)
            self._saved = (changes, parts)
            return data is not None

    def _snapshot(self, saved_at: float, parts: dict[str, Any]) -> bytes:
        """moto's backends and the parts, pickled (the emulator's lock is held)."""
        return _dumps(
            {
                "format": FORMAT,
                "moto": moto.__version__,
                "savedAt": saved_at,
                "parts": parts,
                "backends": _backend_dicts(),
            }
        )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.save()
            except Exception:  # keep saving: the next snapshot may succeed
                log.exception("the local stack's state could not be saved to %s", self.path)


def write_atomically(path: Path, data: bytes, durable: bool = True) -> None:
    """Readers (and a restart after a kill) see the old file or the new one, never a part;
    `durable`: on the disk before it replaces the old (a machine's crash too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        if durable:
            os.fsync(file.fileno())
    os.replace(temporary, path)
