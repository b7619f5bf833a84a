"""The user pool domain's OAuth2 endpoints, served by the local stack on authlib's server side.

What a client sees of them is docs/API.md's "Base URL, tokens and scopes"; why they are served
this way, docs/DESIGN.md's "OAuth2". moto serves no user pool domain, so the local stack serves
the template's one on its front (`http://127.0.0.1:3000/oauth2/...`), over the emulated pool:

- `GET /oauth2/authorize` checks the request as Cognito does - `client_id`, `redirect_uri` one of
  the client's CallbackURLs, `response_type=code`, `scope` within the client's
  AllowedOAuthScopes (none: all of them), PKCE - and answers with a sign-in page (e-mail and
  password). Its form posts to `POST /oauth2/authorize`, which checks the password against the
  pool and redirects to `redirect_uri` with `code` and `state`; a wrong password shows the page
  again with an error.
- `POST /oauth2/token` (a form; client_secret_basic or client_secret_post for a client with a
  secret, `client_id` alone for a public one) redeems a code (`authorization_code`: the same
  `redirect_uri`, the PKCE `code_verifier`, one attempt, within 5 minutes) or a refresh token
  (`refresh_token`) for Cognito's token response. Errors are RFC 6749's JSON:
  `invalid_client` 401, `invalid_request`, `invalid_grant`, `unauthorized_client`,
  `unsupported_grant_type`, `invalid_scope` 400.

Errors found before `redirect_uri` is known to be the client's are an error page, never a
redirect to an unchecked URI (RFC 6749 4.1.2.1); later ones redirect with `error` and `state`.
A browser app redeems its code from its own origin, so `/oauth2/token` answers CORS as the API
does (the API's `Cors`: its allowed origin on every answer, a preflight `OPTIONS` answered 204).

Stricter than Cognito on purpose: a public client must use PKCE with S256 (RFC 9700). Not
served: the implicit and client-credentials grants (the template allows neither),
`/oauth2/userInfo`, `/logout`, a remembered sign-in. This endpoint's refresh tokens are its own
(InitiateAuth's REFRESH_TOKEN_AUTH does not take them, nor does this endpoint take moto's).

The modules, by job:

- `server`  authlib's `AuthorizationServer` as a werkzeug WSGI app: the adapters, CORS, routing
- `grants`  authlib's code and refresh grants, PKCE (S256) and public-client authentication
- `models`  the app clients, users, codes and refresh tokens, as authlib's model mixins
- `store`   where codes, refresh tokens and sign-in pages are kept (and saved across restarts)
- `pool`    the emulated pool: clients, users, groups, the password check
- `tokens`  Cognito's claims, signed with moto's key so the local authorizer takes them
- `pages`   the sign-in page and the error page
- `domain`  the template's domain in the stack: its URL, the front's in its place, deploy checks
"""

from local.oauth.domain import UserPoolDomain, check_clients, hosted_url
from local.oauth.models import Authorization, Code, RefreshGrant, SignInRequest
from local.oauth.server import CODE_TTL_S, SIGN_IN_TTL_S, AuthorizationServer
from local.oauth.tokens import TokenSigner

__all__ = [
    "CODE_TTL_S",
    "SIGN_IN_TTL_S",
    # A state saved before the endpoints were a package names these as local.oauth's.
    "Authorization",
    "AuthorizationServer",
    "Code",
    "RefreshGrant",
    "SignInRequest",
    "TokenSigner",
    "UserPoolDomain",
    "check_clients",
    "hosted_url",
]
