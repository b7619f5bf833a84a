"""docs/API.md, "Requests and answers": a title or a name needs a visible character. One of only
spaces, zero-width characters and other invisible formatting or separator characters (Unicode
Zs, Zl, Zp, Cf, Cc, and the default-ignorable fillers) is blank, refused with a 400 naming the
field, in every request body field of the title and name types: the fields are found in the
models, so a new one is covered without new test code."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, ValidationError

from stint import api, models
from stint.errors import ValidationFailed
from stint.models import values

TEXT_TYPES = (values.Title, values.TagName)
_VALIDATORS = [
    item for t in TEXT_TYPES for item in typing.get_args(t) if isinstance(item, AfterValidator)
]


def _is_text_type(annotation: Any) -> bool:
    return any(item in _VALIDATORS for item in getattr(annotation, "__metadata__", ()))


Build = Callable[[str], Any]


def _cases(annotation: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Build]]:
    """Where a value of a title or name type goes in a value of this annotation, and how to
    build a body with a given text there (with the `Literal` tags a union needs)."""
    if _is_text_type(annotation):
        return [(path, lambda text: text)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        tags = {
            name: typing.get_args(field.annotation)[0]
            for name, field in annotation.model_fields.items()
            if typing.get_origin(field.annotation) is Literal
            and len(typing.get_args(field.annotation)) == 1
        }
        found: list[tuple[tuple[Any, ...], Build]] = []
        for name, field in annotation.model_fields.items():
            inner = _cases(field.annotation, (*path, name))
            if any(item in _VALIDATORS for item in field.metadata):
                inner.append(((*path, name), lambda text: text))
            found += [
                (where, lambda text, n=name, b=build: {**tags, n: b(text)})
                for where, build in inner
            ]
        return found
    arguments = typing.get_args(annotation)
    if typing.get_origin(annotation) is list:
        return [
            (where, lambda text, b=build: [b(text)])
            for where, build in _cases(arguments[0], (*path, 0))
        ]
    return [case for argument in arguments for case in _cases(argument, path)]


def _request_models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(models).values()
        if isinstance(value, type)
        and issubclass(value, models.RequestBody)
        and value is not models.RequestBody
    ]


FIELDS = sorted(
    [(model, *case) for model in _request_models() for case in _cases(model, ())],
    key=lambda case: (case[0].__name__, case[1]),
)
IDS = [f"{model.__name__}.{'.'.join(map(str, path))}" for model, path, _ in FIELDS]


def test_the_fields_are_found() -> None:
    names = {(model.__name__, ".".join(map(str, path))) for model, path, _ in FIELDS}
    assert {"ProjectFields", "TaskFields", "TagFields"} <= {m for m, _ in names}, names
    assert any(path.startswith("tags") for _, path in names), names


def _field(path: tuple[Any, ...]) -> str:
    """The field as a 400 names it (stint.api: a leading `body` left out)."""
    names = [str(part) for part in path]
    return ".".join(names[1:] if names[:1] == ["body"] else names)


INVISIBLE = st.characters(categories=["Zs", "Zl", "Zp", "Cf", "Cc"]) | st.sampled_from(
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\u3164", "\u115f", "\u034f"]
)
blank = st.text(INVISIBLE, min_size=1, max_size=12)


def _refusal(model: type[BaseModel], body: Any) -> ValidationFailed | None:
    try:
        model.model_validate(body)
    except ValidationError as error:
        refusal = api._validation_error(error.errors())
        assert isinstance(refusal, ValidationFailed)
        return refusal
    return None


@pytest.mark.parametrize(("model", "path", "build"), FIELDS, ids=IDS)
@settings(max_examples=60, deadline=None)
@given(text=blank)
def test_a_title_of_nothing_visible_is_refused(
    model: type[BaseModel], path: tuple[Any, ...], build: Build, text: str
) -> None:
    field = _field(path)
    refusal = _refusal(model, build(text))
    assert refusal is not None and refusal.status == 400, (model.__name__, field, repr(text))
    details = [d for d in refusal.details if d["field"] == field]
    assert details and "visible" in details[0]["message"], (refusal.details, repr(text))


@pytest.mark.parametrize(("model", "path", "build"), FIELDS, ids=IDS)
@settings(max_examples=30, deadline=None)
@given(before=blank, after=blank, visible=st.sampled_from(["A", "é", "日本", "x y", "🙂"]))
def test_a_visible_title_among_invisible_characters_is_accepted(
    model: type[BaseModel],
    path: tuple[Any, ...],
    build: Build,
    before: str,
    after: str,
    visible: str,
) -> None:
    field = _field(path)
    refusal = _refusal(model, build(before + visible + after))
    refused = [d for d in (refusal.details if refusal else []) if d["field"] == field]
    assert not refused, (refused, repr(before + visible + after))
