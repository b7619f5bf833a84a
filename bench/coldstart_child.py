"""One cold start: a new process imports a handler file and answers one event.

    python bench/coldstart_child.py HANDLER_FILE EVENT_JSON RESULT_JSON [RECORD_JSON]

Run by `bench/coldstart.py`, never imported. It imports only the standard library before the
handler file, so the floor (`bench/floor_app.py`) pays for nothing but itself. Writes
`{init_ms, invoke_ms, hwm_kb, response}` to RESULT_JSON (peak RSS from /proc: VmHWM), then
exits at once (no interpreter teardown: Lambda keeps the process). With
RECORD_JSON, the AWS calls the handler made (operation and parameters) are written there too,
for the floor to replay. With BENCH_PRIME=1 in the environment, `stint.priming.prime(app)` runs
between the import and the request, as SnapStart runs it before its snapshot (`prime_ms`).
"""

import importlib.util
import json
import os
import sys
import time
import uuid

started = time.perf_counter()
handler_file, event_file, result_file = sys.argv[1:4]
record_file = sys.argv[4] if len(sys.argv) > 4 else None
recorded: list[list[object]] = []
if record_file:
    from botocore.client import BaseClient

    # `_make_api_call` is botocore's private dispatch, absent from its type stubs.
    _make_api_call = BaseClient._make_api_call  # type: ignore[attr-defined]

    def _recording(self: BaseClient, operation_name: str, api_params: dict[str, object]) -> object:
        recorded.append([self.meta.service_model.service_name, operation_name, api_params])
        return _make_api_call(self, operation_name, api_params)

    BaseClient._make_api_call = _recording  # type: ignore[attr-defined]  # as above

with open(event_file) as source:
    event = json.load(source)


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = "512"
    aws_request_id = str(uuid.uuid4())
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 15000


spec = importlib.util.spec_from_file_location("app", handler_file)
assert spec is not None and spec.loader is not None  # a .py file: a spec with a source loader
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
imported = time.perf_counter()
if os.environ.get("BENCH_PRIME") == "1":
    from stint import priming

    priming.prime(module.app)
primed = time.perf_counter()
response = module.lambda_handler(event, Context())
answered = time.perf_counter()
with open("/proc/self/status") as status:
    hwm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
with open(result_file, "w") as out:
    json.dump(
        {
            "init_ms": (imported - started) * 1000,
            "prime_ms": (primed - imported) * 1000,
            "invoke_ms": (answered - primed) * 1000,
            "hwm_kb": hwm_kb,
            "response": response,
        },
        out,
        default=str,
    )
if record_file:
    with open(record_file, "w") as out:
        json.dump(recorded, out)
# The request is answered: Lambda would keep the process for the next one, so its teardown
# (freeing every module and object) is no part of a cold start. Leave without it.
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
