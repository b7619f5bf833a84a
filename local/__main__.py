"""`python -m local`: run the Stint API on http://127.0.0.1:3000 until SIGINT / SIGTERM.

The stack's state (users, entities, queues, ...) is kept in the state directory and restored
at the next start (local/persistence.py); `--clean` starts without it.
See `python -m local --help` for the options and the environment variables behind them.

Two commands besides: `python -m local invoke <LogicalId> -e <event.json>` runs one function
with one event, as `sam local invoke` does (local/invoke.py), and `python -m local
generate-event "POST /v1/tasks"` prints an API event for a route (local/generate_event.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from local.layout import REPO, Settings

# The server's modules (moto among them) are imported by the server's path only: `invoke` against
# a running stack and `generate-event` spend a third to a half less CPU without them.

log = logging.getLogger("stint.local")


def parse_settings(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="Run the Stint API on this machine, as template.yaml describes it."
        " (`python -m local invoke --help`, `python -m local generate-event --help`: one"
        " function with one event, as `sam local invoke`; an event for a route.)",
    )
    parser.add_argument(
        "--template", type=Path, default=REPO / "template.yaml", help="the SAM template"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT") or 3000),
        help="the API's port (env PORT, default 3000; 0 picks a free port)",
    )
    parser.add_argument(
        "--moto-port",
        type=int,
        default=int(os.environ.get("STINT_MOTO_PORT") or 0),
        help="the emulator's port (env STINT_MOTO_PORT, default: a free port)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("STINT_STATE_DIR") or REPO / ".stint"),
        help="where the saved state and outputs.json are (env STINT_STATE_DIR, default"
        " <repo>/.stint)",
    )
    parser.add_argument(
        "--clean",
        action="store_true",
        default=os.environ.get("STINT_CLEAN", "") not in ("", "0"),
        help="forget the saved state: start with no users and no data (env STINT_CLEAN=1)",
    )
    args = parser.parse_args(argv)
    return Settings(
        template=args.template,
        port=args.port,
        moto_port=args.moto_port,
        state_dir=args.state_dir,
        clean=args.clean,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["invoke"]:
        from local import invoke

        return invoke.main(argv[1:])
    if argv[:1] == ["generate-event"]:
        from local import generate_event

        return generate_event.main(argv[1:])
    from local.persistence import StateError
    from local.stack import LocalStack

    settings = parse_settings(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr
    )
    for noisy in ("werkzeug", "botocore", "boto3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    stopping = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())

    stack = LocalStack(settings)
    try:
        outputs = stack.start()
    except SystemExit:  # werkzeug exits, after saying so, when a port is taken
        stack.stop()
        return 1
    except StateError as error:
        log.error("%s; `make dev-clean` (python -m local --clean) starts without it", error)
        stack.stop()
        return 1
    except Exception:
        log.exception("the local stack could not start")
        stack.stop()
        return 1
    print(f"Stint local stack listening on {outputs['ApiUrl']}", flush=True)
    while not stopping.wait(timeout=0.2):
        pass
    log.info("stopping")
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
