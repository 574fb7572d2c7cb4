"""The admin's erasure of a candidate's data on the Users page: the button, the confirmation step
(the email typed), the refusals, and the erasure itself (service/erasure.py; its full check of
every table, file and cache is tests/service/test_erasure.py)."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from service.models import AuditEntry, StoredFile, User

from .pages import csrf_of, form_post, sign_in


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_admin_erases_a_candidate_after_confirming(web):
    cand = web.ids["cand"]
    draft = web.draft("cand")
    assert web.upload("cand", draft, "narrative", "mine.txt", b"words of my own narrative").status_code == 201
    sign_in(web, "adm")
    users = web.client.get("/admin/users").text
    assert f'href="/admin/users/{cand}/erase"' in users
    assert f'href="/admin/users/{web.ids["ass"]}/erase"' not in users  # staff accounts have no such button

    page = web.client.get(f"/admin/users/{cand}/erase")
    assert page.status_code == 200
    words = _text(page.text)
    assert "cand@example.org (Casey Candidate)" in words and "Removed: 1 uploaded file" in words
    assert "Removed whole: 1 submission" in words

    # A wrong confirmation changes nothing; so does a form without the CSRF token.
    r = form_post(web, f"/admin/users/{cand}/erase", f"/admin/users/{cand}/erasure", {"confirm": "someone@else.org"})
    assert r.status_code == 422 and "Type the account's email, cand@example.org, to confirm." in _text(r.text)
    r = web.client.post(f"/admin/users/{cand}/erasure", data={"confirm": "cand@example.org"})
    assert r.status_code == 403
    with web.state.sessions() as s:
        assert s.get(User, cand).email == "cand@example.org"  # type: ignore[union-attr]

    r = form_post(web, f"/admin/users/{cand}/erase", f"/admin/users/{cand}/erasure", {"confirm": "Cand@example.org "},
                  follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/users?erased={cand}"
    done = _text(web.client.get(r.headers["location"]).text)
    assert "The candidate's data was erased." in done and "data erased" in done and "Casey Candidate" not in done
    with web.state.sessions() as s:
        user = s.get(User, cand)
        assert user.email == f"erased-{cand}@erased.invalid" and user.display_name is None  # type: ignore[union-attr]
        assert s.scalar(select(StoredFile)) is None
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "erase_candidate")).one()
        assert entry.actor_id == web.ids["adm"] and entry.target_id == cand
    assert web.client.get(f"/admin/users/{cand}/erase").status_code == 404  # nothing left to erase


def test_only_admins_reach_the_erasure(web):
    cand = web.ids["cand"]
    for name in ("cand", "ass", "des"):
        sign_in(web, name)
        token = csrf_of(web.client.get({"cand": "/my", "ass": "/queue", "des": "/designer"}[name]).text)
        assert web.client.get(f"/admin/users/{cand}/erase").status_code == 403
        r = web.client.post(f"/admin/users/{cand}/erasure", data={"csrf": token, "confirm": "cand@example.org"})
        assert r.status_code == 403
    with web.state.sessions() as s:
        assert s.get(User, cand).email == "cand@example.org"  # type: ignore[union-attr]
