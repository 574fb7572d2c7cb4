"""The admin's and the program designer's journey in a real browser. Two small submissions are
submitted through the API and screened by the server's own worker meanwhile. An admin signs in,
looks at the overview, creates a program designer (and is told, next to the field, when the email
is taken), uploads a rubric with errors and sees each listed by line and field, fixes it in the
box, checks it, uploads it, retires and restores the version. An assessor releases decisions on
the two submissions over the API; the new designer signs in and opens the analyses. Every page
visited is screenshotted and checked with axe-core."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from ..service.assessing import full_marking
from ..service.conftest import PASSWORD, RUBRIC, rubric_yaml, tiny_submission
from .pages import browser_sign_in, check_page

pytestmark = pytest.mark.models


def _client(base: str, email: str) -> httpx.Client:
    token = httpx.post(base + "/api/auth/token", json={"email": email, "password": PASSWORD}).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _submit(base: str, email: str) -> tuple[str, str]:
    """Draft, upload, submit over the API: (submission id, screening job id); not waiting."""
    with _client(base, email) as c:
        sub = c.post("/api/submissions", json={"rubric_id": RUBRIC}).json()["id"]
        for part, name, data in tiny_submission():
            r = c.post(f"/api/submissions/{sub}/files", params={"part": part, "filename": name}, content=data,
                       headers={"Content-Type": "application/octet-stream"})
            assert r.status_code == 201, r.text
        r = c.post(f"/api/submissions/{sub}/submit")
        assert r.status_code == 202, r.text
        return sub, r.json()["job"]["id"]


def _release(base: str, email: str, subs: list[tuple[str, str]]) -> None:
    """As the assessor: wait for each screening, then mark and release it (the second below the
    required level, so the outcomes differ)."""
    from screening.rubric import RubricCatalogue

    from ..conftest import REPO

    rubric = RubricCatalogue([REPO / "rubrics"]).get(RUBRIC)
    with _client(base, email) as c:
        for i, (sub, job) in enumerate(subs):
            deadline = time.monotonic() + 600
            while (state := c.get(f"/api/jobs/{job}").json()["state"]) not in ("done", "failed"):
                assert time.monotonic() < deadline, "the screening did not finish"
                time.sleep(2)
            assert state == "done"
            report: dict[str, Any] = c.get(f"/api/jobs/{job}/report").json()
            assert c.post(f"/api/queue/{sub}/claim").status_code == 200
            level = None if i == 0 else rubric.proficiency_levels[-1].id
            r = c.put(f"/api/assessments/{sub}/decision", json=full_marking(report, rubric, level, flip=i))
            assert r.status_code == 200, r.text
            assert c.post(f"/api/assessments/{sub}/release").status_code == 200


def _broken_rubric() -> str:
    text = rubric_yaml("2099.1", "Professional Learning (pilot revision)")
    return text.replace("format: mc-rubric/1", "format: mc-rubric/9", 1).replace(
        "title: Professional Learning (pilot revision)", "title: 42", 1)


@pytest.mark.heavy
def test_an_admin_manages_users_and_rubrics_and_a_designer_opens_the_analyses(server, browser):
    server.add_user("jordan@example.org", "candidate", "Jordan Rivers")
    server.add_user("riley@example.org", "candidate", "Riley Chen")
    server.add_user("sam@example.org", "assessor", "Sam Assessor")
    subs = [_submit(server.url, "jordan@example.org"), _submit(server.url, "riley@example.org")]

    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    try:
        # The admin's overview.
        browser_sign_in(page, server.url, "root@example.org")
        assert page.url.endswith("/admin")
        assert page.get_by_role("heading", name="Admin", level=1).is_visible()
        check_page(page, "admin-overview")

        # Create a program designer; the same email again is refused next to the field, values kept.
        page.get_by_role("link", name="Users", exact=True).click()
        page.wait_for_load_state("networkidle")
        check_page(page, "admin-users")
        page.get_by_label("Email").fill("dee@example.org")
        page.get_by_label("Name (optional)").fill("Dee Designer")
        page.get_by_label("Role", exact=True).select_option("program_designer")
        page.get_by_label("Initial password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_load_state("networkidle")
        assert page.get_by_role("status").inner_text().startswith("Account created for dee@example.org")
        check_page(page, "admin-users-created")

        page.get_by_label("Email").fill("dee@example.org")
        page.get_by_label("Name (optional)").fill("Dee Again")
        page.get_by_label("Initial password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_load_state("networkidle")
        assert "has an account already" in page.locator("#new-email-error").inner_text()
        assert page.get_by_label("Email").input_value() == "dee@example.org"
        assert page.get_by_label("Name (optional)").input_value() == "Dee Again"
        check_page(page, "admin-users-email-taken")

        # Upload a rubric with two errors: each is listed by line and field; the text stays.
        page.get_by_role("link", name="Rubrics", exact=True).click()
        page.wait_for_load_state("networkidle")
        check_page(page, "admin-rubrics")
        broken = _broken_rubric()
        page.get_by_label("Rubric YAML text").fill(broken)
        page.get_by_role("button", name="Upload").click()
        page.wait_for_load_state("networkidle")
        problems = page.locator("table.problems tbody tr")
        assert problems.count() == 2
        lines = broken.splitlines()
        for row, field in zip(problems.all(), ("format", "title")):
            line = next(i + 1 for i, text in enumerate(lines) if text.startswith(f"{field}:"))
            assert row.locator("th").inner_text() == f"Line {line}"
            assert row.locator("td code").first.inner_text() == field
        assert page.get_by_label("Rubric YAML text").input_value() == broken.replace("\r\n", "\n")
        check_page(page, "admin-rubrics-problems")

        # Fix it in the box, check only (nothing stored), then upload it.
        fixed = rubric_yaml("2099.1", "Professional Learning (pilot revision)")
        page.get_by_label("Rubric YAML text").fill(fixed)
        page.get_by_label("Check only: store nothing").check()
        page.get_by_role("button", name="Upload").click()
        page.wait_for_load_state("networkidle")
        assert "The rubric is valid" in page.get_by_role("status").inner_text()
        assert page.locator("tr", has_text="2099.1").count() == 0
        check_page(page, "admin-rubrics-checked")
        page.get_by_label("Check only: store nothing").uncheck()
        page.get_by_role("button", name="Upload").click()
        page.wait_for_load_state("networkidle")
        assert "Stored: mo-il-professional-learning version 2099.1" in page.get_by_role("status").inner_text()
        row = page.locator("tbody tr", has=page.locator("th", has_text="2099.1"))
        assert "current" in row.inner_text() and "uploaded" in row.inner_text()
        check_page(page, "admin-rubrics-stored")

        # Retire it (new drafts fall back to 2026.1), then restore it.
        page.get_by_role("button", name=f"Retire {RUBRIC} version 2099.1").click()
        page.wait_for_load_state("networkidle")
        assert "Retired:" in page.get_by_role("status").inner_text()
        assert "retired" in row.inner_text()
        check_page(page, "admin-rubrics-retired")
        page.get_by_role("button", name=f"Restore {RUBRIC} version 2099.1").click()
        page.wait_for_load_state("networkidle")
        assert "Restored:" in page.get_by_role("status").inner_text()
        assert "current" in row.inner_text()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state("networkidle")

        # An assessor releases decisions on the two submissions (over the API).
        _release(server.url, "sam@example.org", subs)

        # The new designer signs in with the password the admin set and opens the analyses.
        browser_sign_in(page, server.url, "dee@example.org")
        assert page.url.endswith("/designer")
        check_page(page, "designer-home")
        page.locator(f'a[href="/designer/{RUBRIC}"]').first.click()
        page.wait_for_load_state("networkidle")
        page.get_by_role("heading", name="Rubric version 2026.1").wait_for(timeout=60_000)
        assert "2 screened submissions" in page.locator("#analysis").inner_text()
        assert page.get_by_role("table", name="Evidence missing or weak, per detail").is_visible()
        assert page.get_by_role("table", name="Advice precision per flag code").is_visible()
        images = page.locator("#analysis img")
        assert images.count() >= 2
        page.wait_for_function("() => [...document.querySelectorAll('#analysis img')]"
                               ".every(i => i.complete && i.naturalWidth > 0)")
        assert "Jordan" not in page.content() and "jordan@example.org" not in page.content()
        check_page(page, "designer-analyses")
        with page.expect_download() as download:
            page.get_by_role("link", name="Pilot data, JSON and CSV tables (zip)").click()
        assert download.value.suggested_filename == f"pilot-{RUBRIC}.zip"
    finally:
        context.close()
