"""The admin's pages with the TestClient: the overview, users (create, change a role, the
last-admin rule), rubric versions (upload, check only, every problem by line and field, retire,
restore) and the refusals. The new API endpoint PATCH /api/users/{id} is tested here too."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from sqlalchemy import select

from service.models import AuditEntry, RubricVersion, User

from ..service.conftest import RUBRIC, rubric_yaml
from .pages import csrf_of, form_post, sign_in

PAGES = ("/admin", "/admin/users", "/admin/rubrics")


def _text(page: str) -> str:
    """The page's visible words, tags removed and whitespace collapsed, for asserting sentences."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _audit(api, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with api.state.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


@pytest.mark.parametrize("name", ["cand", "ass", "des"])
def test_other_roles_get_403_on_every_admin_page_and_form(web, name):
    sign_in(web, name)
    home = web.client.get({"cand": "/my", "ass": "/queue", "des": "/designer"}[name])
    token = csrf_of(home.text)
    for url in PAGES:
        r = web.client.get(url)
        assert r.status_code == 403 and "for the role admin" in r.text, url
    for url, data in (("/admin/users", {"email": "x@example.org", "role": "admin", "password": "long enough pw"}),
                      (f"/admin/users/{web.ids[name]}/role", {"role": "admin"}),
                      ("/admin/rubrics", {"text": rubric_yaml("2099.1")}),
                      (f"/admin/rubrics/{RUBRIC}/versions/2026.1/retire", {})):
        r = web.client.post(url, data={"csrf": token, **data})
        assert r.status_code == 403, url
    with web.state.sessions() as s:
        assert s.get(User, web.ids[name]).role != "admin"  # type: ignore[union-attr]
        assert s.scalar(select(User).where(User.email == "x@example.org")) is None


def test_a_stranger_is_sent_to_sign_in(web):
    r = web.client.get("/admin/users", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/users"


def test_forms_without_the_csrf_token_are_refused(web):
    sign_in(web, "adm")
    r = web.client.post("/admin/users", data={"email": "x@example.org", "role": "assessor",
                                              "password": "long enough pw"})
    assert r.status_code == 403 and "did not come from this site" in r.text
    r = web.client.post(f"/admin/rubrics/{RUBRIC}/versions/2026.1/retire")
    assert r.status_code == 403


def test_overview_counts_users_submissions_and_jobs(web):
    sign_in(web, "adm")
    draft = web.draft("cand")
    assert draft
    page = _text(web.client.get("/admin").text)
    assert "Candidate 1" in page and "Assessor 1" in page and "Program designer 1" in page and "Admin 1" in page
    assert "Drafts 1" in page and "Submitted 0" in page and "not yet opened by an assessor 0" in page
    assert "Queued 0" in page and "Failed 0" in page
    assert "Professional Learning" in page
    for link in ('href="/admin/users"', 'href="/admin/rubrics"', 'href="/designer"'):
        assert link in web.client.get("/admin").text


# --- users ------------------------------------------------------------------------------------

def test_admin_creates_a_user_who_can_then_sign_in(web):
    sign_in(web, "adm")
    r = form_post(web, "/admin/users", "/admin/users", {"email": "Dana@Example.org", "display_name": "Dana Designer",
                                                        "role": "program_designer", "password": "a long password"},
                  follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/users?created=")
    page = web.client.get(r.headers["location"])
    assert "Account created for dana@example.org with the role program_designer" in _text(page.text)
    assert "Dana Designer" in page.text
    (entry,) = _audit(web, "create_user")
    assert json.loads(entry.after_json or "{}") == {"role": "program_designer"}
    assert entry.actor_id == web.ids["adm"]
    web.client.cookies.clear()
    r = web.client.post("/login", data={"email": "dana@example.org", "password": "a long password"},
                        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/designer"


def test_email_taken_shows_next_to_the_field_and_keeps_what_was_typed(web):
    sign_in(web, "adm")
    r = form_post(web, "/admin/users", "/admin/users", {"email": "ass@example.org", "display_name": "Another Name",
                                                        "role": "assessor", "password": "a long password"})
    assert r.status_code == 409
    assert re.search(r'id="new-email"[^>]*value="ass@example.org"', r.text, re.S)
    assert 'value="Another Name"' in r.text
    assert re.search(r'<option value="assessor"\s+selected', r.text)
    m = re.search(r'<p class="field-error" id="new-email-error">([^<]+)</p>', r.text)
    assert m and "ass@example.org has an account already" in m.group(1)
    assert 'aria-describedby=" new-email-error"' in r.text or 'new-email-error"' in r.text
    assert "a long password" not in r.text  # a password is never sent back


def test_a_short_password_and_a_bad_email_show_next_to_their_fields(web):
    sign_in(web, "adm")
    r = form_post(web, "/admin/users", "/admin/users", {"email": "not an email", "display_name": "",
                                                        "role": "candidate", "password": "short"})
    assert r.status_code == 422
    email_error = re.search(r'id="new-email-error">([^<]+)<', r.text)
    password_error = re.search(r'id="new-password-error">([^<]+)<', r.text)
    assert email_error and "Not an email address" in email_error.group(1)
    assert password_error and "Too short: at least 10 characters" in password_error.group(1)
    assert 'value="not an email"' in r.text and re.search(r'<option value="candidate"\s+selected', r.text)
    with web.state.sessions() as s:
        assert s.scalar(select(User).where(User.email == "not an email")) is None


def test_role_change_works_applies_at_once_and_is_audited(web):
    sign_in(web, "adm")
    ass = web.ids["ass"]
    r = form_post(web, "/admin/users", f"/admin/users/{ass}/role", {"role": "program_designer"},
                  follow_redirects=False)
    assert r.status_code == 303
    page = web.client.get(r.headers["location"])
    assert "ass@example.org now has the role program_designer" in _text(page.text)
    assert re.search(rf'id="role-{ass}" name="role"[^>]*>\s*(<option[^>]*>[^<]*</option>)*?\s*'
                     r'<option value="program_designer" selected', page.text, re.S)
    (entry,) = _audit(web, "change_role")
    assert (entry.target_id, entry.actor_id) == (ass, web.ids["adm"])
    assert json.loads(entry.before_json or "") == {"role": "assessor"}
    assert json.loads(entry.after_json or "") == {"role": "program_designer"}
    # The assessor's open session now has the designer's pages, not the queue.
    sign_in(web, "ass")
    assert web.client.get("/queue").status_code == 403
    assert web.client.get("/designer").status_code == 200


def test_the_last_admin_cannot_demote_themselves_and_is_told_why(web):
    sign_in(web, "adm")
    adm = web.ids["adm"]
    r = form_post(web, "/admin/users", f"/admin/users/{adm}/role", {"role": "assessor"})
    assert r.status_code == 409
    m = re.search(rf'id="role-{adm}-error">([^<]+)<', r.text)
    assert m and "You are the only admin: make another user admin first" in m.group(1)
    with web.state.sessions() as s:
        assert s.get(User, adm).role == "admin"  # type: ignore[union-attr]
    assert _audit(web, "change_role") == []
    # With a second admin, the first may step down.
    r = form_post(web, "/admin/users", f"/admin/users/{web.ids['des']}/role", {"role": "admin"},
                  follow_redirects=False)
    assert r.status_code == 303
    r = form_post(web, "/admin/users", f"/admin/users/{adm}/role", {"role": "assessor"}, follow_redirects=False)
    assert r.status_code == 303
    assert web.client.get("/admin").status_code == 403  # no longer an admin
    assert len(_audit(web, "change_role")) == 2


def test_api_patch_user_role(web):
    ass = web.ids["ass"]
    r = web.call("adm", "PATCH", f"/api/users/{ass}", json={"role": "program_designer"})
    assert r.status_code == 200 and r.json()["role"] == "program_designer" and r.json()["id"] == ass
    assert web.call("ass", "GET", "/api/stats").status_code == 200  # the same token, the new role
    r = web.call("adm", "PATCH", f"/api/users/{web.ids['adm']}", json={"role": "candidate"})
    assert r.status_code == 409 and r.json()["code"] == "last_admin"
    r = web.call("adm", "PATCH", "/api/users/nobody", json={"role": "candidate"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = web.call("adm", "PATCH", f"/api/users/{ass}", json={"role": "wizard"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    r = web.call("des", "PATCH", f"/api/users/{ass}", json={"role": "admin"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert len(_audit(web, "change_role")) == 1
    # The same role again changes nothing and writes nothing.
    assert web.call("adm", "PATCH", f"/api/users/{ass}", json={"role": "program_designer"}).status_code == 200
    assert len(_audit(web, "change_role")) == 1


# --- rubrics ----------------------------------------------------------------------------------

def _broken() -> tuple[str, list[tuple[int, str]]]:
    """The test rubric with two problems, and where they are (line, field)."""
    text = rubric_yaml("2099.2").replace("format: mc-rubric/1", "format: mc-rubric/9", 1)
    text = text.replace("title: Professional Learning", "title: 42", 1)
    lines = text.splitlines()
    at = {name: next(i + 1 for i, line in enumerate(lines) if line.startswith(f"{name}:")) for name in ("format", "title")}
    return text, [(at["format"], "format"), (at["title"], "title")]


def test_rubrics_page_lists_versions_with_source_state_and_pins(web):
    sign_in(web, "adm")
    web.draft("cand")
    page = web.client.get("/admin/rubrics")
    assert page.status_code == 200
    row = re.search(r"<tr>\s*<th scope=\"row\">2026.1</th>.*?</tr>", page.text, re.S)
    assert row
    cells = _text(row.group(0))
    assert "bundled with the service" in cells and "current" in cells and "Retire" in cells
    # The draft pinned it.
    tbody = page.text[page.text.index(f"({RUBRIC})"):]
    first_row = re.search(r'<td class="count">(\d+)</td>', tbody)
    assert first_row and first_row.group(1) == "1"


def test_invalid_rubric_lists_every_problem_by_line_and_field_and_keeps_the_text(web):
    sign_in(web, "adm")
    text, where = _broken()
    r = form_post(web, "/admin/rubrics", "/admin/rubrics", {"text": text})
    assert r.status_code == 422
    table = r.text[r.text.index('class="problems"'):]
    rows = re.findall(r"<tr><th scope=\"row\">Line (\d+)</th>\s*<td><code>([^<]+)</code></td>", table)
    assert [(int(n), f) for n, f in rows] == where
    assert "2 problems" in _text(r.text)
    assert html.escape(text, quote=False).splitlines()[5] in r.text  # the pasted text is back in the box
    assert "title: 42" in r.text and "format: mc-rubric/9" in r.text
    with web.state.sessions() as s:
        assert s.get(RubricVersion, (RUBRIC, "2099.2")) is None


def test_an_uploaded_file_with_problems_comes_back_as_text_to_fix(web):
    sign_in(web, "adm")
    text, where = _broken()
    token = csrf_of(web.client.get("/admin/rubrics").text)
    r = web.client.post("/admin/rubrics", data={"csrf": token, "text": ""},
                        files={"file": ("mine.yaml", io.BytesIO(text.encode()), "application/yaml")})
    assert r.status_code == 422
    assert f"Line {where[0][0]}" in r.text and "<code>format</code>" in r.text
    assert "the text of the file you chose is in the box now" in _text(r.text) and "title: 42" in r.text


def test_yaml_syntax_error_names_its_line(web):
    sign_in(web, "adm")
    r = form_post(web, "/admin/rubrics", "/admin/rubrics", {"text": "id: x\ntitle: [unclosed\nversion: 1\n"})
    assert r.status_code == 422
    assert re.search(r"Line \d+</th>", r.text) and "not valid YAML" in r.text


def test_check_only_stores_nothing_then_upload_stores_and_is_audited(web):
    sign_in(web, "adm")
    text = rubric_yaml("2099.3", "Professional Learning (revised)")
    r = form_post(web, "/admin/rubrics", "/admin/rubrics", {"text": text, "check_only": "true"})
    assert r.status_code == 200
    assert "The rubric is valid: Professional Learning (revised) (mo-il-professional-learning version 2099.3)" \
        in _text(r.text)
    assert "Nothing was stored" in _text(r.text) and "title: Professional Learning (revised)" in r.text
    with web.state.sessions() as s:
        assert s.get(RubricVersion, (RUBRIC, "2099.3")) is None
    r = form_post(web, "/admin/rubrics", "/admin/rubrics", {"text": text}, follow_redirects=False)
    assert r.status_code == 303
    page = web.client.get(r.headers["location"])
    assert "Stored: mo-il-professional-learning version 2099.3" in _text(page.text)
    row = re.search(r"<tr>\s*<th scope=\"row\">2099.3</th>.*?</tr>", page.text, re.S)
    assert row and "uploaded" in row.group(0) and "current" in row.group(0)
    assert len(_audit(web, "add_rubric_version")) == 1
    # The same again: nothing changes; other content under the same version: refused, text kept.
    r = form_post(web, "/admin/rubrics", "/admin/rubrics", {"text": text}, follow_redirects=True)
    assert "was stored already with exactly this content" in _text(r.text)
    other = text.replace("Professional Learning (revised)", "Something else", 1)
    r = form_post(web, "/admin/rubrics", "/admin/rubrics", {"text": other})
    assert r.status_code == 409 and "Give this one a new version" in r.text and "Something else" in r.text
    assert len(_audit(web, "add_rubric_version")) == 1


def test_a_file_upload_is_stored(web):
    sign_in(web, "adm")
    token = csrf_of(web.client.get("/admin/rubrics").text)
    r = web.client.post("/admin/rubrics", data={"csrf": token},
                        files={"file": ("r.yaml", io.BytesIO(rubric_yaml("2099.4").encode()), "application/yaml")},
                        follow_redirects=False)
    assert r.status_code == 303 and "version=2099.4" in r.headers["location"]


def test_empty_and_non_utf8_uploads_are_plain_messages(web):
    sign_in(web, "adm")
    r = form_post(web, "/admin/rubrics", "/admin/rubrics", {"text": "   "})
    assert r.status_code == 422 and "Choose a rubric file or paste its YAML text." in r.text
    token = csrf_of(web.client.get("/admin/rubrics").text)
    r = web.client.post("/admin/rubrics", data={"csrf": token},
                        files={"file": ("r.yaml", io.BytesIO(b"id: \xff\xfe"), "application/yaml")})
    assert r.status_code == 422 and "not UTF-8 text" in r.text


def _offered(api) -> str:  # type: ignore[no-untyped-def]
    """The version of the test rubric new drafts get."""
    return next(r["version"] for r in api.call("cand", "GET", "/api/rubrics").json() if r["id"] == RUBRIC)


def test_retire_and_restore_a_version(web):
    sign_in(web, "adm")
    form_post(web, "/admin/rubrics", "/admin/rubrics", {"text": rubric_yaml("2099.5")})
    r = form_post(web, "/admin/rubrics", f"/admin/rubrics/{RUBRIC}/versions/2099.5/retire", follow_redirects=False)
    assert r.status_code == 303
    page = web.client.get(r.headers["location"])
    assert "Retired: mo-il-professional-learning version 2099.5" in _text(page.text)
    row = re.search(r"<tr>\s*<th scope=\"row\">2099.5</th>.*?</tr>", page.text, re.S)
    assert row and "retired" in row.group(0) and "Restore" in row.group(0)
    current = re.search(r"<tr>\s*<th scope=\"row\">2026.1</th>.*?</tr>", page.text, re.S)
    assert current and "current" in current.group(0)  # new drafts fall back to the older version
    assert _offered(web) == "2026.1"
    r = form_post(web, "/admin/rubrics", f"/admin/rubrics/{RUBRIC}/versions/2099.5/restore", follow_redirects=True)
    assert "Restored: mo-il-professional-learning version 2099.5" in _text(r.text)
    assert _offered(web) == "2099.5"
    assert [e.action for e in _audit(web, "retire_rubric_version") + _audit(web, "restore_rubric_version")] == [
        "retire_rubric_version", "restore_rubric_version"]
    r = form_post(web, "/admin/rubrics", f"/admin/rubrics/{RUBRIC}/versions/9.9/retire")
    assert r.status_code == 404

