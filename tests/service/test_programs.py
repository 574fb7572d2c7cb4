"""Programs through the API: following one, progress from released human decisions only, the
enrolment rules (order, concurrency, attempts before coaching), stack credentials (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening.exports.ob3_validate import validate_credential
from screening.exports.verification import verify_credential

from ..conftest import REPO
from .assessing import current_rubric, finish_with, full_marking
from .conftest import make_api, service_settings

OB3_SCHEMA = REPO.parent / "shared" / "standards" / "ob3" / "achievementcredential.schema.json"
BASE = "https://mc-screening.example"
IL = ["mo-il-curriculum", "mo-il-instructional-practice", "mo-il-assessment", "mo-il-professional-learning"]

# A program over the shipped rubrics that exercises order and attempts through the API (the
# shipped programs with those rules have no rubrics yet): curriculum first, then assessment;
# two attempts before coaching.
ORDERED = """\
format: mc-program/1
id: test-ordered
title: Ordered test program
version: "1"
sources: ["tests"]
mcs:
  - {id: first-mc, title: Guaranteed and Viable Curriculum, rubric: mo-il-curriculum, source: tests}
  - {id: second-mc, title: Effective Assessment, rubric: mo-il-assessment, source: tests}
stacks:
  - {id: entry, kind: stack, title: Entry stack, mcs: [first-mc], source: tests}
  - {id: next, kind: pathway, title: Next pathway, mcs: [second-mc], requires: [entry], requires_source: tests,
     source: tests}
limits:
  attempts_before_coaching: {limit: 2, source: tests}
"""


@pytest.fixture
def papi(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    """The app with the shipped programs and the ordered test program."""
    extra = tmp_path / "programs"
    extra.mkdir()
    (extra / "test-ordered.yaml").write_text(ORDERED)
    settings = service_settings(tmp_path, database_url=database_url)
    settings = settings.model_copy(update={"program_dirs": [REPO / "programs", extra]})
    for api in make_api(settings):
        api.add_user("cand", "candidate")
        api.add_user("ann", "assessor")
        api.add_user("root", "admin")
        yield api


def _problem(r, status: int, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code, body
    return body  # type: ignore[no-any-return]


def _report(api, rubric_id: str) -> tuple[dict[str, Any], Any]:  # type: ignore[no-untyped-def]
    """A finished screening's report for ``rubric_id`` (every detail found): advice only."""
    rubric = current_rubric(api, rubric_id)
    return ({"rubric": {"id": rubric.id, "version": rubric.version},
             "details": [{"id": d.id, "status": "met"} for _, d in rubric.details()], "flags": []}, rubric)


def _submitted(api, rubric_id: str, draft: str | None = None) -> str:  # type: ignore[no-untyped-def]
    sub = draft or api.draft("cand", rubric_id)
    if draft is None:
        assert api.upload("cand", sub, "narrative", "n.txt", b"my narrative words").status_code == 201
    r = api.call("cand", "POST", f"/api/submissions/{sub}/submit")
    assert r.status_code == 202, r.text
    finish_with(api, r.json()["job"]["id"], _report(api, rubric_id)[0])
    return sub


def _decide(api, sub: str, rubric_id: str, earned: bool = True, release: bool = True) -> None:  # type: ignore[no-untyped-def]
    report, rubric = _report(api, rubric_id)
    level = None if earned else rubric.proficiency_levels[-1].id
    assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
    r = api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json=full_marking(report, rubric, level))
    assert r.status_code == 200, r.text
    if release:
        assert api.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200


def _progress(api, program: str = "mo-mlds") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = api.call("cand", "GET", f"/api/programs/{program}/progress")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _mc(progress: dict[str, Any], mc_id: str) -> dict[str, Any]:
    return next(m for m in progress["mcs"] if m["id"] == mc_id)


def _follow(api, program: str) -> None:  # type: ignore[no-untyped-def]
    assert api.call("cand", "PUT", f"/api/programs/{program}/following").status_code == 204


def test_the_programs_are_listed_with_their_rules_and_sources(papi):
    got = {p["id"]: p for p in papi.call("cand", "GET", "/api/programs").json()}
    assert {"mo-mlds", "co-tlmc", "ar-dese", "test-ordered"} <= set(got)
    mo = got["mo-mlds"]
    assert mo["following"] is False and mo["max_concurrent"]["limit"] == 2
    assert len(mo["mcs"]) == 15 and sum(1 for m in mo["mcs"] if m["rubric"]) == 4
    assert sum(1 for m in mo["mcs"] if not m["published"]) == 11
    career = next(s for s in mo["stacks"] if s["id"] == "career-certificate")
    assert career["needed"] == 15 and career["yields"][0]["kind"] == "recommendation"
    assert all(m["source"].startswith("seeds/") for m in mo["mcs"])
    # Staff see the programs too, without a "following" of their own.
    assert papi.call("ann", "GET", "/api/programs").json()[0]["following"] is None


def test_completion_counts_only_released_human_decisions(papi):
    _follow(papi, "mo-mlds")
    start = _progress(papi)
    assert start["following"] is True
    assert {_mc(start, m)["status"] for m in IL} == {"available"}
    assert _mc(start, "mo-mlds-mc-05")["status"] == "not_offered"
    assert _mc(start, "mo-mlds-mc-05")["reasons"][0]["code"] == "unpublished"

    # A screening that finds every detail is advice: it earns nothing.
    sub = _submitted(papi, IL[0])
    assert _mc(_progress(papi), IL[0])["status"] == "in_progress"
    # A marking recorded but not released does not count either.
    _decide(papi, sub, IL[0], release=False)
    assert _mc(_progress(papi), IL[0])["status"] == "in_progress"
    assert papi.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200
    after = _progress(papi)
    assert _mc(after, IL[0])["status"] == "earned"
    stack = next(s for s in after["stacks"] if s["id"] == "instructional-leadership")
    assert stack["earned"] == [IL[0]] and not stack["complete"] and stack["credential"] is None

    # A released decision below the required level does not earn it: the MC is open again.
    sub2 = _submitted(papi, IL[1])
    _decide(papi, sub2, IL[1], earned=False)
    assert _mc(_progress(papi), IL[1])["status"] == "available"


def test_the_concurrency_limit_refuses_a_third_draft_with_a_reason(papi):
    papi.draft("cand", IL[0])
    papi.draft("cand", IL[1])
    # Not following the program yet: its rules do not apply.
    papi.draft("cand", IL[2])
    _follow(papi, "mo-mlds")
    got = _progress(papi)
    assert got["in_progress"] == 3 and _mc(got, IL[3])["status"] == "blocked"
    assert _mc(got, IL[3])["reasons"][0]["code"] == "concurrency"
    body = _problem(papi.call("cand", "POST", "/api/submissions", json={"rubric_id": IL[3]}), 409, "program_rule")
    assert "Professional Learning" in body["detail"] and "2 at a time" in body["detail"]
    # Another draft of an MC already in progress adds nothing: it is allowed.
    assert papi.call("cand", "POST", "/api/submissions", json={"rubric_id": IL[0]}).status_code == 201
    # Unfollowing lifts the program's rules.
    assert papi.call("cand", "DELETE", "/api/programs/mo-mlds/following").status_code == 204
    assert papi.call("cand", "POST", "/api/submissions", json={"rubric_id": IL[3]}).status_code == 201


def test_order_a_pathway_opens_when_its_prerequisite_stack_is_complete(papi):
    _follow(papi, "test-ordered")
    got = _progress(papi, "test-ordered")
    assert _mc(got, "second-mc")["status"] == "blocked"
    assert _mc(got, "second-mc")["reasons"][0] == {"code": "prerequisite", "message": "Complete Entry stack first."}
    _problem(papi.call("cand", "POST", "/api/submissions", json={"rubric_id": "mo-il-assessment"}), 409, "program_rule")
    sub = _submitted(papi, "mo-il-curriculum")
    _decide(papi, sub, "mo-il-curriculum")
    got = _progress(papi, "test-ordered")
    assert next(s for s in got["stacks"] if s["id"] == "entry")["complete"]
    assert _mc(got, "second-mc")["status"] == "available"
    assert papi.call("cand", "POST", "/api/submissions", json={"rubric_id": "mo-il-assessment"}).status_code == 201


def test_attempts_reach_the_limit_then_coaching_is_required(papi):
    _follow(papi, "test-ordered")
    first = _submitted(papi, "mo-il-curriculum")
    _decide(papi, first, "mo-il-curriculum", earned=False)
    again = papi.call("cand", "POST", f"/api/submissions/{first}/resubmit").json()["id"]
    second = _submitted(papi, "mo-il-curriculum", draft=again)
    mc = _mc(_progress(papi, "test-ordered"), "first-mc")
    assert (mc["attempts"], mc["attempts_limit"], mc["coaching_required"]) == (2, 2, True)
    _decide(papi, second, "mo-il-curriculum", earned=False)
    mc = _mc(_progress(papi, "test-ordered"), "first-mc")
    assert mc["status"] == "blocked" and [r["code"] for r in mc["reasons"]] == ["coaching"]
    body = _problem(papi.call("cand", "POST", f"/api/submissions/{second}/resubmit"), 409, "program_rule")
    assert "coaching meeting" in body["detail"]
    _problem(papi.call("cand", "POST", "/api/submissions", json={"rubric_id": "mo-il-curriculum"}), 409,
             "program_rule")
    # An admin records the coaching meeting: attempts count anew.
    r = papi.call("root", "POST", "/api/programs/test-ordered/coaching",
                  json={"candidate_id": papi.ids["cand"], "mc_id": "first-mc"})
    assert r.status_code == 201, r.text
    mc = _mc(_progress(papi, "test-ordered"), "first-mc")
    assert (mc["attempts"], mc["attempts_counted"], mc["status"]) == (2, 0, "available")
    assert papi.call("cand", "POST", f"/api/submissions/{second}/resubmit").status_code == 201


def test_a_completed_stack_gives_a_signed_ob3_credential_naming_its_mcs(papi):
    _follow(papi, "mo-mlds")
    r = papi.call("cand", "GET", "/api/programs/mo-mlds/stacks/instructional-leadership/credential")
    _problem(r, 409, "stack_incomplete")
    for rubric_id in IL[:2]:
        _decide(papi, _submitted(papi, rubric_id), rubric_id)
    _problem(papi.call("cand", "GET", "/api/programs/mo-mlds/stacks/instructional-leadership/credential"), 409,
             "stack_incomplete")
    for rubric_id in IL[2:]:
        _decide(papi, _submitted(papi, rubric_id), rubric_id)
    got = _progress(papi)
    stack = next(s for s in got["stacks"] if s["id"] == "instructional-leadership")
    assert stack["complete"] and stack["credential"].endswith("/instructional-leadership/credential")
    assert not next(s for s in got["stacks"] if s["id"] == "career-certificate")["complete"]

    doc = papi.call("cand", "GET", stack["credential"]).json()
    validate_credential(doc, OB3_SCHEMA)
    achievement = doc["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "ext:MicroCredentialStack"
    for title in ("Guaranteed and Viable Curriculum", "Effective Instructional Practice", "Effective Assessment",
                  "Professional Learning"):
        assert title in achievement["criteria"]["narrative"]
    assert len(doc["evidence"]) == 4 and doc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert "cand@example.org" not in json.dumps(doc)

    def fetch(url: str) -> dict:  # type: ignore[type-arg]
        r = papi.client.get(url[len(BASE):])
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    verdict = verify_credential(doc, fetch=fetch)
    assert verdict.ok, verdict.failed()
    # Asked again: the same credential (one record, the same place in the revocation list).
    assert papi.call("cand", "GET", stack["credential"]).json() == doc
    # The admin's list of issued credentials names it as a stack credential.
    listed = [c for c in papi.call("root", "GET", "/api/credentials").json() if c["kind"] == "stack"]
    assert [c["stack"] for c in listed] == ["mo-mlds/instructional-leadership"]
    # A stack of a program's unpublished MCs is never complete; a list by purpose has no credential.
    _problem(papi.call("cand", "GET", "/api/programs/mo-mlds/stacks/career-certificate/credential"), 409,
             "stack_incomplete")
    _problem(papi.call("cand", "GET", "/api/programs/ar-dese/stacks/pedagogy/credential"), 409, "stack_incomplete")
    _problem(papi.call("cand", "GET", "/api/programs/mo-mlds/stacks/nope/credential"), 404, "not_found")


def test_unknown_programs_and_roles(papi):
    _problem(papi.call("cand", "GET", "/api/programs/nope/progress"), 404, "not_found")
    _problem(papi.call("cand", "PUT", "/api/programs/nope/following"), 404, "not_found")
    _problem(papi.call("ann", "GET", "/api/programs/mo-mlds/progress"), 403, "forbidden")
    r = papi.call("root", "POST", "/api/programs/mo-mlds/coaching",
                  json={"candidate_id": papi.ids["cand"], "mc_id": "mo-mlds-mc-05"})
    _problem(r, 422, "invalid_request")
