"""The admin's page for signing keys and issued credentials."""

from __future__ import annotations

from .pages import browser_sign_in, check_page, form_post, sign_in


def test_an_admin_rotates_and_revokes_keys_with_confirmation(web):
    sign_in(web, "adm")
    page = web.client.get("/admin/credentials")
    assert page.status_code == 200 and "signing now" in page.text and "/issuer" in page.text
    r = form_post(web, "/admin/credentials", "/admin/credentials/keys", follow_redirects=True)
    assert "A new key signs from now on" in r.text and "retired" in r.text
    keys = web.call("adm", "GET", "/api/issuer/keys").json()
    retired = next(k for k in keys if k["state"] == "retired")
    refused = form_post(web, "/admin/credentials", f"/admin/credentials/keys/{retired['id']}/revoke")
    assert refused.status_code == 422 and "Tick the box to confirm" in refused.text
    done = form_post(web, "/admin/credentials", f"/admin/credentials/keys/{retired['id']}/revoke",
                     {"confirm": "yes"}, follow_redirects=True)
    assert "The key is revoked" in done.text and "verifies nothing" in done.text
    profile = web.client.get("/issuer").json()
    assert any(vm.get("revoked") for vm in profile["verificationMethod"])


def test_revoking_a_credential_needs_a_reason_and_only_admins_see_the_page(web):
    sign_in(web, "adm")
    r = form_post(web, "/admin/credentials", "/admin/credentials/nope/revoke", {"reason": ""})
    assert r.status_code == 422 and "Say why" in r.text
    r = form_post(web, "/admin/credentials", "/admin/credentials/nope/revoke", {"reason": "test"})
    assert r.status_code == 404 and "No credential was issued" in r.text
    for who in ("cand", "ass", "des"):
        sign_in(web, who)
        assert web.client.get("/admin/credentials").status_code == 403


def test_the_page_passes_axe_in_a_browser(server, browser):
    server.add_user("boss@example.org", "admin")
    page = browser.new_page()
    try:
        browser_sign_in(page, server.url, "boss@example.org")
        page.goto(server.url + "/admin/credentials")
        page.get_by_role("button", name="Rotate: make a new signing key").click()
        page.wait_for_load_state("networkidle")
        assert "A new key signs from now on" in page.content()
        check_page(page, "admin-credentials")
    finally:
        page.close()
