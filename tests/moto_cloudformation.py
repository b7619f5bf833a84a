"""What moto's CloudFormation (5.2) lacks for Stint's template, added the way CloudFormation
itself would do it, so that tests/test_cloudformation.py can create the translated template:

- Cognito resources: moto has no models for them ("Tried to parse AWS::Cognito::UserPool but
  it's not supported"). Each model below creates its resource through moto's own Cognito
  backend, as the Cognito API would, so the user pool, clients, domain and resource server
  exist in moto's Cognito afterwards and a test can describe them.
- A table's `TimeToLiveSpecification`: moto's table model ignores it; `install()` wraps the
  model so that it is applied, as CloudFormation does, by UpdateTimeToLive.
- `AWS::CloudWatch::Alarm`, `AWS::Lambda::Alias` and `AWS::ApiGateway::Account`: moto's
  services have them, its CloudFormation does not. Their models call moto's API (boto3, inside
  the same mock) with the resource's properties, as CloudFormation calls the service's.
- `AWS::Lambda::Version` (SAM's AutoPublishAlias): moto publishes the version but gives its
  resource neither a Ref (the version's ARN) nor `Fn::GetAtt Version`; `install()` wraps it.

moto finds CloudFormation models among `CloudFormationModel.__subclasses__()` when it first
builds its (cached) type map; `install()` clears that cache so the models below are found.
"""

from __future__ import annotations

from typing import Any

import boto3
from moto.awslambda.models import LambdaVersion
from moto.cloudformation import parsing
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table


class _Created:
    """What CloudFormation knows of a resource: its Ref (physical id) and its attributes."""

    def __init__(self, physical_id: str, attributes: dict[str, str]) -> None:
        self.physical_resource_id = physical_id
        self._attributes = attributes

    def get_cfn_attribute(self, name: str) -> str:
        return self._attributes[name]

    def is_created(self) -> bool:
        return True


class _CognitoModel:
    """What the models share (a mixin: moto looks only at direct subclasses of
    CloudFormationModel)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **_: Any,
    ) -> _Created:
        backend = cognitoidp_backends[account_id][region_name]
        properties = dict(cloudformation_json.get("Properties", {}))
        return cls.create(backend, properties, resource_name)

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any], resource_name: str) -> _Created:
        raise NotImplementedError

    @classmethod
    def update_from_cloudformation_json(cls, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        raise NotImplementedError("stack updates are not needed by the tests")

    @classmethod
    def delete_from_cloudformation_json(cls, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        return None


class UserPoolModel(_CognitoModel, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any], resource_name: str) -> _Created:
        name = properties.pop("UserPoolName", resource_name)
        pool = backend.create_user_pool(name, properties)
        provider = f"cognito-idp.{backend.region_name}.amazonaws.com/{pool.id}"
        return _Created(
            pool.id,
            {"Arn": pool.arn, "ProviderName": provider, "ProviderURL": f"https://{provider}"},
        )


class UserPoolClientModel(_CognitoModel, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolClient"

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any], resource_name: str) -> _Created:
        pool_id = properties.pop("UserPoolId")
        secret = bool(properties.pop("GenerateSecret", False))
        properties.setdefault("ClientName", resource_name)
        client = backend.create_user_pool_client(pool_id, secret, properties)
        return _Created(
            client.id,
            {
                "ClientSecret": client.secret or "",
                "Name": client.extended_config.get("ClientName", ""),
            },
        )


class UserPoolDomainModel(_CognitoModel, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolDomain"

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any], resource_name: str) -> _Created:
        domain = backend.create_user_pool_domain(
            properties["UserPoolId"], properties["Domain"], properties.get("CustomDomainConfig")
        )
        return _Created(
            domain.domain, {"CloudFrontDistribution": f"{domain.domain}.cloudfront.net"}
        )


class ResourceServerModel(_CognitoModel, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolResourceServer"

    @classmethod
    def create(cls, backend: Any, properties: dict[str, Any], resource_name: str) -> _Created:
        server = backend.create_resource_server(
            properties["UserPoolId"],
            properties["Identifier"],
            properties["Name"],
            properties.get("Scopes", []),
        )
        return _Created(server.identifier, {})


class _ApiModel(_CognitoModel):
    """A resource CloudFormation creates with one call of the service's API."""

    service = ""

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **_: Any,
    ) -> _Created:
        client = boto3.client(cls.service, region_name=region_name)
        return cls.call(client, dict(cloudformation_json.get("Properties", {})), resource_name)

    @classmethod
    def call(cls, client: Any, properties: dict[str, Any], resource_name: str) -> _Created:
        raise NotImplementedError


class AlarmModel(_ApiModel, CloudFormationModel):
    service = "cloudwatch"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def call(cls, client: Any, properties: dict[str, Any], resource_name: str) -> _Created:
        properties.setdefault("AlarmName", resource_name)
        client.put_metric_alarm(**properties)
        arn = client.describe_alarms(AlarmNames=[properties["AlarmName"]])["MetricAlarms"][0]
        return _Created(properties["AlarmName"], {"Arn": arn["AlarmArn"]})


class AliasModel(_ApiModel, CloudFormationModel):
    service = "lambda"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @classmethod
    def call(cls, client: Any, properties: dict[str, Any], resource_name: str) -> _Created:
        alias = client.create_alias(**properties)
        return _Created(alias["AliasArn"], {"AliasArn": alias["AliasArn"]})


class ApiGatewayAccountModel(_ApiModel, CloudFormationModel):
    service = "apigateway"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Account"

    @classmethod
    def call(cls, client: Any, properties: dict[str, Any], resource_name: str) -> _Created:
        role = properties["CloudWatchRoleArn"]
        client.update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
        )
        return _Created(resource_name, {})


def install() -> None:
    """Make moto's CloudFormation see the models above (its type map is cached), and apply a
    table's TTL (idempotent)."""
    if not getattr(Table.create_from_cloudformation_json, "_applies_ttl", False):
        original = Table.create_from_cloudformation_json

        def create_table(
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> Table:
            table = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
            ttl = cloudformation_json["Properties"].get("TimeToLiveSpecification")
            if ttl:
                backend = dynamodb_backends[account_id][region_name]
                backend.update_time_to_live(table.name, ttl)
            return table

        create_table._applies_ttl = True  # type: ignore[attr-defined]
        Table.create_from_cloudformation_json = staticmethod(create_table)  # type: ignore[assignment,method-assign]
    if not getattr(LambdaVersion.create_from_cloudformation_json, "_has_attributes", False):
        publish = LambdaVersion.create_from_cloudformation_json

        def create_version(
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> _Created:
            version = publish(resource_name, cloudformation_json, account_id, region_name, **kwargs)
            function = cloudformation_json["Properties"]["FunctionName"]
            arn = boto3.client("lambda", region_name=region_name).get_function(
                FunctionName=function, Qualifier=str(version.version)
            )["Configuration"]["FunctionArn"]
            return _Created(arn, {"Version": str(version.version)})

        create_version._has_attributes = True  # type: ignore[attr-defined]
        LambdaVersion.create_from_cloudformation_json = staticmethod(create_version)  # type: ignore[assignment,method-assign]
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
