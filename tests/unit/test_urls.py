"""stint.urls: the URLs of Location and Link as API Gateway's events describe the request."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from stint.urls import base_url, next_page_url, url_for

# Query parameter names and values as a client may send them: any text, repeated names too.
names = st.text(min_size=1, max_size=12)
values = st.text(max_size=20)
queries = st.lists(st.tuples(names, values), max_size=6)
stages = st.sampled_from(["", "/prod", "/api/v2"])


def event(path: str, stage: str, query: list[tuple[str, str]], host: str = "x.example") -> Any:
    multi: dict[str, list[str]] = {}
    for name, value in query:
        multi.setdefault(name, []).append(value)
    return {
        "path": path,
        "headers": {"Host": host, "X-Forwarded-Proto": "https"},
        "multiValueQueryStringParameters": multi or None,
        "requestContext": {"path": stage + path, "domainName": host},
    }


@given(queries, values, stages)
def test_the_next_page_keeps_the_query_and_replaces_the_token(
    query: list[tuple[str, str]], token: str, stage: str
) -> None:
    url = next_page_url(event("/v1/projects", stage, query), "nextToken", token)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "x.example")
    assert parts.path == stage + "/v1/projects"
    expected = [(n, v) for n, v in query if n != "nextToken"] + [("nextToken", token)]
    assert sorted(parse_qsl(parts.query, keep_blank_values=True)) == sorted(expected)


def test_the_stage_or_base_path_comes_before_the_routes() -> None:
    assert base_url(event("/v1/me", "/prod", [])) == "https://x.example/prod"
    assert base_url(event("/v1/me", "", [], host="127.0.0.1:3000")) == "https://127.0.0.1:3000"
    assert url_for(event("/v1/tasks", "/prod", []), "/v1/tasks/a") == (
        "https://x.example/prod/v1/tasks/a"
    )


def test_the_scheme_is_the_one_the_caller_used() -> None:
    local = event("/v1/me", "", [])
    local["headers"]["X-Forwarded-Proto"] = "http"
    assert base_url(local) == "http://x.example"
