"""The generated client's tests run over a local stack of the real template (tests/api's)."""

from tests.api.conftest import stack  # noqa: F401
