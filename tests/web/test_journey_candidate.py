"""A candidate's journey in a real browser (Debian's Chromium), against a real server with the
real screening worker: sign in, choose the MC and read its rubric, start a draft, write a too-short
reflection in the browser, upload the example files through the page's file input, self-check and
see the planted problem (the reflection below its word minimum), fix it by uploading the real
reflection, self-check again and see it fixed, open one evidence link in the viewer, submit. Then an
assessor releases a decision (through the API) and the candidate reads the levels and comments,
downloads the credential and starts a resubmission.

Every page visited is checked with axe-core and saved as a screenshot (check_page)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from ..conftest import REPO
from ..service.conftest import PASSWORD
from .pages import browser_sign_in, check_page

pytestmark = pytest.mark.models
EXAMPLE = REPO / "examples" / "professional-learning"
SCREENING = 300_000  # ms: the first screening loads the models (about a minute on two cores)
SHORT_REFLECTION = ("This year our professional learning changed how I lead. Teachers planned the sessions with me, "
                    "and the coaching cycles gave every teacher a partner. I will share the plan with other principals.")


def _upload(page, part: str, files: list[Path]) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.get_by_label("Part the files belong to").select_option(part)
    page.get_by_label("Choose files").set_input_files([str(f) for f in files])
    for f in files:  # the file list is refreshed in place once every file is stored
        expect(page.locator("#files")).to_contain_text(f.name, timeout=60_000)
    expect(page.locator("[data-upload-status]")).to_contain_text(f"{files[-1].name} uploaded.")


def _self_check(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Run a self-check from the draft page, watch its progress, open its report."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Run a self-check").click()
    expect(page.locator(".progress").first).to_be_visible()
    check_page(page, f"{name}-progress")
    page.get_by_role("link", name="Read the report").click(timeout=SCREENING)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Self-check report")
    check_page(page, name)


def _release(base: str, sub: str) -> None:
    """An assessor (through the API) claims the screened submission, decides and releases."""
    token = httpx.post(base + "/api/auth/token", json={"email": "ann@example.org", "password": PASSWORD}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    assert httpx.post(f"{base}/api/queue/{sub}/claim", headers=h).status_code == 200
    review = httpx.get(f"{base}/api/assessments/{sub}", headers=h).json()
    report = review["report"]
    levels = {eo["id"]: {"level": "demonstrated", "comment": f"EO {eo['id']}: the cited pages show it clearly."}
              for eo in report["eos"]}
    levels["4"] = {"level": "progressing", "comment": "Show how the plan's results were evaluated at year end."}
    decision = {"flags": {f["ref"]: {"decision": "confirmed"} for f in report["flags"]},
                "details": {d["id"]: {"status": d["status"]} for d in report["details"]},
                "eo_levels": levels}
    r = httpx.put(f"{base}/api/assessments/{sub}/decision", headers=h, json=decision)
    assert r.status_code == 200, r.text
    assert httpx.post(f"{base}/api/assessments/{sub}/release", headers=h).status_code == 200


@pytest.mark.heavy
def test_a_candidate_drafts_self_checks_fixes_a_planted_problem_and_submits(server, browser, tmp_path):
    from playwright.sync_api import expect

    server.add_user("casey@example.org", "candidate", "Casey Candidate")
    server.add_user("ann@example.org", "assessor")
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    browser_sign_in(page, server.url, "casey@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("My micro-credentials")
    check_page(page, "candidate-home-empty")

    # Choose the MC and read its rubric.
    page.get_by_role("link", name="Start a new micro-credential").click()
    check_page(page, "candidate-choose")
    page.get_by_role("link", name="Professional Learning").click()
    expect(page.get_by_role("heading", name="EO 1: Professional culture")).to_be_visible()
    check_page(page, "candidate-rubric")
    page.get_by_role("button", name="Start a draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Professional Learning: draft, version 1")
    sub = page.url.rstrip("/").rsplit("/", 1)[1]
    check_page(page, "candidate-draft-empty")

    # The planted problem: a reflection written here, well under its 500-word minimum.
    page.get_by_role("link", name="Write the reflection in the browser").click()
    page.get_by_label("Your reflection").fill(SHORT_REFLECTION)
    expect(page.locator("#wc")).to_contain_text("words of the 500 minimum")
    expect(page.locator("#wc")).to_contain_text("to go")
    check_page(page, "candidate-write")
    page.get_by_role("button", name="Save the reflection").click()
    expect(page.get_by_role("status").first).to_contain_text("Your reflection was saved as reflection.md")

    # The example files, through the page's file input (the part chosen for each).
    _upload(page, "narrative", [EXAMPLE / "narrative.docx"])
    _upload(page, "self_analysis", [EXAMPLE / "self-analysis.csv"])
    _upload(page, "artifact", sorted((EXAMPLE / "artifacts").iterdir()))
    # A refusal shows next to the upload, and nothing else is lost.
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    page.get_by_label("Part the files belong to").select_option("artifact")
    page.get_by_label("Choose files").set_input_files(str(bad))
    expect(page.locator("[data-upload-status] .error")).to_contain_text("empty.txt was not added: The file is empty.")
    check_page(page, "candidate-draft")

    _self_check(page, "candidate-report-first")
    reflection = page.locator("#words-reflection")
    expect(reflection).to_contain_text("below the 500-word minimum")
    expect(page.locator("#flags-heading")).to_be_visible()
    expect(page.get_by_text("word_minimum", exact=True).first).to_be_visible()

    # Fix it: remove the short text and upload the real reflection.
    page.get_by_role("link", name="Back to the draft").click()
    page.get_by_role("button", name="Remove reflection.md").click()
    expect(page.get_by_role("status").first).to_contain_text("The file was removed.")
    _upload(page, "reflection", [EXAMPLE / "reflection.md"])
    _self_check(page, "candidate-report")
    expect(page.locator("#words-reflection")).to_contain_text("the 500-word minimum is reached")
    expect(page.locator("#words-narrative")).to_contain_text("the 1,000-word minimum is reached")

    # One evidence passage opens the file at its place in the viewer.
    link = page.locator("ul.evidence a").first
    href = link.get_attribute("href")
    assert href and href.startswith(f"/view/{sub}/")
    link.click()
    page.wait_for_url(re.compile(rf"/view/{sub}/"))
    page.wait_for_load_state("networkidle")
    check_page(page, "candidate-viewer")
    page.go_back()

    # Submit, after the confirmation.
    page.goto(f"{server.url}/my/submissions/{sub}")
    page.get_by_role("link", name="Submit this draft…").click()
    expect(page.get_by_text("You cannot change the files after submitting")).to_be_visible()
    check_page(page, "candidate-submit")
    page.get_by_role("button", name="Submit version 1").click()
    expect(page.get_by_role("status").first).to_contain_text("Version 1 was submitted")
    check_page(page, "candidate-submitted")
    # The screening made on submit shows its progress, then a link to its report.
    expect(page.get_by_role("link", name="Read the report")).to_be_visible(timeout=SCREENING)
    page.reload()
    expect(page.get_by_role("link", name="read the screening report")).to_be_visible()
    page.goto(server.url + "/my")
    expect(page.locator("table.subs")).to_contain_text("Submitted")
    check_page(page, "candidate-home")

    # An assessor releases a decision: the candidate reads the levels and comments, downloads the credential.
    _release(server.url, sub)
    page.reload()
    expect(page.locator("table.subs")).to_contain_text("Decision released")
    page.get_by_role("link", name="Professional Learning").first.click()
    expect(page.get_by_role("heading", name="The assessor's decision")).to_be_visible()
    expect(page.locator("table.levels")).to_contain_text("Show how the plan's results were evaluated at year end.")
    expect(page.locator("table.levels")).to_contain_text("below the required level")
    check_page(page, "candidate-released")
    expect(page.get_by_role("link", name="Download the credential")).to_have_count(0)

    # Resubmit: a new draft with copies of the files.
    page.get_by_role("button", name="Resubmit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Professional Learning: draft, version 2")
    expect(page.locator("#files")).to_contain_text("pl-plan-2025-26.pdf")
    check_page(page, "candidate-resubmission")
    # Add the evidence the comment asked for, submit version 2 and see what changed.
    extra = tmp_path / "year-end-evaluation.md"
    extra.write_text("# Year-end evaluation of the professional learning plan\n\nIn May the PL Committee compared "
                     "each goal's results with its target: walkthroughs showed student talk in 61% of visits "
                     "against a target of 60%, and the writing task rose from 28% to 47% at score 3-4. We changed "
                     "the 2026-27 plan: two sessions moved to English learner supports, chosen by the teams.\n",
                     encoding="utf-8")
    _upload(page, "artifact", [extra])
    page.get_by_role("link", name="Submit this draft…").click()
    page.get_by_role("button", name="Submit version 2").click()
    expect(page.get_by_role("link", name="Read the report")).to_be_visible(timeout=SCREENING)
    page.reload()
    expect(page.get_by_role("heading", name="What changed since version 1")).to_be_visible()
    expect(page.locator(".changes")).to_contain_text("Added: year-end-evaluation.md")
    check_page(page, "candidate-changes")
    page.goto(server.url + "/my")
    expect(page.locator("table.subs")).to_contain_text("Resubmitted as version 2")
    check_page(page, "candidate-home-versions")
    context.close()


@pytest.mark.heavy
def test_the_credential_downloads_from_the_status_page(server, browser):
    """A released decision at the required level on every EO: the credential is a JSON download."""
    from playwright.sync_api import expect

    server.add_user("dana@example.org", "candidate", "Dana Candidate")
    server.add_user("ann@example.org", "assessor")
    token = httpx.post(server.url + "/api/auth/token", json={"email": "dana@example.org", "password": PASSWORD}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    sub = httpx.post(server.url + "/api/submissions", headers=h, json={"rubric_id": "mo-il-professional-learning"}).json()["id"]
    for part, path in (("narrative", EXAMPLE / "narrative.docx"), ("reflection", EXAMPLE / "reflection.md"),
                       ("artifact", EXAMPLE / "artifacts" / "pl-plan-2025-26.pdf")):
        r = httpx.post(f"{server.url}/api/submissions/{sub}/files", headers=h, data={"part": part},
                       files={"file": (path.name, path.read_bytes())})
        assert r.status_code == 201, r.text
    job = httpx.post(f"{server.url}/api/submissions/{sub}/submit", headers=h).json()["job"]["id"]
    for _ in range(300):
        state = httpx.get(f"{server.url}/api/jobs/{job}", headers=h).json()["state"]
        if state in ("done", "failed"):
            break
        time.sleep(1)
    assert state == "done"
    ann = httpx.post(server.url + "/api/auth/token", json={"email": "ann@example.org", "password": PASSWORD}).json()
    ha = {"Authorization": f"Bearer {ann['access_token']}"}
    assert httpx.post(f"{server.url}/api/queue/{sub}/claim", headers=ha).status_code == 200
    report = httpx.get(f"{server.url}/api/assessments/{sub}", headers=ha).json()["report"]
    decision = {"flags": {f["ref"]: {"decision": "confirmed"} for f in report["flags"]},
                "details": {d["id"]: {"status": d["status"]} for d in report["details"]},
                "eo_levels": {eo["id"]: {"level": "demonstrated", "comment": "Clearly shown."} for eo in report["eos"]}}
    assert httpx.put(f"{server.url}/api/assessments/{sub}/decision", headers=ha, json=decision).status_code == 200
    assert httpx.post(f"{server.url}/api/assessments/{sub}/release", headers=ha).status_code == 200

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    browser_sign_in(page, server.url, "dana@example.org")
    page.goto(f"{server.url}/my/submissions/{sub}")
    expect(page.locator("table.levels")).to_contain_text("Clearly shown.")
    check_page(page, "candidate-released-credential")
    with page.expect_download() as got:
        page.get_by_role("link", name="Download the credential").click()
    doc = json.loads(Path(got.value.path()).read_text())
    assert "AchievementCredential" in doc["type"] and "dana@example.org" not in json.dumps(doc)
    context.close()
