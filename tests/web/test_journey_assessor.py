"""The assessor's journey in a real browser: the example submission is submitted through the API
and screened by the server's own worker; an assessor filters the queue, claims it, opens evidence
at its page in the viewer beside the rubric, decides every flag and detail by keyboard only,
gives the levels and releases. Every page visited is screenshotted and checked with axe-core."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from ..conftest import REPO
from ..service.conftest import PASSWORD, RUBRIC
from .pages import browser_sign_in, check_page

pytestmark = pytest.mark.models
EXAMPLE = REPO / "examples" / "professional-learning"


def example_files() -> list[tuple[str, Path]]:
    """(part, path) for the example submission, laid out as docs/submission-folder.md says."""
    files = [("narrative", EXAMPLE / "narrative.docx"), ("reflection", EXAMPLE / "reflection.md"),
             ("self_analysis", EXAMPLE / "self-analysis.csv")]
    files += [("artifact", p) for p in sorted((EXAMPLE / "artifacts").iterdir()) if not p.name.startswith(".")]
    return files


def submit_example(base: str, email: str) -> str:
    """As the candidate, over the API: draft, upload each file, submit, and wait for the screening."""
    token = httpx.post(base + "/api/auth/token", json={"email": email, "password": PASSWORD}).json()["access_token"]
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=h, timeout=60) as c:
        r = c.post("/api/submissions", json={"rubric_id": RUBRIC})
        assert r.status_code == 201, r.text
        sub = r.json()["id"]
        for part, path in example_files():
            r = c.post(f"/api/submissions/{sub}/files", params={"part": part, "filename": path.name},
                       content=path.read_bytes(), headers={"Content-Type": "application/octet-stream"})
            assert r.status_code == 201, r.text
        r = c.post(f"/api/submissions/{sub}/submit")
        assert r.status_code == 202, r.text
        job = r.json()["job"]["id"]
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            state = c.get(f"/api/jobs/{job}").json()["state"]
            if state in ("done", "failed"):
                break
            time.sleep(2)
        assert state == "done", f"the screening ended {state}"
    return sub


def _items(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("[data-item]", "els => els.map(e => e.id)")


@pytest.mark.heavy
def test_an_assessor_claims_reads_evidence_decides_by_keyboard_and_releases(server, browser):
    server.add_user("jordan@example.org", "candidate", "Jordan Rivers")
    server.add_user("sam@example.org", "assessor", "Sam Assessor")
    sub = submit_example(server.url, "jordan@example.org")

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        browser_sign_in(page, server.url, "sam@example.org")
        assert page.url.endswith("/queue")
        check_page(page, "assessor-queue")

        # Filter the queue to this MC, most missing first: the address keeps the choice.
        page.get_by_label("Micro-credential").select_option(RUBRIC)
        page.get_by_label("Order").select_option("missing")
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state("networkidle")
        assert f"rubric_id={RUBRIC}" in page.url and "sort=missing" in page.url
        row = page.locator(f"#row-{sub}")
        assert row.count() == 1 and "Not claimed" in row.inner_text()
        check_page(page, "assessor-queue-filtered")

        # Claim: to the review page, claimed until a stated time.
        row.get_by_role("button", name="Claim").click()
        page.wait_for_url(f"**/review/{sub}")
        page.wait_for_load_state("networkidle")
        assert "Claimed by you until" in page.locator("#claim-state").inner_text()
        body = page.content()
        assert "Jordan" not in body and "jordan@example.org" not in body  # anonymised
        check_page(page, "assessor-review")

        # Evidence at its page: the link loads the viewer panel beside the rubric.
        link = page.locator("[data-item] a[data-evidence][href*='page=']").first
        href = link.get_attribute("href")
        assert href and f"/view/{sub}/" in href and "page=" in href
        link.click()
        panel = page.locator("#viewer-panel [data-viewer]")
        panel.wait_for(timeout=30_000)
        page_no = href.split("page=")[1].split("&")[0]
        assert f"page {page_no}" in panel.locator("h2").inner_text()
        panel.locator("canvas").first.wait_for(timeout=60_000)  # pdf.js drew the page
        page.wait_for_load_state("networkidle")
        check_page(page, "assessor-review-evidence")

        # Every flag and detail decided by keyboard only: j to the next item, c to confirm.
        ids = _items(page)
        assert len(ids) > 5
        # The evidence's item became the current one when its link was clicked; k back to the first.
        for _ in ids:
            page.keyboard.press("k")
        for n, item_id in enumerate(ids):
            if n:
                page.keyboard.press("j")
            current = page.locator(f'[id="{item_id}"]')
            assert "current" in (current.get_attribute("class") or "")
            if n == 0:
                # e: a comment on the current item; the keys typed there are text, not commands.
                page.keyboard.press("e")
                page.keyboard.type("Checked against the jk minutes, confirmed.")
                assert page.locator(f'[id="{item_id}"] textarea').input_value() == \
                    "Checked against the jk minutes, confirmed."
                assert "decided" not in (current.get_attribute("class") or "")
                page.keyboard.press("Escape")
            page.keyboard.press("c")
            page.locator(f'[id="{item_id}"].decided').wait_for(timeout=15_000)
        assert page.locator("[data-item].decided").count() == len(ids)
        assert "Checked against the jk minutes" in page.locator(f'[id="{ids[0]}"]').inner_text()
        progress = page.locator("#progress").inner_text()
        assert "Levels given: 0 of" in progress
        check_page(page, "assessor-review-decided")

        # A level per essential outcome.
        for eo_id in page.eval_on_selector_all(".level", "els => els.map(e => e.id)"):
            block = page.locator(f'[id="{eo_id}"]')
            block.locator("input[type=radio][value=demonstrated]").check()
            block.get_by_role("button", name="Save level").click()
            page.locator(f'[id="{eo_id}"].decided').wait_for(timeout=15_000)
        assert "Levels given: 4 of 4" in page.locator("#progress").inner_text()

        page.get_by_role("button", name="Release the decision").click()
        page.wait_for_load_state("networkidle")
        assert "The decision is released." in page.content()
        assert "Released on" in page.locator("#claim-state").inner_text()
        check_page(page, "assessor-released")
    finally:
        context.close()
