"""Rubric management: admins upload and retire versions; drafts pin the version they were made
under and are screened against exactly that version."""

from __future__ import annotations

import json

from service.models import Job, ReportRow, RubricVersion
from service.worker import Worker

from .conftest import RUBRIC, rubric_yaml


def _post(api, text: str, **params):  # type: ignore[no-untyped-def]
    return api.call("admin", "POST", "/api/rubrics", params=params, content=text.encode(),
                    headers={"Content-Type": "application/yaml"})


def test_bundled_rubrics_are_offered_and_versions_listed(api):
    api.add_user("cand", "candidate")
    offered = api.call("cand", "GET", "/api/rubrics").json()
    assert RUBRIC in {r["id"] for r in offered} and len(offered) == 4
    versions = api.call("cand", "GET", f"/api/rubrics/{RUBRIC}/versions").json()
    assert [(v["version"], v["source"], v["retired"]) for v in versions] == [("2026.1", "bundled", False)]
    full = api.call("cand", "GET", f"/api/rubrics/{RUBRIC}/versions/2026.1").json()
    assert full["id"] == RUBRIC and full["content_hash"] == versions[0]["content_hash"]
    assert full["essential_outcomes"][0]["details"][0]["id"] == "1.1"
    assert api.call("cand", "GET", "/api/rubrics/nope/versions").json()["code"] == "not_found"
    assert api.call("cand", "GET", f"/api/rubrics/{RUBRIC}/versions/9.9").status_code == 404


def test_upload_validates_versions_and_never_changes_a_stored_one(api):
    api.add_user("admin", "admin")
    bad = rubric_yaml("2027.1").replace("required_level: demonstrated", "required_level: excellent")
    r = _post(api, bad)
    assert r.status_code == 422 and r.json()["code"] == "invalid_rubric"
    assert r.json()["errors"][0]["field"] == "required_level" and r.json()["errors"][0]["line"] > 1
    r = _post(api, "id: [unclosed")
    assert r.status_code == 422 and "not valid YAML" in r.json()["errors"][0]["msg"]
    r = _post(api, rubric_yaml("2027.1"), dry_run="true")
    assert r.status_code == 200 and r.json()["version"] == "2027.1"
    assert [v["version"] for v in api.call("admin", "GET", f"/api/rubrics/{RUBRIC}/versions").json()] == ["2026.1"]
    r = _post(api, rubric_yaml("2027.1", title="Professional Learning (revised)"))
    assert r.status_code == 201 and r.json()["source"] == "uploaded"
    assert _post(api, rubric_yaml("2027.1", title="Professional Learning (revised)")).status_code == 200
    r = _post(api, rubric_yaml("2027.1", title="Something else"))
    assert r.status_code == 409 and r.json()["code"] == "rubric_version_exists"
    r = _post(api, rubric_yaml("2026.1", title="Rewritten in place"))
    assert r.status_code == 409  # the bundled version cannot be replaced either
    r = _post(api, "x" * (api.state.settings.service.max_rubric_bytes + 1))
    assert r.status_code == 413 and r.json()["code"] == "rubric_too_large"
    r = _post(api, "\xff\xfe")
    assert r.status_code == 422
    offered = {o["id"]: o for o in api.call("admin", "GET", "/api/rubrics").json()}
    assert (offered[RUBRIC]["version"], offered[RUBRIC]["title"]) == ("2027.1", "Professional Learning (revised)")


def test_drafts_pin_their_version_and_are_screened_against_it(api):
    api.add_user("admin", "admin")
    api.add_user("cand", "candidate")
    old = api.draft("cand")
    assert _post(api, rubric_yaml("2027.1", title="Professional Learning (revised)")).status_code == 201
    new = api.draft("cand")
    pinned = {s["id"]: s["rubric_version"] for s in api.call("cand", "GET", "/api/submissions").json()}
    assert pinned == {old: "2026.1", new: "2027.1"}

    # Each is screened against its own version, loaded from the database.
    worker = Worker(api.state.sessions, api.state.storage, api.state.settings)
    for sub in (old, new):
        api.upload("cand", sub, "narrative", "n.txt", b"I led our professional learning team this year.")
        assert api.call("cand", "POST", f"/api/submissions/{sub}/submit").status_code == 202
    while worker.run_once() is not None:
        pass
    with api.state.sessions() as s:
        reports = {job.submission_id: json.loads(s.get(ReportRow, job.id).report_json)
                   for job in s.query(Job).filter(Job.purpose == "screening")}
        hashes = {row.version: row.content_hash for row in s.query(RubricVersion).filter_by(rubric_id=RUBRIC)}
    assert reports[old]["rubric"]["version"] == "2026.1" and reports[old]["rubric"]["content_hash"] == hashes["2026.1"]
    assert reports[new]["rubric"]["version"] == "2027.1" and reports[new]["rubric"]["title"].endswith("(revised)")

    # Retiring the newer version offers the older one again; pinned submissions keep theirs.
    assert api.call("admin", "POST", f"/api/rubrics/{RUBRIC}/versions/2027.1/retire").json()["retired"] is True
    assert {o["id"]: o["version"] for o in api.call("cand", "GET", "/api/rubrics").json()}[RUBRIC] == "2026.1"
    assert api.call("cand", "GET", f"/api/submissions/{new}").json()["rubric_version"] == "2027.1"
    assert api.call("cand", "POST", f"/api/submissions/{new}/resubmit").json()["rubric_version"] == "2026.1"
    assert api.call("admin", "POST", f"/api/rubrics/{RUBRIC}/versions/2027.1/restore").json()["retired"] is False


def test_rubric_versions_export_to_open_badges_and_case(api):
    from screening.exports.case import case_to_rubric, validate_case

    api.add_user("cand", "candidate")
    ob3 = api.call("cand", "GET", f"/api/rubrics/{RUBRIC}/versions/2026.1/export", params={"format": "ob3"}).json()
    assert "Achievement" in ob3["type"] and ob3["version"] == "2026.1"
    levels = {r["resultType"] for r in ob3["resultDescription"]}
    assert levels == {"RubricCriterionLevel"}
    case = api.call("cand", "GET", f"/api/rubrics/{RUBRIC}/versions/2026.1/export", params={"format": "case"}).json()
    validate_case(case)
    stored = api.call("cand", "GET", f"/api/rubrics/{RUBRIC}/versions/2026.1").json()
    assert case_to_rubric(case).content_hash == stored["content_hash"]  # the export round-trips exactly
    r = api.call("cand", "GET", f"/api/rubrics/{RUBRIC}/versions/2026.1/export", params={"format": "pdf"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"


def test_rubric_changes_are_audited(api):
    from sqlalchemy import select

    from service.models import AuditEntry

    api.add_user("admin", "admin")
    assert _post(api, rubric_yaml("2027.1")).status_code == 201
    assert _post(api, rubric_yaml("2027.1")).status_code == 200  # nothing changed: nothing recorded
    api.call("admin", "POST", f"/api/rubrics/{RUBRIC}/versions/2027.1/retire")
    api.call("admin", "POST", f"/api/rubrics/{RUBRIC}/versions/2027.1/retire")
    api.call("admin", "POST", f"/api/rubrics/{RUBRIC}/versions/2027.1/restore")
    with api.state.sessions() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [(e.action, e.target_id, e.actor_id) for e in rows] == [
        (action, f"{RUBRIC}@2027.1", api.ids["admin"])
        for action in ("add_rubric_version", "retire_rubric_version", "restore_rubric_version")]
