"""The assessor's pages with the TestClient: the queue (filters, order, pages, claims), the review
page (claims held by others, decisions, release refused with what is left, release), anonymity,
roles and CSRF. The report judged is a real screening of the submitted files (made once)."""

from __future__ import annotations

import copy
import re

import pytest

from ..service.assessing import current_rubric, finish_with, submit, tiny_report
from ..service.conftest import RUBRIC, service_settings
from .pages import csrf_of, form_post, sign_in

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:  # type: ignore[type-arg]
    """The real screening report of tiny_submission() (the same file names as uploaded)."""
    out = tiny_report(tmp_path_factory.mktemp("tiny"))
    assert out["flags"], "the tests need a report with flags to decide on"
    assert any(ev for d in out["details"] for ev in d["evidence"]), "and one with evidence to link to"
    return out  # type: ignore[no-any-return]


def _screened(web, report, missing: int | None = None) -> str:  # type: ignore[no-untyped-def]
    sub, job = submit(web, "cand")
    r = copy.deepcopy(report)
    if missing is not None:
        r["summary"]["missing"] = missing
    finish_with(web, job, r)
    return sub


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr id="row-([0-9a-f]+)"', html)


def test_the_queue_filters_sorts_and_pages(web, report):
    few, most, some = (_screened(web, report, missing=n) for n in (1, 9, 4))
    sign_in(web, "ass")
    page = web.client.get("/queue")
    assert page.status_code == 200 and 'aria-current="page"' in page.text
    assert _rows(page.text) == [few, most, some]  # waiting longest first
    assert "3 submissions match" in page.text
    # Most missing first; the filter form is a GET form, so the address is the view.
    assert _rows(web.client.get("/queue?sort=missing").text) == [most, some, few]
    assert _rows(web.client.get("/queue?sort=-waiting").text) == [some, most, few]
    # Paged: two per page.
    first = web.client.get("/queue?sort=missing&per_page=2")
    assert _rows(first.text) == [most, some] and "Page 1 of 2" in first.text
    nxt = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert nxt, "a link to the next page"
    second = web.client.get(nxt.group(1).replace("&amp;", "&"))
    assert _rows(second.text) == [few] and "Page 2 of 2" in second.text and 'rel="prev"' in second.text
    # By MC and by stage.
    other = web.client.get("/queue?rubric_id=mo-il-assessment")
    assert _rows(other.text) == [] and "Nothing matches" in other.text
    assert _rows(web.client.get(f"/queue?rubric_id={RUBRIC}&stage=first").text) == [few, most, some]
    assert _rows(web.client.get("/queue?stage=released").text) == []
    # The counts per row: readiness and flags by severity, in words beside the colours.
    assert "9 missing" in page.text and "met" in page.text and "error" in page.text
    # Junk in the address falls back to the defaults instead of failing.
    assert _rows(web.client.get("/queue?sort=name&page=x&per_page=-3").text) == [few, most, some]


def test_the_api_queue_pages_too(web, report):
    subs = [_screened(web, report) for _ in range(3)]
    q = web.call("ass", "GET", "/api/queue", params={"per_page": 2, "page": 2}).json()
    assert q["total"] == 3 and q["page"] == 2 and q["per_page"] == 2 and q["pages"] == 2
    assert [i["submission_id"] for i in q["items"]] == subs[2:]
    whole = web.call("ass", "GET", "/api/queue").json()
    assert [i["submission_id"] for i in whole["items"]] == subs and whole["pages"] == 1
    assert web.call("ass", "GET", "/api/queue", params={"per_page": 0}).status_code == 422


def test_claim_from_the_queue_opens_the_review_page(web, report):
    sub = _screened(web, report)
    sign_in(web, "ass")
    r = form_post(web, "/queue", f"/queue/{sub}/claim", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/review/{sub}"
    page = web.client.get(f"/review/{sub}")
    assert page.status_code == 200
    assert "Claimed by you until" in page.text and "Renew claim" in page.text and "Give up claim" in page.text
    assert 'class="wide"' in page.text and "/static/assessor.js" in page.text
    # The keys are listed on the page.
    keys = page.text[page.text.index('id="keys"'):]
    for key in ("j</kbd>", "k</kbd>", "c</kbd>", "o</kbd>", "e</kbd>", "v</kbd>", "?</kbd>"):
        assert key in keys
    # The queue says it is claimed, and by whom.
    assert "Claimed by you until" in web.client.get("/queue").text
    # Renew, then give up: back in the queue for anyone.
    r = form_post(web, f"/review/{sub}", f"/review/{sub}/claim", follow_redirects=True)
    assert "Your claim is renewed." in r.text
    r = form_post(web, f"/review/{sub}", f"/review/{sub}/unclaim", follow_redirects=True)
    assert "You gave up your claim" in r.text and "Not claimed" in r.text


def test_another_assessor_sees_the_claim_held_and_until_when(web, report):
    web.add_user("ass2", "assessor")
    sub = _screened(web, report)
    sign_in(web, "ass")
    form_post(web, "/queue", f"/queue/{sub}/claim")
    sign_in(web, "ass2")
    page = web.client.get(f"/review/{sub}")
    assert page.status_code == 200
    assert "Held by another assessor</strong> until" in page.text and "you can read, not decide" in page.text
    assert "ass@example.org" not in page.text  # an assessor is not told who
    assert 'data-act="confirm"' not in page.text  # nothing to decide with
    assert "Held by another assessor until" in web.client.get("/queue").text
    # Claiming anyway (a second tab's stale button): refused in plain words, on the review page.
    r = form_post(web, f"/review/{sub}", f"/queue/{sub}/claim", follow_redirects=False)
    assert r.headers["location"] == f"/review/{sub}?refused=claim_held"
    assert "Another assessor holds the claim" in web.client.get(r.headers["location"]).text
    # Deciding without the claim is refused next to the item, nothing lost.
    token = csrf_of(page.text)
    r = web.client.post(f"/review/{sub}/flags/f1", data={"csrf": token, "decision": "confirmed", "comment": "mine"},
                        headers={"HX-Request": "true"})
    assert r.status_code == 409 and "claim it first" in r.text
    # An admin may see who holds it.
    sign_in(web, "adm")
    assert "Held by ass@example.org until" in web.client.get("/queue").text


def test_decide_by_forms_release_refused_with_what_is_left_then_released(web, report):
    sub = _screened(web, report)
    rubric = current_rubric(web)
    sign_in(web, "ass")
    form_post(web, "/queue", f"/queue/{sub}/claim")
    page = web.client.get(f"/review/{sub}")
    token = csrf_of(page.text)

    # Release with nothing decided: every flag listed, with a link to it.
    r = web.client.post(f"/review/{sub}/release", data={"csrf": token})
    assert r.status_code == 409 and "every flag needs Confirm or Override" in r.text
    for i, f in enumerate(report["flags"]):
        assert f'href="#flag-f{i + 1}"' in r.text and f["code"] in r.text

    # A flag confirmed with a comment, by a plain form (no script): back to the page at the item.
    r = web.client.post(f"/review/{sub}/flags/f1", data={"csrf": token, "decision": "confirmed",
                                                         "comment": "Seen in the plan."}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/review/{sub}#flag-f1"
    page = web.client.get(f"/review/{sub}")
    item = page.text[page.text.index('id="flag-f1"'):page.text.index("</li>", page.text.index('id="flag-f1"'))]
    assert "Your decision: <strong" in item and "confirmed" in item and "Seen in the plan." in item
    # A too-long comment: a message next to the field, what was typed kept.
    long = "x" * 4001
    r = web.client.post(f"/review/{sub}/flags/f1", data={"csrf": token, "decision": "overridden", "comment": long},
                        headers={"HX-Request": "true"})
    assert r.status_code == 422 and "The comment is too long" in r.text and long in r.text
    # The rest with htmx: each answer is the item again, plus the progress.
    for i in range(1, len(report["flags"])):
        r = web.client.post(f"/review/{sub}/flags/f{i + 1}", data={"csrf": token, "decision": "overridden"},
                            headers={"HX-Request": "true"})
        assert r.status_code == 200 and f'id="flag-f{i + 1}"' in r.text and 'hx-swap-oob="true"' in r.text
    assert f"Flags decided: <strong>{len(report['flags'])} of {len(report['flags'])}" in r.text

    # Release again: now the details are what is left.
    r = web.client.post(f"/review/{sub}/release", data={"csrf": token})
    assert r.status_code == 409 and "every detail&#39;s evidence status" in r.text
    advisory = {d["id"]: d["status"] for d in report["details"]}
    for n, (_, d) in enumerate(rubric.details()):
        assert f'href="#detail-{d.id}"' in r.text
        data = {"csrf": token, "status": advisory.get(d.id, "missing")}
        if n == 0:  # one changed with the select instead of confirmed
            data = {"csrf": token, "changed_status": "met" if advisory.get(d.id) != "met" else "weak"}
        assert web.client.post(f"/review/{sub}/details/{d.id}", data=data, follow_redirects=False).status_code == 303
    page = web.client.get(f"/review/{sub}")
    assert "(changed from" in page.text

    r = web.client.post(f"/review/{sub}/release", data={"csrf": token})
    assert r.status_code == 409 and "every essential outcome needs a level" in r.text
    # A level that is not the rubric's: refused next to the EO.
    eo = rubric.essential_outcomes[0].id
    r = web.client.post(f"/review/{sub}/levels/{eo}", data={"csrf": token, "level": "excellent"},
                        headers={"HX-Request": "true"})
    assert r.status_code == 422 and "Levels must be one of" in r.text
    for e in rubric.essential_outcomes:
        r = web.client.post(f"/review/{sub}/levels/{e.id}", data={"csrf": token, "level": rubric.required_level,
                                                                  "comment": "Clear evidence."},
                            follow_redirects=False)
        assert r.status_code == 303

    r = web.client.post(f"/review/{sub}/release", data={"csrf": token}, follow_redirects=True)
    assert r.status_code == 200 and "The decision is released." in r.text and "Released on" in r.text
    assert 'data-act="confirm"' not in r.text  # nothing more to decide
    released = web.call("ass", "GET", f"/api/assessments/{sub}/decisions").json()
    assert released[0]["state"] == "final" and released[0]["flags"]["f1"] == {"decision": "confirmed",
                                                                             "comment": "Seen in the plan."}
    assert "Released decision" in r.text  # shown beside each item


def test_the_review_page_is_anonymised(web, report):
    sub = _screened(web, report)
    sign_in(web, "ass")
    form_post(web, "/queue", f"/queue/{sub}/claim")
    page = web.client.get(f"/review/{sub}").text
    for secret in ("Casey", "cand@example.org", "growth plan.pdf", "narrative.txt"):
        assert secret not in page, secret
    assert "artifact-1.pdf" in page  # files go by aliases
    # Evidence and flags link to the viewer at the cited place: a normal link and the panel for htmx.
    assert re.search(rf'href="/view/{sub}/[0-9a-f]+(\?[^"]*)?" hx-get="/view/{sub}/[0-9a-f]+/panel', page)
    assert 'id="viewer-panel"' in page


def test_a_resubmission_shows_what_changed_and_the_previous_decision(web, report):
    from ..service.assessing import full_marking

    v1 = _screened(web, report)
    rubric = current_rubric(web)
    web.call("ass", "POST", f"/api/queue/{v1}/claim")
    web.call("ass", "PUT", f"/api/assessments/{v1}/decision", json=full_marking(report, rubric, level="not_yet"))
    assert web.call("ass", "POST", f"/api/assessments/{v1}/release").json()["stage"] == "released"
    draft = web.call("cand", "POST", f"/api/submissions/{v1}/resubmit").json()["id"]
    v2, job = submit(web, "cand", draft=draft)
    changed = copy.deepcopy(report)
    changed["flags"].pop(0)
    narrative = next(p for p in changed["parts"] if p["part"] == "narrative")
    narrative["words"] += 120
    finish_with(web, job, changed)
    sign_in(web, "ass")
    page = web.client.get(f"/review/{v2}").text
    assert "What changed since the previous version (version 1)" in page
    assert f"Flag gone: <code>{report['flags'][0]['code']}</code>" in page and "(+120)" in page
    assert "The previous version's released decision" in page and "not_yet" in page


def test_other_roles_are_refused_and_forms_need_the_csrf_token(web, report):
    sub = _screened(web, report)
    for who in ("cand", "des"):
        sign_in(web, who)
        for url in ("/queue", f"/review/{sub}"):
            r = web.client.get(url)
            assert r.status_code == 403 and "for the role" in r.text, (who, url)
    sign_in(web, "ass")
    r = web.client.post(f"/queue/{sub}/claim", data={}, follow_redirects=False)
    assert r.status_code == 403 and "did not come from this site" in r.text
    assert "Not claimed" in web.client.get(f"/review/{sub}").text
    # Signed out: to sign-in and back.
    web.client.cookies.clear()
    r = web.client.get("/queue?sort=missing", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/queue")


def test_an_admin_uses_the_queue_but_reads_content_only_to_reconcile(web, report):
    sub = _screened(web, report)
    sign_in(web, "adm")
    page = web.client.get("/queue")
    assert page.status_code == 200 and sub in page.text
    assert f'action="/queue/{sub}/claim"' not in page.text and f'href="/review/{sub}"' not in page.text
    r = web.client.get(f"/review/{sub}")
    assert r.status_code == 409 and "only to reconcile" in r.text


@pytest.fixture
def double(tmp_path):  # type: ignore[no-untyped-def]
    """The app with double marking for every MC, and the people of ``web``."""
    from ..service.conftest import make_api
    from .pages import add_people

    for api in make_api(service_settings(tmp_path, second_marking=["*"], max_files_per_submission=12)):
        add_people(api)
        yield api


def test_second_marking_stays_sealed_and_the_reconciler_sees_both_side_by_side(double, report):
    from ..service.assessing import full_marking

    web = double
    web.add_user("ass2", "assessor")
    sub = _screened(web, report)
    rubric = current_rubric(web)
    # The first marking, through the page's own forms, then finished.
    sign_in(web, "ass")
    form_post(web, "/queue", f"/queue/{sub}/claim")
    page = web.client.get(f"/review/{sub}")
    assert "Finish the first marking" in page.text and "stays sealed" in page.text
    web.call("ass", "PUT", f"/api/assessments/{sub}/decision", json=full_marking(report, rubric, flip=1))
    r = form_post(web, f"/review/{sub}", f"/review/{sub}/release", follow_redirects=True)
    assert "waits for a second marker" in r.text
    # The first marker cannot mark again; the second marker sees nothing of the first marking.
    assert "You marked this submission already" in web.client.get(f"/review/{sub}").text
    sign_in(web, "ass2")
    form_post(web, "/queue", f"/queue/{sub}/claim")
    page = web.client.get(f"/review/{sub}")
    assert "Second marking" in page.text and "First marker" not in page.text and "Your decision:" not in page.text
    web.call("ass2", "PUT", f"/api/assessments/{sub}/decision", json=full_marking(report, rubric, level="progressing"))
    r = form_post(web, f"/review/{sub}", f"/review/{sub}/release", follow_redirects=True)
    assert "waits for reconciliation" in r.text
    # An admin reconciles: both markings side by side on every item, then their own.
    sign_in(web, "adm")
    queue = web.client.get("/queue?stage=reconcile")
    assert _rows(queue.text) == [sub] and "markings disagree" in queue.text
    form_post(web, "/queue", f"/queue/{sub}/claim")
    page = web.client.get(f"/review/{sub}")
    assert page.status_code == 200 and "Reconciliation" in page.text and "agree on" in page.text
    assert page.text.count(">First marker</th>") == page.text.count(">Second marker</th>") > len(report["flags"])
    assert "progressing" in page.text and "Release the reconciled decision" in page.text
