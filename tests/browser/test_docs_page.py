"""docs/DESIGN.md, "The OpenAPI document" in a real browser: /docs signs in through the stack's
OAuth2 code flow
(PKCE, the first-party client, the local sign-in page) and runs GET /v1/me from the page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.api.conftest import local_only
from tests.browser.conftest import demo_credentials, screenshot


@local_only  # the demo user and the local sign-in page
def test_sign_in_on_the_docs_page_and_run_get_me(page: Page, stack: dict[str, Any]) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(stack["ApiUrl"] + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Stint")

    page.locator(".swagger-ui .auth-wrapper .authorize").click()
    dialog = page.locator(".swagger-ui .modal-ux")
    expect(dialog).to_contain_text("authorizationCode")
    with page.expect_popup() as popup_info:
        dialog.locator("button.authorize").first.click()
    sign_in = popup_info.value
    sign_in.wait_for_load_state()
    assert sign_in.url.startswith(stack["OAuthBaseUrl"] + "/oauth2/authorize?"), sign_in.url
    assert "code_challenge_method=S256" in sign_in.url  # PKCE
    username, password = demo_credentials(stack)
    sign_in.fill("#username", username)
    sign_in.fill("#password", password)
    with sign_in.expect_event("close"):  # oauth2-redirect.html hands the code over and closes
        sign_in.click("button[type=submit]")
    expect(dialog.get_by_role("button", name="Remove authorization")).to_be_visible()
    dialog.locator("button.btn-done").click()

    operation = page.locator("#operations-Users-getMe")
    operation.locator(".opblock-summary-control").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    response = operation.locator(".live-responses-table tr.response")
    expect(response.locator("td.response-col_status")).to_have_text("200")
    expect(response.locator("td.response-col_description")).to_contain_text(username)
    response.scroll_into_view_if_needed()
    screenshot(page, "docs-get-me")
    assert not failed, failed  # every asset the page needs came from the stack
