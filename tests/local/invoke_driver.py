"""`python -m local invoke` several times from one process: each invocation in a forked child.

    echo '[["UsersFunction", "-e", "events/users-get-me.json"], ...]' \
        | python -m tests.local.invoke_driver

prints one JSON line per invocation, in order: {"argv", "status", "stdout", "stderr"}. A child
is `python -m local invoke` but for the imports it inherits (boto3, moto, Powertools, pydantic:
most of a new process's start), which read nothing from the environment; each child makes its
own emulator or connection, environment and handler imports, and its changes end with it. The
parent starts no thread, so forking it is safe.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from typing import Any

import aws_lambda_powertools.event_handler  # noqa: F401 (imported once, for every child)
import moto.cognitoidp.responses
import moto.dynamodb.responses
import moto.dynamodbstreams.responses
import moto.server
import moto.sqs.responses  # noqa: F401
import pydantic  # noqa: F401

from local import invoke


def run(argv: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: its standard output and error into the files
            status = 70
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                status = invoke.main(argv)
            except BaseException:  # a failure of the command itself, which the test shows
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        _, wait_status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return {
            "argv": argv,
            "status": os.waitstatus_to_exitcode(wait_status),
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
        }


def main() -> int:
    for argv in json.load(sys.stdin):
        print(json.dumps(run(argv)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
