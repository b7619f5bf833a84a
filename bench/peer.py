"""A peer on this machine: TimeTagger beside Stint's local stack, the same workload.

TimeTagger (PyPI `timetagger`) is an open-source, self-hosted time tracker with a sync API:
`PUT /api/v2/records` pushes entries, `GET /api/v2/updates?since=<server time>` returns what
changed since. It is installed by this benchmark into `.venv-bench-timetagger/` (git-ignored,
never a dependency of Stint), started with `python -m timetagger` on 127.0.0.1 and a free
port, users from `TIMETAGGER_CREDENTIALS` (bcrypt hashes), data in a temporary directory;
a client gets its webtoken from `POST /api/v2/bootstrap_authentication` (method
`usernamepassword`) and sends it in the `authtoken` header. Stopped at the end.

Stint: its local stack (`python -m local`, as `make dev` runs it: the real handlers behind the
local API Gateway and Cognito authorizer, moto behind one lock), users signed up in its
emulated Cognito, access tokens in `Authorization`.

Workload, the same on both: 8 concurrent clients, each a different user, each repeating
"create an entry, then sync incrementally from its last token" (Stint: `POST /v1/sessions`
then `GET /v1/sync?syncToken=`; TimeTagger: `PUT /api/v2/records` then
`GET /api/v2/updates?since=`) for a fixed number of rounds. Rounds of the two alternate
(Stint, TimeTagger, Stint, TimeTagger), so the machine's noise hits both alike. Reported:
requests per second over all rounds, p50 / p99 latency of every request, and the CPU time the
server's process spent per request (from /proc: on a shared machine the one figure that other
work does not move much).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import requests

from bench.common import REPO
from bench.table import Figure, write_json
from local.testing import start_local_stack, stop

CLIENTS = 8
TIMETAGGER = "timetagger==26.1.3"
PEER_VENV = REPO / ".venv-bench-timetagger"
PASSWORD = "bench-Pass-1234"


@dataclass
class Round:
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # the server's, over the round


@dataclass
class Totals:
    rounds: list[Round] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(r.latencies_ms) for r in self.rounds)

    @property
    def throughput(self) -> float:
        return self.requests / sum(r.seconds for r in self.rounds)

    @property
    def cpu_ms_per_request(self) -> float:
        return sum(r.cpu_seconds for r in self.rounds) * 1000 / self.requests

    def percentile(self, p: float) -> float:
        values = sorted(v for r in self.rounds for v in r.latencies_ms)
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


# ----------------------------------------------------------------------------- the peer


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux's /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peer_python() -> Path:
    """TimeTagger's own virtual environment, made on first use."""
    python = PEER_VENV / "bin" / "python"
    marker = PEER_VENV / f".installed-{TIMETAGGER}"
    if not marker.exists():
        print(f"installing {TIMETAGGER} into {PEER_VENV.name}/ (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                TIMETAGGER,
            ],
            check=True,
        )
        marker.touch()
    return python


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TimeTagger:
    """`python -m timetagger` on 127.0.0.1, with `CLIENTS` users."""

    def __init__(self, data_dir: Path) -> None:
        python = peer_python()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.users = [f"bench{n}" for n in range(CLIENTS)]
        hashes = subprocess.run(
            [
                str(python),
                "-c",
                "import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(),"
                " bcrypt.gensalt(4)).decode())",
                PASSWORD,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        port = free_port()
        self.base = f"http://127.0.0.1:{port}/timetagger/api/v2"
        environment = {
            **os.environ,
            "TIMETAGGER_BIND": f"127.0.0.1:{port}",
            "TIMETAGGER_DATADIR": str(data_dir),
            "TIMETAGGER_CREDENTIALS": ",".join(f"{user}:{hashes}" for user in self.users),
            "TIMETAGGER_LOG_LEVEL": "warning",
        }
        self.log = (data_dir / "timetagger.log").open("wb")
        self.process = subprocess.Popen(
            [str(python), "-m", "timetagger"],
            env=environment,
            cwd=data_dir,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/timetagger/status", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"TimeTagger did not start; see {data_dir / 'timetagger.log'}")
            time.sleep(0.1)

    def client(self, n: int) -> Client:
        session = requests.Session()
        auth = {"method": "usernamepassword", "username": self.users[n], "password": PASSWORD}
        response = session.post(
            f"{self.base}/bootstrap_authentication",
            data=base64.b64encode(json.dumps(auth).encode()),
            timeout=30,
        )
        response.raise_for_status()
        session.headers["authtoken"] = response.json()["token"]
        state = {"since": 0.0}
        base = self.base

        def sync() -> None:
            answer = session.get(f"{base}/updates", params={"since": state["since"]}, timeout=30)
            answer.raise_for_status()
            state["since"] = float(answer.json()["server_time"])

        def create() -> None:
            now = int(time.time())
            record = {
                "key": uuid.uuid4().hex[:8],
                "mt": now,
                "t1": now - 1800,
                "t2": now,
                "ds": "#bench",
            }
            answer = session.put(f"{base}/records", json=[record], timeout=30)
            answer.raise_for_status()
            assert answer.json()["accepted"] == [record["key"]], answer.text

        sync()  # the first, full sync is setup, not workload
        return Client(create, sync)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# ----------------------------------------------------------------------------- Stint


class StintLocal:
    """Stint's local stack, as `make dev` runs it, with `CLIENTS` users."""

    def __init__(self, state_dir: Path) -> None:
        self.process, self.outputs = start_local_stack(state_dir)
        self.base = str(self.outputs["ApiUrl"])

    def client(self, n: int) -> Client:
        idp = boto3.client(
            "cognito-idp",
            region_name=self.outputs["Region"],
            endpoint_url=self.outputs.get("CognitoEndpointUrl"),
        )
        email = f"peer-{n}-{uuid.uuid4().hex[:8]}@bench.local"
        idp.sign_up(
            ClientId=self.outputs["UserPoolClientId"],
            Username=email,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
        idp.admin_confirm_sign_up(UserPoolId=self.outputs["UserPoolId"], Username=email)
        tokens = idp.initiate_auth(
            ClientId=self.outputs["UserPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens['AccessToken']}"
        base = self.base
        task = session.post(f"{base}/v1/tasks", json={"task": {"title": "bench"}}, timeout=30)
        task.raise_for_status()
        task_id = task.json()["task"]["id"]
        state = {"token": "*"}

        def sync() -> None:
            answer = session.get(
                f"{base}/v1/sync", params={"syncToken": state["token"]}, timeout=30
            )
            answer.raise_for_status()
            state["token"] = answer.json()["syncToken"]

        def create() -> None:
            started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1800))
            body = {
                "task": {"id": task_id},
                "session": {"startTimestamp": started, "duration": 1800},
            }
            answer = session.post(f"{base}/v1/sessions", json=body, timeout=30)
            answer.raise_for_status()

        sync()  # the first, full sync is setup, not workload
        return Client(create, sync)

    def stop(self) -> None:
        stop(self.process)


# ----------------------------------------------------------------------------- the workload


@dataclass
class Client:
    create: Callable[[], None]
    sync: Callable[[], None]


def workload(clients: list[Client], iterations: int, server: int) -> Round:
    """Every client: `iterations` times create an entry, then sync; all clients at once. The
    CPU time of the process `server` is measured over the round."""
    result = Round()
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    errors: list[BaseException] = []

    def timed(action: Callable[[], None]) -> None:
        began = time.perf_counter()
        action()
        took = (time.perf_counter() - began) * 1000
        with lock:
            result.latencies_ms.append(took)

    def run(client: Client) -> None:
        start.wait()
        try:
            for _ in range(iterations):
                timed(client.create)
                timed(client.sync)
        except BaseException as error:  # reported after the round
            errors.append(error)

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    cpu_before = cpu_seconds(server)
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    result.cpu_seconds = cpu_seconds(server) - cpu_before
    if errors:
        raise errors[0]
    return result


def run(iterations: int = 25, rounds: int = 2) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="stint-peer-"))
    peer: TimeTagger | None = None
    stint: StintLocal | None = None
    try:
        peer = TimeTagger(work / "timetagger")
        stint = StintLocal(work / "stint")
        clients = {
            "stint": [stint.client(n) for n in range(CLIENTS)],
            "timetagger": [peer.client(n) for n in range(CLIENTS)],
        }
        assert stint.process is not None, "the peer benchmark runs a local stack"
        servers = {"stint": stint.process.pid, "timetagger": peer.process.pid}
        totals = {"stint": Totals(), "timetagger": Totals()}
        for n in range(rounds):
            order = ["stint", "timetagger"] if n % 2 == 0 else ["timetagger", "stint"]
            for name in order:
                totals[name].rounds.append(workload(clients[name], iterations, servers[name]))
    finally:
        if stint is not None:
            stint.stop()
        if peer is not None:
            peer.stop()
        shutil.rmtree(work, ignore_errors=True)
    ours, theirs = totals["stint"], totals["timetagger"]
    for name, total in totals.items():
        every = [v for r in total.rounds for v in r.latencies_ms]
        print(
            f"peer workload {name:<10}: {total.requests} requests by {CLIENTS} clients,"
            f" {total.throughput:6.1f} req/s, p50 {total.percentile(50):6.1f} ms,"
            f" p99 {total.percentile(99):6.1f} ms, mean {statistics.fmean(every):6.1f} ms,"
            f" CPU {total.cpu_ms_per_request:5.2f} ms per request"
        )
    base = "TimeTagger"
    return [
        Figure(
            "peer: throughput, Stint local stack",
            ours.throughput,
            theirs.throughput,
            "req/s",
            (">=", 1.0),
            base,
        ),
        Figure(
            "peer: p50 latency, Stint local stack",
            ours.percentile(50),
            theirs.percentile(50),
            "ms",
            ("<=", 1.0),
            base,
        ),
        Figure(
            "peer: p99 latency, Stint local stack",
            ours.percentile(99),
            theirs.percentile(99),
            "ms",
            ("<=", 1.0),
            base,
        ),
        Figure(
            "peer: server CPU per request, Stint local stack",
            ours.cpu_ms_per_request,
            theirs.cpu_ms_per_request,
            "ms",
            None,
            base,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=25, help="per client and round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each (alternating)")
    parser.add_argument("--json", help="write the figures there")
    args = parser.parse_args()
    write_json(run(args.iterations, args.rounds), args.json)


if __name__ == "__main__":
    main()
