"""The two bases: `BaseModel`, of every Stint model, and `RequestBody`, of every request body.

Request bodies forbid unknown fields (`400`), use strict types (no `"true"` for a bool), and
accept the server-managed fields a client may send back unchanged (`lastUpdated`, ...), which
the services ignore, so a client can send back what it got.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Self

from pydantic import BaseModel as PydanticModel
from pydantic import ConfigDict, Field, model_validator


class BaseModel(PydanticModel):
    """Every Stint model: its validator is built on first use, not at import, so a function's
    cold start builds the models its request uses and not the other fifty (DESIGN.md,
    "Performance")."""

    model_config = ConfigDict(defer_build=True)


# Server-managed fields: accepted in a body (so a client can send back what it got), ignored.
Ignored = Any


def no_stated_default(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of a field whose default the document must not state: one that may
    be absent (a generated client would fill the default in, or type it as always there)."""
    schema.pop("default", None)


def absent(description: str | None = None) -> Any:
    """The default of a field that may be left out but not sent as `null`: its type does not
    admit null, and a field left out is None without being validated. (Typed Any so that a
    field typed `StrictBool` can default to None.)"""
    if description is None:
        return Field(default=None, json_schema_extra=no_stated_default)
    return Field(default=None, json_schema_extra=no_stated_default, description=description)


def _defaults_in_words(schema: dict[str, Any]) -> None:
    """A request body's field with a default is one a client may leave out: its JSON schema
    says the default in its description, not as `default`, which openapi-typescript (with its
    default options) types as a property the client must send. The server fills it in as
    before. (A `null` default, of a field that is nothing when left out, is not said.)"""
    for field in schema.get("properties", {}).values():
        if field.get("default") is not None:
            said = f"Default: `{json.dumps(field.pop('default'))}`"
            description = field.get("description")
            field["description"] = f"{description}. {said}" if description else said


def one_of_required(names: tuple[str, ...]) -> dict[str, Any]:
    """The JSON schema of an object that has one of these fields at least: an `anyOf` whose
    branches each require one. Each branch names its field (`{}`: the object's own property
    says what it is), as Redocly's linter asks of a `required`."""
    return {"anyOf": [{"required": [name], "properties": {name: {}}} for name in names]}


def request_schema(schema: dict[str, Any], model: type[Any]) -> None:
    """A request body's JSON schema: the `json_schema_extra` of every RequestBody (a model that
    states more calls it first)."""
    _defaults_in_words(schema)
    if model.max_fields is not None:
        schema["maxProperties"] = model.max_fields
    if model.example is not None:
        schema["examples"] = [model.example]
    if model.one_required:
        # In an `allOf` of one: a stock generator takes an object's own `anyOf` for a union of
        # its branches and drops the object's fields (openapi-python-client types it `Any`,
        # openapi-typescript `unknown`), and one of `allOf` for a constraint on the object.
        # openapi-typescript types the branches, so a TypeScript body that names none of the
        # fields does not compile.
        schema["allOf"] = [one_of_required(model.one_required)]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=request_schema)
    # A body whose fields exclude each other: at most this many are sent (null counts), as its
    # JSON schema says (`maxProperties`).
    max_fields: ClassVar[int | None] = None
    # The body's example in the document, where the one tools/openapi.py makes of its fields'
    # examples would not do (a body of one of two forms).
    example: ClassVar[dict[str, Any] | None] = None
    # A body of which one of these fields at least is sent, as its JSON schema says (`anyOf` of
    # `required`). Stated, not checked here: the service that reads the body checks it, where
    # its other checks put it (SessionTaskRef).
    one_required: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _only_objects(cls, data: Any) -> Any:
        # Powertools validates bodies with from_attributes=True, which takes any object that is
        # not a builtin (such as the Decimal a JSON number is parsed into) for an empty body.
        if not isinstance(data, dict | BaseModel):
            raise ValueError("must be a JSON object")
        return data

    @model_validator(mode="after")
    def _at_most_max_fields(self) -> Self:
        if self.max_fields is not None and len(self.model_fields_set) > self.max_fields:
            names = ", ".join(f"`{name}`" for name in type(self).model_fields)
            raise ValueError(f"at most {self.max_fields} of {names}")
        return self

    def written(self) -> dict[str, Any]:
        """What a PATCH writes: the fields the client sent, but the server-managed ones (`id`,
        `lastUpdated`, and every `Ignored` field), which may be sent back and are ignored."""
        fields = type(self).model_fields
        return {
            name: getattr(self, name)
            for name in self.model_fields_set
            if name not in ("id", "lastUpdated") and fields[name].annotation is not Ignored
        }
