"""The candidate's pages with the TestClient: choosing an MC, the draft page (uploads, texts written
in the browser, their refusals), self-checks and their report, submit, the released decision and
the credential, resubmission and what changed. The real-browser journey is in
test_journey_candidate.py."""

from __future__ import annotations

import copy
import json
import re
from html import unescape

import pytest
from sqlalchemy import update

from service.models import Job

from ..service.assessing import add_candidate, current_rubric, finish_with, full_marking, submit, tiny_report
from ..service.conftest import RUBRIC, tiny_submission
from .pages import csrf_of, form_post, sign_in

pytestmark = pytest.mark.models
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
VERDICTS = re.compile(r"\b(pass(ed|es)?|fail(ed|s)?|earned|you earn)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:  # type: ignore[type-arg]
    """The real screening report of tiny_submission() (the same file names as uploaded)."""
    out = tiny_report(tmp_path_factory.mktemp("tiny"))
    assert any(f["code"] == "word_minimum" for f in out["flags"]), "the test needs a planted short part"
    return out  # type: ignore[no-any-return]


def _main(html: str) -> str:
    """The page's main region only (not the nav or footer)."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def _draft(web) -> str:  # type: ignore[no-untyped-def]
    sign_in(web, "cand")
    r = form_post(web, f"/my/new?rubric={RUBRIC}", "/my/new", {"rubric_id": RUBRIC}, follow_redirects=False)
    assert r.status_code == 303
    return r.headers["location"].rsplit("/", 1)[1]


def _upload(web, sub: str, part: str, name: str, data: bytes, csrf: bool = True):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": csrf_of(web.client.get(f"/my/submissions/{sub}").text)} if csrf else {}
    return web.client.post(f"/my/submissions/{sub}/files", data={"part": part}, files={"file": (name, data)},
                           headers=headers)


def _release(web, sub: str, report: dict, level: str | None = None, comment: str = "seen") -> None:  # type: ignore[type-arg]
    rubric = current_rubric(web)
    marking = full_marking(report, rubric, level=level)
    for eo in marking["eo_levels"].values():
        eo["comment"] = comment
    assert web.call("ass", "POST", f"/api/queue/{sub}/claim").status_code == 200
    assert web.call("ass", "PUT", f"/api/assessments/{sub}/decision", json=marking).status_code == 200
    assert web.call("ass", "POST", f"/api/assessments/{sub}/release").status_code == 200


# --- home and choosing an MC -------------------------------------------------------------------------

def test_home_starts_empty_and_leads_to_choosing_an_mc(web):
    sign_in(web, "cand")
    page = web.client.get("/my")
    assert page.status_code == 200 and "You have no drafts or submissions yet" in page.text
    assert 'href="/my/new"' in _main(page.text)
    choose = web.client.get("/my/new").text
    assert "Professional Learning" in choose and f'href="/my/new?rubric={RUBRIC}"' in choose
    assert "principal" in choose  # the short description (the rubric's overview)


def test_choosing_an_mc_shows_its_rubric_and_starts_a_draft(web):
    sign_in(web, "cand")
    page = web.client.get(f"/my/new?rubric={RUBRIC}").text
    for text in ("EO 1: Professional culture", "1.1", "at least <span class=\"count\">1,000</span> words",
                 "at least <span class=\"count\">500</span> words", "Required level on every essential outcome",
                 "Demonstrated", "Start a draft"):
        assert text in page, text
    r = form_post(web, f"/my/new?rubric={RUBRIC}", "/my/new", {"rubric_id": RUBRIC}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/my/submissions/")
    draft = web.client.get(r.headers["location"]).text
    assert "Professional Learning: draft, version 1" in draft
    assert 'class="split"' in draft and "The rubric: Professional Learning" in draft  # the rubric beside the draft
    home = web.client.get("/my").text
    assert "Draft" in home and r.headers["location"] in home


def test_an_unknown_mc_is_a_message_not_a_crash(web):
    sign_in(web, "cand")
    assert "No micro-credential 'nope' is offered" in unescape(web.client.get("/my/new?rubric=nope").text)
    r = form_post(web, "/my/new", "/my/new", {"rubric_id": "nope"})
    assert r.status_code == 422 and "No rubric 'nope' is offered" in unescape(r.text)


def test_other_roles_and_strangers_do_not_get_the_candidate_pages(web):
    web.client.cookies.clear()
    assert web.client.get("/my/new", follow_redirects=False).headers["location"] == "/login?next=/my/new"
    sign_in(web, "ass")
    r = web.client.get("/my")
    assert r.status_code == 403 and "for the role candidate" in r.text


# --- the draft: files -------------------------------------------------------------------------------

def test_a_multipart_upload_is_stored_as_the_file_and_listed_with_name_type_and_size(web):
    sub = _draft(web)
    text = b"My narrative about professional learning in our school."
    r = _upload(web, sub, "narrative", "my narrative.txt", text)
    assert r.status_code == 201 and "my narrative.txt was added to the narrative" in r.text
    files = web.client.get(f"/my/submissions/{sub}/files").text
    assert "my narrative.txt" in files and "Plain text" in files and f"{len(text)} bytes" in files
    # The same domain function as the API: the API lists it, holding the file's bytes (no form envelope).
    listed = web.call("cand", "GET", f"/api/submissions/{sub}/files").json()
    assert [(f["name"], f["part"], f["size_bytes"]) for f in listed] == [("my narrative.txt", "narrative", len(text))]
    got = web.call("cand", "GET", f"/api/submissions/{sub}/files/{listed[0]['id']}/content")
    assert got.content == text


def test_upload_refusals_come_back_as_plain_messages(web):
    sub = _draft(web)
    wrong = _upload(web, sub, "narrative", "photo.png", PNG)
    assert wrong.status_code == 415 and "which the narrative part does not accept" in wrong.text
    big = _upload(web, sub, "artifact", "huge.txt", b"word " * 450_000)  # over the 2 MB limit of the fixture
    assert big.status_code == 413 and "The file is larger than 2 MB." in big.text
    just = _upload(web, sub, "artifact", "just over.txt", b"w" * (2 * 1024 * 1024 + 10))  # found while storing it
    assert just.status_code == 413 and "The file is larger than" in just.text
    empty = _upload(web, sub, "artifact", "empty.txt", b"")
    assert empty.status_code == 422 and "The file is empty." in empty.text
    assert _upload(web, sub, "artifact", "a.txt", b"some words").status_code == 201
    again = _upload(web, sub, "artifact", "a.txt", b"other words")
    assert again.status_code == 409 and "holds a file named 'a.txt' already" in unescape(again.text)
    nopart = web.client.post(f"/my/submissions/{sub}/files", files={"file": ("b.txt", b"words")},
                             headers={"X-CSRF-Token": csrf_of(web.client.get("/my").text)})
    assert nopart.status_code == 422 and "Choose the part" in nopart.text
    assert "<html" not in wrong.text  # a short message for the upload script, not a whole page
    names = [f["name"] for f in web.call("cand", "GET", f"/api/submissions/{sub}/files").json()]
    assert names == ["a.txt"]  # nothing refused was kept


def test_every_change_needs_the_csrf_token(web):
    sub = _draft(web)
    assert _upload(web, sub, "narrative", "n.txt", b"words", csrf=False).status_code == 403
    for url in ("/my/new", f"/my/submissions/{sub}/self-check", f"/my/submissions/{sub}/submit",
                f"/my/submissions/{sub}/write/narrative", f"/my/submissions/{sub}/resubmit"):
        r = web.client.post(url, data={"rubric_id": RUBRIC, "text": "words"})
        assert r.status_code == 403 and "did not come from this site" in r.text, url
    assert web.call("cand", "GET", f"/api/submissions/{sub}/files").json() == []


def test_removing_a_file(web):
    sub = _draft(web)
    _upload(web, sub, "artifact", "plan.txt", b"a plan with goals")
    fid = web.call("cand", "GET", f"/api/submissions/{sub}/files").json()[0]["id"]
    r = form_post(web, f"/my/submissions/{sub}", f"/my/submissions/{sub}/files/{fid}/delete")
    assert r.status_code == 200 and "The file was removed." in r.text and "plan.txt" not in r.text


def test_another_candidates_submission_is_not_found(web):
    sub = _draft(web)
    add_candidate(web, "other")
    sign_in(web, "other")
    for url in (f"/my/submissions/{sub}", f"/my/submissions/{sub}/write/narrative", f"/my/submissions/{sub}/submit",
                f"/my/submissions/{sub}/files"):
        r = web.client.get(url)
        assert r.status_code == 404 and "nothing you may see" in r.text, url
    assert _upload(web, sub, "narrative", "n.txt", b"words").status_code == 404
    r = form_post(web, "/my", f"/my/submissions/{sub}/write/narrative", {"text": "words"})
    assert r.status_code == 404
    assert web.call("other", "GET", f"/api/submissions/{sub}/outcome").status_code == 404


# --- the draft: writing in the browser -------------------------------------------------------------

def test_writing_the_reflection_with_a_live_count_saves_it_and_edits_it_again(web):
    sub = _draft(web)
    page = web.client.get(f"/my/submissions/{sub}/write/reflection").text
    assert 'data-count="wc"' in page and 'data-min-words="500"' in page and "0 words of the 500 minimum" in page
    assert "Guiding questions" in page  # the rubric's part beside the editor
    text = "Looking back on the year, the coaching cycle changed how our teachers plan together."
    r = form_post(web, f"/my/submissions/{sub}/write/reflection", f"/my/submissions/{sub}/write/reflection",
                  {"text": text})
    assert r.status_code == 200 and "Your reflection was saved as reflection.md" in r.text
    assert "Edit the reflection written here (reflection.md)" in r.text
    again = web.client.get(f"/my/submissions/{sub}/write/reflection").text
    assert text in again and "14 words of the 500 minimum" in again
    form_post(web, f"/my/submissions/{sub}/write/reflection", f"/my/submissions/{sub}/write/reflection",
              {"text": text + " And more."})
    files = web.call("cand", "GET", f"/api/submissions/{sub}/files").json()
    assert [(f["name"], f["part"]) for f in files] == [("reflection.md", "reflection")]  # replaced, not added
    assert web.client.get(f"/my/submissions/{sub}/write/artifact").status_code == 404


def test_empty_text_is_refused_next_to_the_editor(web):
    sub = _draft(web)
    r = form_post(web, f"/my/submissions/{sub}/write/narrative", f"/my/submissions/{sub}/write/narrative",
                  {"text": "   \n  "})
    assert r.status_code == 422 and 'id="text-error"' in r.text and "There is no text to save." in r.text
    assert 'aria-invalid="true"' in r.text
    assert web.call("cand", "GET", f"/api/submissions/{sub}/files").json() == []


# --- self-checks and the report -------------------------------------------------------------------

def test_a_self_check_without_files_is_a_message_by_the_button(web):
    sub = _draft(web)
    r = form_post(web, f"/my/submissions/{sub}", f"/my/submissions/{sub}/self-check")
    assert r.status_code == 409 and 'id="self-check-error"' in r.text and "no files yet" in r.text


def test_a_self_check_shows_progress_then_the_report_readiness_first(web, report):
    sub = _draft(web)
    for part, name, data in tiny_submission():
        assert _upload(web, sub, part, name, data).status_code == 201
    r = form_post(web, f"/my/submissions/{sub}", f"/my/submissions/{sub}/self-check")
    assert r.status_code == 200 and "The self-check: waiting to start" in r.text
    job = web.call("cand", "GET", f"/api/submissions/{sub}/jobs").json()[0]["id"]
    poll = f'hx-get="/my/submissions/{sub}/jobs/{job}/progress"'
    assert poll in r.text and 'hx-trigger="load delay:2s"' in r.text
    fragment = web.client.get(f"/my/submissions/{sub}/jobs/{job}/progress", headers={"HX-Request": "true"}).text
    assert poll in fragment and "<html" not in fragment  # it polls itself while queued
    still = web.client.get(f"/my/submissions/{sub}/reports/{job}").text
    assert "waiting to start" in still and poll in still

    finish_with(web, job, report)
    fragment = web.client.get(f"/my/submissions/{sub}/jobs/{job}/progress").text
    assert "hx-get" not in fragment and f'href="/my/submissions/{sub}/reports/{job}">Read the report' in fragment

    page = web.client.get(f"/my/submissions/{sub}/reports/{job}")
    main = _main(page.text)
    assert page.status_code == 200 and "Self-check report: Professional Learning, version 1" in main
    order = [main.index(h) for h in ("Readiness: what to work on first", "Words per part", ">Flags<",
                                     "Essential outcomes and their details")]
    assert order == sorted(order)
    for fx in report["readiness"]["fixes"]:
        assert fx["text"] in unescape(main)
    narrative = next(p for p in report["parts"] if p["part"] == "narrative")
    assert f"{narrative['minimum'] - narrative['words']:,} words below the 1,000-word minimum" in main
    assert "<code>word_minimum</code>" in main and "What you could do:" in main
    ids = {f["name"]: f["id"] for f in web.call("cand", "GET", f"/api/submissions/{sub}/files").json()}
    assert f'href="/view/{sub}/{ids["growth plan.pdf"]}?page=1' in main  # evidence opens at its page
    for d in report["details"]:
        assert f'id="detail-{d["id"]}"' in main and f'<span class="badge status-{d["status"]}">' in main
    assert not VERDICTS.search(re.sub(r"<[^>]+>", " ", main)), VERDICTS.search(re.sub(r"<[^>]+>", " ", main))
    draft = web.client.get(f"/my/submissions/{sub}").text
    assert f'href="/my/submissions/{sub}/reports/{job}">Read the report' in draft


def test_a_self_check_that_could_not_finish_says_why(web):
    sub = _draft(web)
    _upload(web, sub, "narrative", "n.txt", b"some words here")
    form_post(web, f"/my/submissions/{sub}", f"/my/submissions/{sub}/self-check")
    job = web.call("cand", "GET", f"/api/submissions/{sub}/jobs").json()[0]["id"]
    with web.state.sessions() as s:
        s.execute(update(Job).where(Job.id == job).values(state="failed", error_code="unreadable",
                                                          error_message="The files could not be read."))
        s.commit()
    page = web.client.get(f"/my/submissions/{sub}/reports/{job}").text
    assert "The self-check could not be finished: The files could not be read." in page
    other = web.client.get(f"/my/submissions/{sub}/reports/nope")
    assert other.status_code == 404


# --- submit, the decision, the credential, resubmission -----------------------------------------------

def test_submit_asks_first_then_shows_the_status_and_the_draft_is_closed(web):
    sub = _draft(web)
    _upload(web, sub, "narrative", "n.txt", b"some words here")
    confirm = web.client.get(f"/my/submissions/{sub}/submit").text
    assert "You cannot change the files after submitting" in confirm and "n.txt" in confirm
    r = form_post(web, f"/my/submissions/{sub}/submit", f"/my/submissions/{sub}/submit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/my/submissions/{sub}?submitted=1"
    status = web.client.get(r.headers["location"]).text
    assert "Version 1 was submitted" in status and "Submitted" in status and "Waiting to start" in status
    assert "No decision has been released yet" in status
    # Not a draft any more: each change is a message.
    r = web.client.get(f"/my/submissions/{sub}/write/narrative")
    assert r.status_code == 409 and "can no longer change" in r.text
    text = "A text typed before noticing the submission went in."
    r = form_post(web, "/my", f"/my/submissions/{sub}/write/narrative", {"text": text})
    assert r.status_code == 409 and "can no longer change" in r.text and text in r.text  # nothing typed is lost
    up = _upload(web, sub, "artifact", "late.txt", b"late words")
    assert up.status_code == 409 and "can no longer change" in up.text
    again = form_post(web, "/my", f"/my/submissions/{sub}/submit")
    assert again.status_code == 409 and "was submitted already" in again.text
    assert web.client.get(f"/my/submissions/{sub}/submit").status_code == 409
    home = web.client.get("/my").text
    assert "Submitted" in home and "Draft<" not in home


def test_only_a_released_decision_is_shown_with_levels_comments_and_the_credential(web, report):
    sign_in(web, "cand")
    sub, job = submit(web, "cand")
    finish_with(web, job, report)
    api_before = web.call("cand", "GET", f"/api/submissions/{sub}/outcome")
    assert api_before.status_code == 409 and api_before.json()["code"] == "not_released"
    # A marking under way (not released) stays hidden.
    rubric = current_rubric(web)
    marking = full_marking(report, rubric)
    marking["eo_levels"]["1"]["comment"] = "a draft comment nobody may read yet"
    web.call("ass", "POST", f"/api/queue/{sub}/claim")
    web.call("ass", "PUT", f"/api/assessments/{sub}/decision", json=marking)
    status = web.client.get(f"/my/submissions/{sub}").text
    assert "a draft comment" not in status and "No decision has been released yet" in status
    assert web.client.get(f"/my/submissions/{sub}/credential").status_code == 409

    marking["eo_levels"]["1"]["comment"] = "Clear norms and a decision log."
    web.call("ass", "PUT", f"/api/assessments/{sub}/decision", json=marking)
    assert web.call("ass", "POST", f"/api/assessments/{sub}/release").status_code == 200
    status = web.client.get(f"/my/submissions/{sub}").text
    assert "Decision released" in status and "Clear norms and a decision log." in status
    levels = status.split('class="levels"')[1].split("</table>")[0]
    assert levels.count("<strong>Demonstrated</strong>") == len(rubric.essential_outcomes)
    assert "ass@example.org" not in status and web.ids["ass"] not in status  # never who assessed
    assert f'href="/my/submissions/{sub}/credential"' in status
    got = web.client.get(f"/my/submissions/{sub}/credential")
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    assert got.json() == web.call("cand", "GET", f"/api/assessments/{sub}/credential").json()
    api = web.call("cand", "GET", f"/api/submissions/{sub}/outcome").json()
    assert api["earned"] is True and api["eos"][0]["comment"] == "Clear norms and a decision log."
    assert [e["level"] for e in api["eos"]] == ["demonstrated"] * len(rubric.essential_outcomes)
    assert "assessor" not in json.dumps(api).replace("assessor's", "")
    assert web.call("ass", "GET", f"/api/submissions/{sub}/outcome").status_code == 403


def test_a_released_decision_below_the_required_level_is_not_shown_as_submitted(web, report):
    sign_in(web, "cand")
    sub, job = submit(web, "cand")
    finish_with(web, job, report)
    _release(web, sub, report, level="progressing", comment="Add the survey results.")
    home = web.client.get("/my").text
    assert "Decision released" in home and "<strong>Progressing</strong>" in home
    status = web.client.get(f"/my/submissions/{sub}").text
    assert "below the required level" in status and "Add the survey results." in status
    assert "/credential" not in status and "Resubmit" in status
    r = web.client.get(f"/my/submissions/{sub}/credential")
    assert r.status_code == 409 and "no credential is issued" in r.text
    assert web.call("cand", "GET", f"/api/submissions/{sub}/outcome").json()["earned"] is False


def test_resubmitting_starts_a_new_draft_and_shows_what_changed(web, report):
    sign_in(web, "cand")
    sub, job = submit(web, "cand")
    finish_with(web, job, report)
    _release(web, sub, report, level="progressing")
    r = form_post(web, f"/my/submissions/{sub}", f"/my/submissions/{sub}/resubmit", follow_redirects=False)
    assert r.status_code == 303
    new = r.headers["location"].split("/")[3].split("?")[0]
    draft = web.client.get(r.headers["location"]).text
    assert "draft, version 2" in draft and "Version 2 was started with copies" in draft and "growth plan.pdf" in draft
    again = form_post(web, f"/my/submissions/{sub}", f"/my/submissions/{sub}/resubmit")
    assert again.status_code == 409 and "version 2 exists already" in again.text

    ids = {f["name"]: f["id"] for f in web.call("cand", "GET", f"/api/submissions/{new}/files").json()}
    form_post(web, f"/my/submissions/{new}", f"/my/submissions/{new}/files/{ids['narrative.txt']}/delete")
    r = form_post(web, f"/my/submissions/{new}/submit", f"/my/submissions/{new}/submit", follow_redirects=False)
    assert r.status_code == 303
    second = web.call("cand", "GET", f"/api/submissions/{new}/jobs").json()[-1]["id"]
    changed = copy.deepcopy(report)  # the narrative gone: its words and flags change
    for p in changed["parts"]:
        if p["part"] == "narrative":
            p["words"], p["files"] = 0, []
    changed["files"] = [f for f in changed["files"] if f["name"] != "narrative.txt"]
    finish_with(web, second, changed)
    status = web.client.get(f"/my/submissions/{new}").text
    assert "What changed since version 1" in status and "Removed: narrative.txt" in status
    home = web.client.get("/my").text
    assert "Resubmitted as" in home and f'href="/my/submissions/{new}">version 2' in home
