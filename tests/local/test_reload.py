"""A function whose code changed on disk serves the next request with the new code (README, "The
local stack keeps its state").

The stack runs a temporary copy of the template, the functions and the layer (the repo's own
files are never changed): a handler file is edited, then a layer file, and the next request
after each edit answers with the new code, with no restart.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from local.testing import REPO, start_local_stack, stop
from tests.api.conftest import Api, sign_up

COPIED = ("template.yaml", "openapi.json", "functions", "layers/stint/python")


@pytest.fixture
def copy_of_the_repo(tmp_path: Path) -> Path:
    for name in COPIED:
        source, target = REPO / name, tmp_path / "repo" / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return tmp_path / "repo"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: {old!r} is not there once"
    stat = path.stat()
    path.write_text(text.replace(old, new), encoding="utf-8")
    # An editor's save within the same clock tick as the copy would keep the mtime the stack
    # saw; a real edit comes later. (The stack also compares sizes.)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_a_changed_handler_and_layer_are_served_on_the_next_request(
    copy_of_the_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STINT_OUTPUTS", raising=False)
    process, outputs = start_local_stack(
        tmp_path / "state", template=copy_of_the_repo / "template.yaml"
    )
    try:
        api = Api(outputs["ApiUrl"], sign_up(outputs)["AccessToken"])
        assert "X-Edited" not in api.get("/v1/me").headers

        edit(
            copy_of_the_repo / "functions" / "users" / "app.py",
            "    return bare_response(users.profile(caller, known=profile))\n",
            "    response = bare_response(users.profile(caller, known=profile))\n"
            '    response.headers["X-Edited"] = "handler"\n'
            "    return response\n",
        )
        assert api.get("/v1/me").headers.get("X-Edited") == "handler"

        patch = {"displayName": "Ann"}
        assert api.patch("/v1/me", json=patch).status_code == 200
        edit(
            copy_of_the_repo / "layers" / "stint" / "python" / "stint" / "edge.py",
            "MAX_BODY_BYTES = 256 * 1024\n",
            "MAX_BODY_BYTES = 8\n",
        )
        response = api.patch("/v1/me", json=patch)  # the layer's new limit: a 413
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "payload_too_large"
        assert api.get("/v1/me").headers.get("X-Edited") == "handler"  # still the new handler
    finally:
        assert stop(process) == 0
