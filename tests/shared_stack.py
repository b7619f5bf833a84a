"""The run's one local stack, shared by every pytest-xdist worker.

The controller (or a run without workers) makes a directory for the run and names it in the
environment, which the workers inherit (`begin_run`). The first test that needs the stack
starts it there, under a file lock, as a process of its own (not a child that dies with its
worker); the others read its outputs. `end_run`, in the controller once every worker is done,
stops it.

Tests hold the stack shared while they run; an `exclusive` one (the fault runs switch faults
on for the whole stack) waits for the others and keeps them waiting: a reader-writer lock on a
file of the run's directory (`flock`), so it holds across processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local.testing import start_local_stack

RUN_DIRECTORY = "STINT_TEST_RUN_DIR"
_PID_FILE = "stack.pid"


def begin_run() -> None:
    if RUN_DIRECTORY not in os.environ:
        os.environ[RUN_DIRECTORY] = tempfile.mkdtemp(prefix="stint-tests-")


def _run_directory() -> Path:
    begin_run()  # a process that pytest's controller hook did not reach still gets one
    return Path(os.environ[RUN_DIRECTORY])


@contextlib.contextmanager
def _locked(name: str, mode: int) -> Iterator[None]:
    with (_run_directory() / name).open("a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def outputs() -> dict[str, Any]:
    """The shared stack's outputs, starting it if no test has yet."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")  # boto3 signs; the emulator takes any key
    directory = _run_directory()
    state = directory / "stack"
    with _locked("start.lock", fcntl.LOCK_EX):
        if (directory / _PID_FILE).exists():
            content = json.loads((state / "outputs.json").read_text(encoding="utf-8"))
            return dict(content)
        process, started = start_local_stack(state)
        if process is not None:
            (directory / _PID_FILE).write_text(str(process.pid), encoding="utf-8")
        return started


@contextlib.contextmanager
def in_use(exclusive: bool) -> Iterator[None]:
    with _locked("use.lock", fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH):
        yield


def end_run() -> None:
    """Stop the shared stack (SIGTERM: it saves and exits) and remove the run's directory."""
    directory = Path(os.environ.pop(RUN_DIRECTORY, "") or "/nonexistent")
    pid_file = directory / _PID_FILE
    if pid_file.exists():
        pid = int(pid_file.read_text(encoding="utf-8"))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            _wait_for_exit(pid)
    if directory.is_dir():
        shutil.rmtree(directory, ignore_errors=True)


def _wait_for_exit(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
