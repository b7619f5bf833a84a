"""The local stack's state on disk: every acknowledged call kept, restored when it starts again.

What is kept is moto's own state, its backends (every table and its stream, the user pools
with their users, passwords, tokens and signing keys, the queues with their messages), plus
the parts of the stack that live outside moto (`Persistence.track`: the physical ids of the
template's resources, the stream pollers' positions, the OAuth2 endpoints' codes and refresh
tokens). It is kept as a snapshot and a journal after it:

- The journal (local/journal.py) gets every emulator call that may have changed moto's state,
  inside the emulator's lock and before its answer leaves (one `write()`, not fsynced: a
  `kill -9` of the stack loses nothing that was answered; the machine's crash may). A part
  is journaled when it changed: the OAuth2 endpoints' before their answer leaves
  (`Persistence.journaled`), the others (the pollers' positions) at most `PARTS_INTERVAL_S`
  later: after a kill a poller may dispatch a record again, never skip one (at least once,
  as Lambda's event source mappings are).
- A snapshot is moto's backends pickled (as LocalStack's persistence pickles them) with the
  parts, taken under the emulator's lock when the stack has started and when it stops, and
  when the journal has grown past `COMPACT_BYTES`. Taking one starts a new journal (under the
  same lock: a call is in the snapshot or in the journal after it); the snapshot is written
  to a temporary file, fsynced and renamed over the last one, and only then are the journals
  it holds deleted, so a kill at any moment leaves a snapshot and the journals after it.
- Starting, the stack loads the snapshot and replays the journals after it into moto (the
  same ids, tokens and dates: local/journal.py), then takes a snapshot of its own. Journals
  without any snapshot are those of a first start that did not finish (the snapshot is taken
  before the outputs are written): they are dropped.
- `state.json` beside the snapshot says when it was taken (`snapshotAt`), which journal
  carries the calls made since (`journal`) and the sizes of both.

The snapshot and the journal name moto's classes: another moto version (or a changed model)
may not load them. Then the stack refuses to start and says how to start clean
(`make dev-clean`).
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

from local import journal
from local.emulator import Emulator

log = logging.getLogger("stint.local")

FORMAT = 2
STATE_FILE = "state.pickle"
META_FILE = "state.json"
PARTS_INTERVAL_S = 0.5
COMPACT_BYTES = 16 * 1024 * 1024  # about 6,000 writes: folded into a new snapshot
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
    """Keeps the emulator's state (and the tracked parts) in `state_dir`; restores it."""

    def __init__(
        self, emulator: Emulator, state_dir: Path, interval: float = PARTS_INTERVAL_S
    ) -> None:
        self.emulator = emulator
        self.dir = state_dir
        self.path = state_dir / STATE_FILE
        self.meta_path = state_dir / META_FILE
        self.interval = interval
        self.restored = False
        self._parts: dict[str, Callable[[], Any]] = {}
        self._loaded: dict[str, Any] = {}
        self._journaled: dict[str, Any] = {}  # each part as the snapshot or journal has it
        self._saved_changes: int | None = None  # the emulator's changes the snapshot holds
        self._generation = 0  # of the journal being written
        self._journal: journal.Journal | None = None
        self._save_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def clear(self) -> None:
        """Forget the saved state: the next start is a clean one."""
        for path in (self.path, self.meta_path, *(p for _, p in journal.journals(self.dir))):
            path.unlink(missing_ok=True)

    def restore(self) -> bool:
        """Load the snapshot and replay the journals after it into moto (before the emulator
        serves); start the journal of this run. False if there was no state."""
        covered = 0  # the snapshot holds the journals up to this generation
        if self.path.exists():
            content = self._load()
            _install_backends(content["backends"])
            self._loaded = dict(content["parts"])
            covered = int(content["journal"])
            self.restored = True
            log.info("state restored from %s (taken %s)", self.path, _when(content["savedAt"]))
        found = journal.journals(self.dir)
        if found and not self.restored:
            log.warning("%s: journals of a first start that did not finish dropped", self.dir)
            self.clear()
            found = []
        replayed = sum(self._replay(path) for generation, path in found if generation > covered)
        if replayed:
            log.info("%d calls replayed from the journal", replayed)
        self._journaled = dict(self._loaded)
        self._generation = max([covered, *(generation for generation, _ in found)])
        with self.emulator.app.lock:
            self._next_journal()
        return self.restored

    def _load(self) -> dict[str, Any]:
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
        return content

    def _replay(self, path: Path) -> int:
        """Run the calls of one journal again; take its parts. The number of calls."""
        calls = 0
        try:
            with self.emulator.app.lock:
                for record in journal.read(path):
                    if "part" in record:
                        self._loaded[record["part"]] = record["value"]
                    else:
                        journal.replay_call(self.emulator.app.moto, record)
                        calls += 1
        except Exception as error:
            raise StateError(f"{path} cannot be replayed ({error!r})") from error
        return calls

    def _next_journal(self) -> None:
        """Close the journal and open the next (the emulator's lock is held)."""
        if self._journal is not None:
            self._journal.close()
        self._generation += 1
        self._journal = journal.Journal(self.dir / journal.journal_name(self._generation))
        self.emulator.app.journal = self._journal.append

    def loaded(self, name: str) -> Any:
        """The value of part `name` that was restored (None on a clean start)."""
        return self._loaded.get(name)

    def track(self, name: str, current: Callable[[], Any]) -> None:
        """Keep `current()` as part `name` (a value that pickles), journaled when it changes."""
        self._parts[name] = current
        self.journal_parts()

    def journaled(self, app: Any) -> Any:
        """WSGI app `app`, whose successful answers leave once the parts they changed are
        journaled (the OAuth2 endpoints: a code or a refresh token they issued is kept)."""

        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            result = app(environ, start_response)
            self.journal_parts()
            return result

        return wrapped

    def journal_parts(self) -> None:
        """Journal the parts that changed since they were last journaled or saved."""
        with self._save_lock:
            current = {name: value() for name, value in self._parts.items()}
            changed = {n: v for n, v in current.items() if self._journaled.get(n, None) != v}
            if not changed or self._journal is None:
                return
            with self.emulator.app.lock:
                for name, value in changed.items():
                    self._journal.append({"part": name, "value": value})
            self._journaled.update(changed)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="state-journal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop journaling the parts and take the last snapshot (if they were started: a stack
        that did not finish starting leaves its state to the journal)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=10)
        self._thread = None
        self.save()

    def save(self) -> bool:
        """Take a snapshot (and start a new journal) if anything changed since the last; True
        if one was written."""
        with self._save_lock:
            parts = {name: current() for name, current in self._parts.items()}  # before moto
            app = self.emulator.app
            with app.lock:
                if self.path.exists() and (app.changes, parts) == (
                    self._saved_changes,
                    self._journaled,
                ):
                    return False
                saved_at = time.time()
                covered = self._generation
                data = _dumps(
                    {
                        "format": FORMAT,
                        "moto": moto.__version__,
                        "savedAt": saved_at,
                        "journal": covered,
                        "parts": parts,
                        "backends": _backend_dicts(),
                    }
                )
                self._next_journal()
                self._saved_changes = app.changes
                held = time.time() - saved_at
            write_atomically(self.path, data)
            for generation, path in journal.journals(self.dir):
                if generation <= covered:
                    path.unlink(missing_ok=True)
            meta = {
                "snapshotAt": saved_at,
                "snapshotBytes": len(data),
                "journal": journal.journal_name(self._generation),
            }
            write_atomically(self.meta_path, json.dumps(meta).encode(), durable=False)
            self._journaled = parts
            log.info(
                "state: a snapshot of %d bytes in %s (the emulator's lock held %.0f ms)",
                len(data),
                self.path,
                held * 1000,
            )
            return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.journal_parts()
                if self._journal is not None and self._journal.size > COMPACT_BYTES:
                    self.save()
            except Exception:  # keep going: the next round may succeed
                log.exception("the local stack's state could not be kept in %s", self.dir)


def _when(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))


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
