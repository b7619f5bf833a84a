"""Start a local stack for tests, or use a deployed one.

    process, outputs = start_local_stack(tmp_dir)
    ...  # outputs["ApiUrl"], outputs["UserPoolClientId"], ...
    stop(process)

With `STINT_OUTPUTS=path/to/outputs.json` in the environment nothing is started: the
outputs are read from that file (a deployed stack's) and the process is None.

For a local stack, the test process gets dummy AWS credentials unless it has some:
boto3 signs calls like `admin_confirm_sign_up` and the emulator accepts any key.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60.0
LOG_FILE = "local-stack.log"


def start_local_stack(
    state_dir: str | os.PathLike[str],
    *,
    template: str | os.PathLike[str] | None = None,
    timeout: float = STARTUP_TIMEOUT_S,
    port: int = 0,
) -> tuple[subprocess.Popen[bytes] | None, dict[str, Any]]:
    """Start `python -m local --port <port>` (0: a free one) writing into `state_dir`; wait
    for its outputs.

    The stack's output (its request log, the functions' logs) goes to
    `state_dir/local-stack.log`.
    """
    deployed = os.environ.get("STINT_OUTPUTS")
    if deployed:
        return None, _read_json(Path(deployed))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    outputs = state / "outputs.json"
    outputs.unlink(missing_ok=True)
    command = [sys.executable, "-m", "local", "--port", str(port)]
    if template is not None:
        command += ["--template", str(Path(template).resolve())]
    with (state / LOG_FILE).open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, "STINT_STATE_DIR": str(state)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while not outputs.exists():
        if process.poll() is not None:
            raise RuntimeError(
                f"the local stack exited with {process.returncode}:\n{_tail(state / LOG_FILE)}"
            )
        if time.monotonic() > deadline:
            stop(process)
            raise TimeoutError(f"no {outputs} after {timeout:.0f} s:\n{_tail(state / LOG_FILE)}")
        time.sleep(0.05)
    return process, _read_json(outputs)


def free_port() -> int:
    """A port nothing listens on now (for a test that starts a stack twice on one port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> int | None:
    """Stop a stack started by `start_local_stack` (SIGTERM, then SIGKILL); its exit code."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _read_json(path: Path) -> dict[str, Any]:
    content = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return content


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
