"""Revoking an MC credential that completed a stack revokes the stack credential built on it
(revocation list, audit, reason), and the candidate's progress no longer counts the stack as
complete (issue 19)."""

from __future__ import annotations

import json

from sqlalchemy import select

from service.models import AuditEntry

from .test_programs import BASE, IL, _decide, _follow, _problem, _progress, _submitted, papi  # noqa: F401

STACK = "/api/programs/mo-mlds/stacks/instructional-leadership/credential"


def _verify_offline(tmp_path, capsys, name: str, doc: dict, issuer: str, status: str) -> tuple[int, str]:  # type: ignore[type-arg]
    """``screening verify-credential --offline`` with local copies of the issuer's documents."""
    from screening.cli import main

    files = {}
    for key, text in (("credential", json.dumps(doc)), ("issuer", issuer), ("status", status)):
        files[key] = tmp_path / f"{name}-{key}.json"
        files[key].write_text(text)
    code = main(["verify-credential", str(files["credential"]), "--offline",
                 "--document", f"{BASE}/issuer={files['issuer']}", "--document", f"{BASE}/status/1={files['status']}"])
    return code, capsys.readouterr().out


def test_revoking_an_mc_credential_revokes_the_stack_built_on_it(papi, tmp_path, capsys):
    _follow(papi, "mo-mlds")
    subs = {}
    for rubric_id in IL:
        subs[rubric_id] = _submitted(papi, rubric_id)
        _decide(papi, subs[rubric_id], rubric_id)
    mc_doc = papi.call("cand", "GET", f"/api/assessments/{subs[IL[0]]}/credential").json()
    stack_doc = papi.call("cand", "GET", STACK).json()
    assert stack_doc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    issuer = papi.client.get("/issuer").text
    code, out = _verify_offline(tmp_path, capsys, "before", stack_doc, issuer, papi.client.get("/status/1").text)
    assert code == 0 and "ok   revocation: not revoked" in out, out

    listed = {c["kind"]: c for c in papi.call("root", "GET", "/api/credentials").json()}
    mc_id, stack_id = listed["mc"]["decision_id"], listed["stack"]["decision_id"]
    r = papi.call("root", "POST", f"/api/credentials/{mc_id}/revoke", json={"reason": "copied evidence"})
    assert r.status_code == 200, r.text

    # The stack credential is revoked too, with its reason stated, and audited.
    after = {c["decision_id"]: c for c in papi.call("root", "GET", "/api/credentials").json()}
    assert after[mc_id]["revoked_at"] and after[stack_id]["revoked_at"]
    assert mc_id in after[stack_id]["reason"] and "copied evidence" in after[stack_id]["reason"]
    with papi.state.sessions() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "revoke_credential")
                         .order_by(AuditEntry.seq)).all()
    assert [(r.target_type, r.target_id) for r in rows] == [("decision", mc_id), ("stack_credential", stack_id)]
    assert json.loads(rows[1].after_json)["because_of"] == mc_id

    # The candidate's progress: the MC no longer counts, so the stack is not complete.
    got = _progress(papi)
    stack = next(s for s in got["stacks"] if s["id"] == "instructional-leadership")
    assert not stack["complete"] and stack["credential"] is None and IL[0] not in stack["earned"]
    assert next(m for m in got["mcs"] if m["id"] == IL[0])["status"] != "earned"
    _problem(papi.call("cand", "GET", STACK), 409, "stack_incomplete")

    # A verifier with the published revocation list (offline, from local copies) refuses both.
    status = papi.client.get("/status/1").text
    code, out = _verify_offline(tmp_path, capsys, "after", stack_doc, issuer, status)
    assert code == 1 and "FAIL revocation" in out, out
    code, out = _verify_offline(tmp_path, capsys, "mc", mc_doc, issuer, status)
    assert code == 1 and "FAIL revocation" in out, out

    # Revoking the MC credential again changes nothing more.
    assert papi.call("root", "POST", f"/api/credentials/{mc_id}/revoke", json={}).status_code == 200
    with papi.state.sessions() as s:
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "revoke_credential")).all()) == 2


def test_a_stack_never_fetched_is_incomplete_after_the_revocation(papi):
    _follow(papi, "mo-mlds")
    subs = {}
    for rubric_id in IL:
        subs[rubric_id] = _submitted(papi, rubric_id)
        _decide(papi, subs[rubric_id], rubric_id)
    papi.call("cand", "GET", f"/api/assessments/{subs[IL[1]]}/credential")
    [mc] = papi.call("root", "GET", "/api/credentials").json()
    assert papi.call("root", "POST", f"/api/credentials/{mc['decision_id']}/revoke", json={}).status_code == 200
    stack = next(s for s in _progress(papi)["stacks"] if s["id"] == "instructional-leadership")
    assert not stack["complete"] and stack["earned"] == [IL[0], IL[2], IL[3]]
    _problem(papi.call("cand", "GET", STACK), 409, "stack_incomplete")
