"""The pages of the local authorization endpoint: the sign-in form and the error page.

No script at all and no framing (clickjacking of the password form); one answer for an unknown
user and a wrong password.
"""

from __future__ import annotations

import html

from werkzeug.wrappers import Response

from local.oauth.models import Client, SignInRequest

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 22rem; margin: 4rem auto; padding: 0 1rem; }}
label, input, button {{ display: block; width: 100%; box-sizing: border-box; }}
input {{ margin: .25rem 0 1rem; padding: .5rem; }}
button {{ padding: .6rem; }}
.error {{ color: #b00020; }}
</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""

SIGN_IN_FORM = """<p>{client} asks for: {scopes}</p>
{error}<form method="post" action="{action}">
<input type="hidden" name="login" value="{login}">
<label for="username">Email</label>
<input id="username" name="username" type="email" autocomplete="username"
 value="{username}" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
"""


def page(title: str, body: str, status: int = 200) -> Response:
    return Response(
        PAGE.format(title=html.escape(title), body=body),
        status,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
            ),
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
        },
        content_type="text/html; charset=utf-8",
    )


def error_page(message: str) -> Response:
    """A 400 the client never sees: what went wrong, for the person at the browser."""
    return page("Sign-in failed", f'<p class="error">{html.escape(message)}</p>', 400)


def sign_in_page(
    client: Client,
    request: SignInRequest,
    login: str,
    action: str,
    error: str = "",
    username: str = "",
) -> Response:
    """The form, posting to `action` (the authorization endpoint's URL)."""
    body = SIGN_IN_FORM.format(
        client=html.escape(client.name),
        scopes=html.escape(", ".join(request.scopes)),
        error=f'<p class="error" role="alert">{html.escape(error)}</p>\n' if error else "",
        action=html.escape(action),
        login=html.escape(login),
        username=html.escape(username),
    )
    return page("Sign in to Stint", body)
