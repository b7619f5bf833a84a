"""Creates the template's resources in the emulator, the way CloudFormation and SAM would.

Resources are provisioned on demand: resolving one resource's properties provisions
whatever they `Ref` / `GetAtt` first, so no dependency order is written down anywhere.
Properties go through the AWS API's own input shape (from botocore's model): what the
API has no member for is dropped (and logged), scalars get the API's types.

Types the emulator does not create (functions, APIs, layers, log groups, ...) only get
the physical id and attributes CloudFormation would give them, so `Ref`s resolve.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.template import (
    ACCOUNT_ID,
    REGION,
    STACK_NAME,
    Resolver,
    Template,
    TemplateError,
    ref_target,
    string,
)

log = logging.getLogger("stint.local")


@dataclass(frozen=True)
class Physical:
    """A provisioned resource: what `Ref` returns, and its `Fn::GetAtt` attributes."""

    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)


ClientFactory = Callable[[str], Any]
Provision = Callable[["Provisioner", str, dict[str, Any]], Physical]


class Provisioner:
    """Creates resources in the emulator on first reference; a `ResourceLookup` for resolving."""

    def __init__(
        self,
        template: Template,
        client: ClientFactory,
        known: dict[str, Physical] | None = None,
    ) -> None:
        """`known`: resources that exist already (a restored local stack's); not created again."""
        self.template = template
        self.client = client
        self.resolver = Resolver(template, self)
        self._physical: dict[str, Physical] = dict(known or {})
        self._in_progress: list[str] = []

    def provision_all(self) -> dict[str, Physical]:
        for logical_id, resource in self.template.resources.items():
            if self.resolver.included(resource):
                self.physical(logical_id)
        return dict(self._physical)

    def resolve(self, value: Any) -> Any:
        return self.resolver.resolve(value)

    # -- ResourceLookup

    def ref(self, logical_id: str) -> Any:
        return self.physical(logical_id).ref

    def get_att(self, logical_id: str, attribute: str) -> Any:
        attributes = self.physical(logical_id).attributes
        if attribute not in attributes:
            raise TemplateError(f"{logical_id}: no attribute {attribute!r} in the local stack")
        return attributes[attribute]

    def physical(self, logical_id: str) -> Physical:
        if logical_id in self._physical:
            return self._physical[logical_id]
        if logical_id not in self.template.resources:
            raise TemplateError(f"reference to unknown resource {logical_id!r}")
        if logical_id in self._in_progress:
            cycle = " -> ".join([*self._in_progress, logical_id])
            raise TemplateError(f"circular reference: {cycle}")
        resource_type = str(self.template.resources[logical_id].get("Type"))
        provision = PROVISIONERS.get(resource_type, _named_only)
        self._in_progress.append(logical_id)
        try:
            physical = provision(self, logical_id, self.template.properties(logical_id))
        finally:
            self._in_progress.pop()
        self._physical[logical_id] = physical
        return physical

    # -- helpers for provisioners

    def call(self, service: str, operation: str, params: dict[str, Any], where: str) -> Any:
        """Call `operation` with `params` fitted to its input shape (unknown members dropped)."""
        client = self.client(service)
        shape = client.meta.service_model.operation_model(operation).input_shape
        dropped: list[str] = []
        fitted = fit_to_shape(params, shape, where, dropped)
        if dropped:
            log.info("%s: not emulated locally: %s", where, ", ".join(dropped))
        method = getattr(client, _snake_case(operation))
        return method(**fitted)

    def name(self, logical_id: str, properties: dict[str, Any], key: str) -> str:
        """The resource's name property, or the name CloudFormation would make up."""
        if key in properties:
            return str(self.resolve(properties[key]))
        return f"{STACK_NAME}-{logical_id}"


class OfflineProvisioner(Provisioner):
    """Resolves the template without an emulator: every resource gets a placeholder.

    For tools that only read the template (tools/openapi.py imports the handlers, which need
    their environment, e.g. TABLE_NAME): nothing is created and no AWS API is called. `Ref`
    gives `<stack>-<LogicalId>`, `Fn::GetAtt` an ARN-like string for any attribute.
    """

    def __init__(self, template: Template) -> None:
        super().__init__(template, _no_client)

    def physical(self, logical_id: str) -> Physical:
        if logical_id not in self.template.resources:
            raise TemplateError(f"reference to unknown resource {logical_id!r}")
        name = f"{STACK_NAME}-{logical_id}"
        return Physical(name, {"Arn": _arn("local", name)})

    def get_att(self, logical_id: str, attribute: str) -> Any:
        arn = self.physical(logical_id).attributes["Arn"]
        return arn if attribute == "Arn" else f"{arn}/{attribute}"


def _no_client(service: str) -> Any:
    raise TemplateError(f"an offline template resolution asked for a {service} client")


# ----------------------------------------------------------------------------- shapes


# Scalar shapes: how a template's value (often a string) becomes the type botocore wants.
_SCALARS: dict[str, Any] = {
    "integer": int,
    "long": int,
    "double": float,
    "float": float,
    "boolean": lambda value: value if isinstance(value, bool) else str(value).lower() == "true",
    "string": string,
}


def fit_to_shape(value: Any, shape: Any, where: str, dropped: list[str]) -> Any:
    """`value` reduced to what botocore's `shape` accepts, scalars converted to its types."""
    kind = shape.type_name
    if kind == "structure":
        return _fit_structure(value, shape, where, dropped)
    if kind == "list":
        return [
            fit_to_shape(item, shape.member, f"{where}[{index}]", dropped)
            for index, item in enumerate(value)
        ]
    if kind == "map":
        return {
            str(key): fit_to_shape(item, shape.value, f"{where}.{key}", dropped)
            for key, item in value.items()
        }
    convert = _SCALARS.get(kind)
    return convert(value) if convert else value


def _fit_structure(value: Any, shape: Any, where: str, dropped: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TemplateError(f"{where}: expected a mapping, got {value!r}")
    fitted = {}
    for key, item in value.items():
        if key in shape.members:
            fitted[key] = fit_to_shape(item, shape.members[key], f"{where}.{key}", dropped)
        else:
            dropped.append(f"{where}.{key}")
    return fitted


def _snake_case(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


# ----------------------------------------------------------------------------- DynamoDB


# A table's properties that CreateTable does not take: each is set by a call of its own after.
_SET_AFTER_CREATE = {
    "TimeToLiveSpecification": "UpdateTimeToLive",
    "PointInTimeRecoverySpecification": "UpdateContinuousBackups",
}


def _dynamodb_table(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    props = stack.resolve(properties)
    name = stack.name(logical_id, props, "TableName")
    after = {prop: props.pop(prop, None) for prop in _SET_AFTER_CREATE}
    if "StreamSpecification" in props:  # CloudFormation: a view type means the stream is on
        props["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if "SSESpecification" in props:  # CloudFormation says SSEEnabled where the API says Enabled
        sse = dict(props["SSESpecification"])
        sse["Enabled"] = sse.pop("SSEEnabled", False)
        props["SSESpecification"] = sse
    props.setdefault("BillingMode", "PROVISIONED")
    table = stack.call("dynamodb", "CreateTable", {**props, "TableName": name}, logical_id)
    for prop, value in after.items():
        if value:
            where = f"{logical_id}.{prop}"
            stack.call("dynamodb", _SET_AFTER_CREATE[prop], {"TableName": name, prop: value}, where)
    description = table["TableDescription"]
    attributes = {"Arn": description["TableArn"]}
    if description.get("LatestStreamArn"):
        attributes["StreamArn"] = description["LatestStreamArn"]
    return Physical(name, attributes)


# ----------------------------------------------------------------------------- Cognito


def _user_pool(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    props = stack.resolve(properties)
    props["PoolName"] = stack.name(logical_id, props, "UserPoolName")
    props.pop("UserPoolName", None)
    triggers = sam_cognito_triggers(stack.template).get(logical_id, {})
    if triggers:  # SAM writes a function's Cognito events into the pool's LambdaConfig
        props["LambdaConfig"] = {
            **props.get("LambdaConfig", {}),
            **{trigger: stack.get_att(function, "Arn") for trigger, function in triggers.items()},
        }
    pool = stack.call("cognito-idp", "CreateUserPool", props, logical_id)["UserPool"]
    provider = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    return Physical(
        pool["Id"],
        {
            "Arn": pool["Arn"],
            "UserPoolId": pool["Id"],
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
        },
    )


def _user_pool_client(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    props = stack.resolve(properties)
    props["ClientName"] = stack.name(logical_id, props, "ClientName")  # optional in templates
    client = stack.call("cognito-idp", "CreateUserPoolClient", props, logical_id)
    client = client["UserPoolClient"]
    attributes = {"ClientId": client["ClientId"], "Name": client.get("ClientName", "")}
    if client.get("ClientSecret"):
        attributes["ClientSecret"] = client["ClientSecret"]
    return Physical(client["ClientId"], attributes)


def _resource_server(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    props = stack.resolve(properties)
    server = stack.call("cognito-idp", "CreateResourceServer", props, logical_id)
    return Physical(server["ResourceServer"]["Identifier"])


def _user_pool_domain(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    props = stack.resolve(properties)
    domain = stack.call("cognito-idp", "CreateUserPoolDomain", props, logical_id)
    return Physical(props["Domain"], {"CloudFrontDistribution": domain.get("CloudFrontDomain")})


def sam_cognito_triggers(template: Template) -> dict[str, dict[str, str]]:
    """{pool logical id: {trigger name: function logical id}} from functions' Cognito events."""
    triggers: dict[str, dict[str, str]] = {}
    for function_id in template.resources_of_type("AWS::Serverless::Function"):
        events = template.properties(function_id).get("Events") or {}
        for event in events.values():
            if event.get("Type") != "Cognito":
                continue
            properties = event.get("Properties") or {}
            pool_id = ref_target(properties.get("UserPool"))
            if pool_id is None:
                raise TemplateError(f"{function_id}: a Cognito event's UserPool must be a !Ref")
            names = properties.get("Trigger")
            for trigger in names if isinstance(names, list) else [names]:
                triggers.setdefault(pool_id, {})[str(trigger)] = function_id
    return triggers


# ----------------------------------------------------------------------------- SQS


def _sqs_queue(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    props = stack.resolve(properties)
    name = stack.name(logical_id, props, "QueueName")
    # The API takes CloudFormation's properties as string attributes (RedrivePolicy as JSON).
    attributes = {
        key: json.dumps(value) if isinstance(value, dict | list) else string(value)
        for key, value in props.items()
        if key not in ("QueueName", "Tags")
    }
    url = stack.call(
        "sqs", "CreateQueue", {"QueueName": name, "Attributes": attributes}, logical_id
    )["QueueUrl"]
    return Physical(url, {"Arn": _arn("sqs", name), "QueueName": name, "QueueUrl": url})


# ----------------------------------------------------------------------------- named only


def _function(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    # Only the name: the environment refers to other resources, which may refer to this ARN.
    name = stack.name(logical_id, properties, "FunctionName")
    return Physical(name, {"Arn": _arn("lambda", f"function:{name}")})


def _layer(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    name = stack.name(logical_id, properties, "LayerName")
    return Physical(_arn("lambda", f"layer:{name}:1"))


def _rest_api(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    return Physical(fake_id(logical_id), {"RootResourceId": fake_id(logical_id + "/")})


def _log_group(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    name = stack.name(logical_id, properties, "LogGroupName")
    return Physical(name, {"Arn": _arn("logs", f"log-group:{name}:*")})


def _named_only(stack: Provisioner, logical_id: str, properties: dict[str, Any]) -> Physical:
    resource_type = stack.template.resources[logical_id].get("Type")
    log.info("%s: %s is not emulated locally (Ref gives a placeholder)", logical_id, resource_type)
    name = f"{STACK_NAME}-{logical_id}"
    return Physical(name, {"Arn": _arn("local", name)})


def fake_id(seed: str, length: int = 10) -> str:
    """A stable id that looks like API Gateway's (lowercase letters and digits)."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


PROVISIONERS: dict[str, Provision] = {
    "AWS::DynamoDB::Table": _dynamodb_table,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::Cognito::UserPoolResourceServer": _resource_server,
    "AWS::Cognito::UserPoolDomain": _user_pool_domain,
    "AWS::SQS::Queue": _sqs_queue,
    "AWS::Serverless::Function": _function,
    "AWS::Serverless::LayerVersion": _layer,
    "AWS::Serverless::Api": _rest_api,
    "AWS::Logs::LogGroup": _log_group,
}
