"""Sign-in to the pages: session cookie, CSRF, back-off after wrong passwords, landing by role.
With the TestClient (no browser): the journeys in a real browser are in test_journeys.py."""

from __future__ import annotations

import pytest

from ..service.conftest import PASSWORD
from .pages import csrf_of


def _sign_in(client, name: str, password: str = PASSWORD, next_url: str = ""):
    return client.post("/login", data={"email": f"{name}@example.org", "password": password, "next": next_url},
                       follow_redirects=False)


def _csrf(html: str) -> str:
    return csrf_of(html)


@pytest.mark.parametrize("name,home", [("cand", "/my"), ("ass", "/queue"), ("des", "/designer"), ("adm", "/admin")])
def test_each_role_lands_on_its_home_page(web, name, home):
    r = _sign_in(web.client, name)
    assert r.status_code == 303 and r.headers["location"] == home
    cookie = r.headers["set-cookie"]
    assert "mcs_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # served over plain http here; Secure over https (tested below)
    assert web.client.get("/", follow_redirects=False).headers["location"] == home


def test_the_front_door_and_pages_send_a_stranger_to_sign_in_and_back(web):
    r = web.client.get("/my", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/my"
    page = web.client.get("/login?next=/my")
    assert page.status_code == 200 and 'name="next" value="/my"' in page.text
    assert "Content-Security-Policy" in page.headers
    r = _sign_in(web.client, "cand", next_url="/my")
    assert r.headers["location"] == "/my"


def test_next_never_leads_off_the_site(web):
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = _sign_in(web.client, "cand", next_url=evil)
        assert r.headers["location"] == "/my", evil
        web.client.cookies.clear()


def test_a_wrong_password_shows_a_message_next_to_the_form_and_keeps_the_email(web):
    r = _sign_in(web.client, "cand", "wrong password")
    assert r.status_code == 401
    assert "The email or password is wrong." in r.text and 'value="cand@example.org"' in r.text
    assert "mcs_session" not in r.headers.get("set-cookie", "")


def test_repeated_wrong_passwords_are_slowed_down_for_pages_and_api(web):
    statuses = [_sign_in(web.client, "cand", f"wrong {i}").status_code for i in range(8)]
    assert statuses[:5] == [401] * 5 and 429 in statuses[5:]
    r = _sign_in(web.client, "cand")  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "try again in" in r.text
    api = web.client.post("/api/auth/token", json={"email": "cand@example.org", "password": PASSWORD})
    assert api.status_code == 429 and api.json()["code"] == "too_many_attempts" and "retry-after" in api.headers
    # Another account from the same address is not blocked by this account's failures.
    assert _sign_in(web.client, "ass").status_code == 303


def test_sign_out_needs_the_csrf_token_and_ends_the_session(web):
    _sign_in(web.client, "cand")
    page = web.client.get("/my")
    assert page.status_code == 200
    forged = web.client.post("/logout", data={}, follow_redirects=False)
    assert forged.status_code == 403 and "did not come from this site" in forged.text
    r = web.client.post("/logout", data={"csrf": _csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert web.client.get("/my", follow_redirects=False).status_code == 303


def test_an_expired_session_returns_to_sign_in_with_a_notice(web):
    from sqlalchemy import update

    from service.models import Token, utcnow

    _sign_in(web.client, "cand")
    with web.state.sessions() as s:
        s.execute(update(Token).values(expires_at=utcnow()))
        s.commit()
    r = web.client.get("/my", follow_redirects=False)
    assert r.headers["location"] == "/login?next=/my&reason=expired"
    assert "Your session has expired" in web.client.get(r.headers["location"]).text


def test_a_page_for_another_role_says_so(web):
    _sign_in(web.client, "cand")
    r = web.client.get("/queue")
    assert r.status_code == 403 and "for the role" in r.text


def test_cookie_is_secure_over_https(web):
    from fastapi.testclient import TestClient

    https = TestClient(web.client.app, base_url="https://testserver")
    r = https.post("/login", data={"email": "cand@example.org", "password": PASSWORD}, follow_redirects=False)
    assert "Secure" in r.headers["set-cookie"]


def test_a_new_installation_offers_to_create_the_first_admin_from_this_machine_only(api):
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from service.models import AuditEntry

    api.client = TestClient(api.client.app, client=("127.0.0.1", 5000))  # on the server itself
    page = api.client.get("/login")
    assert page.status_code == 200 and "create the first admin" in page.text
    r = api.client.post("/setup", data={"email": "boss@example.org", "password": "short", "again": "short"})
    assert r.status_code == 422 and "at least 10 characters" in r.text and 'value="boss@example.org"' in r.text
    r = api.client.post("/setup", data={"email": "boss@example.org", "name": "Pat Boss", "password": PASSWORD,
                                        "again": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin" and "mcs_session=" in r.headers["set-cookie"]
    with api.state.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "create_user")).one()
        assert "first-run page" in (entry.after_json or "")
    # Once an account exists the page is sign-in, and /setup makes nothing more.
    api.client.cookies.clear()
    assert "Sign in" in api.client.get("/login").text
    again = api.client.post("/setup", data={"email": "eve@example.org", "password": PASSWORD, "again": PASSWORD},
                            follow_redirects=False)
    assert again.headers["location"] == "/login"
    assert _sign_in(api.client, "eve", PASSWORD).status_code == 401


def test_the_first_admin_cannot_be_made_from_another_machine(api):
    from fastapi.testclient import TestClient

    remote = TestClient(api.client.app, client=("203.0.113.9", 5000))
    assert "only from the server itself" in remote.get("/login").text
    r = remote.post("/setup", data={"email": "boss@example.org", "password": PASSWORD, "again": PASSWORD})
    assert r.status_code == 422 and "only from the server itself" in r.text
