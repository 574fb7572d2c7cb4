"""Helpers for page tests: people per role, signing in with the TestClient, and in a real
browser: signing in, a screenshot and an axe-core check of every page visited."""

from __future__ import annotations

import re
from typing import Any

from ..service.conftest import PASSWORD, Api
from .conftest import ARTIFACTS

PEOPLE = (("cand", "candidate", "Casey Candidate"), ("ass", "assessor", None), ("des", "program_designer", None),
          ("adm", "admin", None))


def add_people(api: Api) -> None:
    from service.auth import create_user

    with api.state.sessions() as s:
        for name, role, display in PEOPLE:
            user = create_user(s, f"{name}@example.org", PASSWORD, role, display)
            s.flush()
            api.ids[name] = user.id
        s.commit()
    for name, _, _ in PEOPLE:
        api.tokens[name] = api.sign_in(name)  # for calls to the API beside the pages


def sign_in(api: Api, name: str) -> None:
    """Sign the TestClient in as ``name`` (its cookie jar then holds the session)."""
    api.client.cookies.clear()
    r = api.client.post("/login", data={"email": f"{name}@example.org", "password": PASSWORD},
                        follow_redirects=False)
    assert r.status_code == 303, r.text


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([0-9a-f]+)"', html)
    assert m, "the page carries no CSRF token"
    return m.group(1)


def form_post(api: Api, page_url: str, url: str, data: dict[str, Any] | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    """POST a form of ``page_url`` as the browser would: with the page's CSRF token."""
    token = csrf_of(api.client.get(page_url).text)
    return api.client.post(url, data={"csrf": token, **(data or {})}, **kw)


# --- in a real browser ------------------------------------------------------------------------

def browser_sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def check_page(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save a screenshot of the page as a test artifact and fail on any serious or critical
    axe-core violation (WCAG 2.1 A and AA rules)."""
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    # Only violations are read: asking axe for passes and inapplicable rules too makes it
    # serialise every node it looked at, which costs more than the checks themselves.
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                              "wcag21aa", "best-practice"]},
                                       "resultTypes": ["violations"]})
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in bad)
