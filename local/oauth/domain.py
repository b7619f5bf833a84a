"""The template's user pool domain in the local stack: its endpoints served at the front's
URL, the URLs naming it pointed there, and what Cognito checks of its clients at deploy time."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from local.authorizer import JwksCache
from local.functions import Function
from local.oauth.server import PATH_PREFIX, AuthorizationServer
from local.oauth.tokens import TokenSigner
from local.resources import Provisioner
from local.routes import Cors
from local.template import REGION, TemplateError

log = logging.getLogger("stint.local")

STANDARD_SCOPES = frozenset(
    {"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}
)


@dataclass
class UserPoolDomain:
    """The template's user pool domain: its hosted URL, and its endpoints served locally."""

    url: str  # https://<prefix>.auth.<region>.amazoncognito.com
    server: AuthorizationServer

    @property
    def mounts(self) -> dict[str, AuthorizationServer]:
        """Path prefix -> WSGI app, for the front."""
        return {PATH_PREFIX: self.server}

    @classmethod
    def from_stack(
        cls, stack: Provisioner, idp: Any, jwks: JwksCache, cors: Cors | None = None
    ) -> UserPoolDomain | None:
        """The template's domain (the first, if it has several), or None."""
        domains = [
            stack.resolve(stack.template.properties(logical_id))
            for logical_id, resource in stack.template.resources_of_type(
                "AWS::Cognito::UserPoolDomain"
            ).items()
            if stack.resolver.included(resource)
        ]
        if not domains:
            return None
        if len(domains) > 1:
            log.warning("only the first AWS::Cognito::UserPoolDomain is served locally")
        if "CustomDomainConfig" in domains[0]:
            log.warning("a custom domain is served at the front's URL locally")
        pool_id = str(domains[0]["UserPoolId"])
        check_clients(idp, pool_id)
        signer = TokenSigner.for_pool(jwks, pool_id)
        server = AuthorizationServer(idp, pool_id, signer, cors=cors)
        return cls(hosted_url(str(domains[0]["Domain"])), server)

    def localize(
        self, front_url: str, functions: list[Function], outputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Point what names the domain's URL at `front_url`, and the endpoints' own URLs (the
        sign-in form's action); the outputs, with client secrets.

        The functions' variables change in place (handlers read them per call). Each output
        holding the id of a client with a secret gets a `...Secret` output beside it
        (`IntegrationClientId` -> `IntegrationClientSecret`): locally only, never in AWS.
        """

        def local(value: Any) -> Any:
            if isinstance(value, str) and value.startswith(self.url):
                return front_url + value[len(self.url) :]
            return value

        self.server.front_url = front_url
        for name, value in list(os.environ.items()):
            os.environ[name] = local(value)
        for function in functions:
            function.environment = {k: local(v) for k, v in function.environment.items()}
            function.own_environment = {k: local(v) for k, v in function.own_environment.items()}
        log.info("user pool domain %s: served at %s/oauth2/", self.url, front_url)
        localized = {name: local(value) for name, value in outputs.items()}
        for name, value in outputs.items():
            client = self.server.pool.client(value) if isinstance(value, str) else None
            if client is not None and client.secret is not None:
                localized[re.sub(r"(Id)?$", "Secret", name, count=1)] = client.secret
        return localized

    def move_callback_urls(self, old_prefix: str, new_prefix: str) -> None:
        """Clients' callback URLs under `old_prefix` (the API's URL in AWS, as the reference
        page's redirect), or under an earlier run's front (a restored state: its port may have
        changed), are under `new_prefix` (the front) instead."""
        idp, pool_id = self.server.pool.idp, self.server.pool.id

        def moved_url(url: str) -> str:
            if url.startswith(old_prefix):
                return new_prefix + url[len(old_prefix) :]
            earlier_front = _EARLIER_FRONT.match(url)
            return new_prefix + url[earlier_front.end() :] if earlier_front else url

        pages = idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id)
        for summary in (client for page in pages for client in page["UserPoolClients"]):
            client = self.server.pool.client(summary["ClientId"])
            if client is None:
                continue
            moved = [moved_url(url) for url in client.callback_urls]
            if moved == list(client.callback_urls):
                continue
            # moto merges an update into the client (Cognito would replace it whole).
            idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client.id, CallbackURLs=moved)
            log.info("app client %s: callback URLs %s", client.name, ", ".join(moved))


# The origin of a local front (http on 127.0.0.1): only a localized callback URL has one.
_EARLIER_FRONT = re.compile(r"^http://127\.0\.0\.1:\d+(?=/)")


def hosted_url(prefix: str) -> str:
    """A Cognito domain prefix's URL (the managed login's and the OAuth2 endpoints')."""
    return f"https://{prefix}.auth.{REGION}.amazoncognito.com"


def check_clients(idp: Any, pool_id: str) -> None:
    """What Cognito refuses when the stack deploys: unknown scopes, callback URLs it forbids."""
    servers = idp.list_resource_servers(UserPoolId=pool_id, MaxResults=50)["ResourceServers"]
    known = STANDARD_SCOPES | {
        f"{server['Identifier']}/{scope['ScopeName']}"
        for server in servers
        for scope in server.get("Scopes", [])
    }
    pages = idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id)
    for summary in (client for page in pages for client in page["UserPoolClients"]):
        client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=summary["ClientId"])
        client = client["UserPoolClient"]
        where = f"app client {client.get('ClientName') or client['ClientId']}"
        unknown = set(client.get("AllowedOAuthScopes") or ()) - known
        if unknown:
            raise TemplateError(f"{where}: no resource server has the scopes {sorted(unknown)}")
        for url in client.get("CallbackURLs") or ():
            parts = urlsplit(url)
            web = parts.scheme in ("http", "https")
            if not parts.scheme or parts.fragment or (web and not parts.netloc):
                raise TemplateError(f"{where}: callback URL {url!r}: not absolute, or has a #")
            # 127.0.0.1: a callback URL an earlier run of the local front localized (restored).
            if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1"):
                raise TemplateError(f"{where}: callback URL {url!r}: https (http for localhost)")
