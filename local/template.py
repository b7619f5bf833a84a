"""template.yaml: a loader for CloudFormation YAML and a resolver for its intrinsic functions.

`load_template` reads the short tags (`!Ref`, `!GetAtt`, `!Sub`, ...) into their long form
(`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`), merges SAM's `Globals` into the serverless
resources, and hands back a `Template`. A `Resolver` evaluates intrinsics against the
template's parameters (their defaults), conditions, mappings, pseudo parameters, and a
`ResourceLookup` that knows the resources' physical ids and attributes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
STACK_NAME = "stint-local"
PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}
NO_VALUE: Any = object()  # what `!Ref AWS::NoValue` resolves to: the key or item is dropped

# SAM's Globals sections and the resource types they apply to.
GLOBALS_SECTIONS = {
    "Function": "AWS::Serverless::Function",
    "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi",
    "SimpleTable": "AWS::Serverless::SimpleTable",
    "LayerVersion": "AWS::Serverless::LayerVersion",
    "StateMachine": "AWS::Serverless::StateMachine",
}

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateError(Exception):
    """The template uses something the local stack cannot evaluate or create."""


class ResourceLookup(Protocol):
    """What `Ref` and `Fn::GetAtt` on a resource resolve to."""

    def ref(self, logical_id: str) -> Any: ...

    def get_att(self, logical_id: str, attribute: str) -> Any: ...


# ----------------------------------------------------------------------------- loading


# libyaml's scanner and parser where PyYAML has them (template.yaml loads in a tenth of the
# time; `python -m local invoke` loads it at every run), with SafeLoader's constructors either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CloudFormationLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """A safe YAML loader that reads CloudFormation's short-form tags."""


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def is_intrinsic(value: Any) -> bool:
    """Whether `value` is one intrinsic function call (`{"Ref": ...}`, `{"Fn::Sub": ...}`)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    name = str(next(iter(value)))
    return name in ("Ref", "Condition") or name.startswith("Fn::")


def ref_target(value: Any) -> str | None:
    """The logical id in `{"Ref": X}` (SAM links events to resources this way), else None."""
    if isinstance(value, dict) and set(value) == {"Ref"} and isinstance(value["Ref"], str):
        return value["Ref"]
    return None


def merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's merge: maps merge key by key, lists concatenate, anything else the resource wins."""
    if is_intrinsic(global_value) or is_intrinsic(local_value):
        return local_value
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge_globals(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


@dataclass(frozen=True)
class Template:
    """A loaded template; `properties()` has SAM's Globals merged in."""

    path: Path
    body: dict[str, Any]

    @property
    def directory(self) -> Path:
        """CodeUri and ContentUri are relative to the template's directory."""
        return self.path.parent

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.body.get(name) or {})

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.section("Resources")

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type
        }

    def properties(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources[logical_id]
        properties = dict(resource.get("Properties") or {})
        for section, resource_type in GLOBALS_SECTIONS.items():
            if resource.get("Type") == resource_type:
                defaults = self.section("Globals").get(section) or {}
                return dict(merge_globals(defaults, properties))
        return properties


def load_template(path: Path) -> Template:
    with path.open(encoding="utf-8") as stream:
        body = yaml.load(stream, Loader=CloudFormationLoader)
    if not isinstance(body, dict) or "Resources" not in body:
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return Template(path=path.resolve(), body=body)


# ----------------------------------------------------------------------------- resolving


class Resolver:
    """Evaluates intrinsic functions; resources are looked up through a `ResourceLookup`."""

    def __init__(self, template: Template, resources: ResourceLookup) -> None:
        self.template = template
        self.resources = resources
        self._conditions: dict[str, bool] = {}

    # -- public

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated (AWS::NoValue entries dropped)."""
        if is_intrinsic(value):
            name, argument = next(iter(value.items()))
            if name == "Ref":
                return self.ref(self.resolve(argument))
            if name == "Condition":
                return self.condition(argument)
            return self._function(name, argument)
        if isinstance(value, dict):
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in map(self.resolve, value) if item is not NO_VALUE]
        return value

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        parameters = self.template.section("Parameters")
        if name in parameters:
            return self._parameter(name, parameters[name])
        if name in self.template.resources:
            return self.resources.ref(name)
        raise TemplateError(f"Ref to unknown name {name!r}")

    def condition(self, name: str) -> bool:
        """The value of a named condition (evaluated once)."""
        if name not in self._conditions:
            conditions = self.template.section("Conditions")
            if name not in conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def included(self, entry: Mapping[str, Any]) -> bool:
        """Whether a resource or output is in the stack (its `Condition`, if any, holds)."""
        condition = entry.get("Condition")
        return condition is None or self.condition(str(condition))

    # -- intrinsic functions

    def _function(self, name: str, argument: Any) -> Any:
        handler = getattr(self, "_fn_" + name.removeprefix("Fn::").lower(), None)
        if handler is None:
            raise TemplateError(f"{name} is not supported by the local stack")
        return handler(argument)

    def _fn_getatt(self, argument: Any) -> Any:
        logical_id, attribute = self.resolve(argument)
        return self.resources.get_att(str(logical_id), str(attribute))

    def _fn_sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self.resolve(argument[1])
        else:
            text, variables = argument, {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is the literal ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return string(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return string(self.resources.get_att(logical_id, attribute))
            return string(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, str(text))

    def _fn_join(self, argument: Any) -> str:
        delimiter, items = self.resolve(argument)
        return str(delimiter).join(string(item) for item in items)

    def _fn_select(self, argument: Any) -> Any:
        index, items = self.resolve(argument)
        return items[int(index)]

    def _fn_split(self, argument: Any) -> list[str]:
        delimiter, text = self.resolve(argument)
        return str(text).split(str(delimiter))

    def _fn_if(self, argument: Any) -> Any:
        condition, if_true, if_false = argument
        return self.resolve(if_true if self.condition(condition) else if_false)

    def _fn_equals(self, argument: Any) -> bool:
        left, right = self.resolve(argument)
        return string(left) == string(right)

    def _fn_not(self, argument: Any) -> bool:
        return not self.resolve(argument)[0]

    def _fn_and(self, argument: Any) -> bool:
        return all(self.resolve(argument))

    def _fn_or(self, argument: Any) -> bool:
        return any(self.resolve(argument))

    def _fn_findinmap(self, argument: Any) -> Any:
        mapping, first, second = self.resolve(argument)
        try:
            return self.template.section("Mappings")[mapping][first][second]
        except KeyError as error:
            raise TemplateError(f"Fn::FindInMap: no {mapping}.{first}.{second}") from error

    def _fn_base64(self, argument: Any) -> str:
        return base64.b64encode(string(self.resolve(argument)).encode()).decode()

    def _fn_getazs(self, argument: Any) -> list[str]:
        region = self.resolve(argument) or REGION
        return [f"{region}{zone}" for zone in "abc"]

    # -- parameters

    def _parameter(self, name: str, declaration: Mapping[str, Any]) -> Any:
        if "Default" not in declaration:
            raise TemplateError(f"parameter {name!r} has no Default; the local stack uses defaults")
        default = declaration["Default"]
        kind = str(declaration.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            return default if isinstance(default, list) else str(default).split(",")
        return string(default)  # CloudFormation hands every scalar parameter over as a string


def string(value: Any) -> str:
    """A scalar as CloudFormation writes it into a string (booleans lowercase)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
