"""Shared and duplicate evidence across candidates in the service (service/duplicates.py): found
when submitted work is screened, shown to assessors (aliases, no names) and admins (both
candidates), never to candidates; admins approve team artifacts; erasure removes the index."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from service.models import AuditEntry, DuplicateMatchRow, EvidenceIndexRow

from .assessing import add_candidate, screen_for_real, submit
from .conftest import one_page_pdf

TEAM_PDF = one_page_pdf("Maple Grove PLC minutes, 14 October. The grade 4 team sorted 112 exit tickets from the "
                        "fractions unit into three piles and regrouped students for Thursday's reteach block.")
ALICE_TEXT = ("In October our grade 4 team at Maple Grove met every Tuesday to sort exit tickets from the fractions "
              "unit, and Ms. Ortega's small groups moved from 41 to 68 percent mastery by the November common "
              "assessment.\n\nI wrote about this with my coach Alice Example in mind.\n")
BOB_TEXT = ("Our grade 4 team at Maple Grove met each Tuesday in October to sort exit tickets from the fractions unit, "
            "and Ms. Ortega's small groups went from 41 to 68 percent mastery by the November common assessment.\n")


def _world(api):  # type: ignore[no-untyped-def]
    add_candidate(api, "alice", "Alice Example")
    add_candidate(api, "bob", "Bob Sample")
    api.add_user("marker", "assessor")
    api.add_user("boss", "admin")
    a, ja = submit(api, "alice", [("narrative", "alice narrative.txt", ALICE_TEXT.encode()),
                                  ("artifact", "alice-team-minutes.pdf", TEAM_PDF)])
    screen_for_real(api, ja)
    b, jb = submit(api, "bob", [("narrative", "bob narrative.txt", BOB_TEXT.encode()),
                                ("artifact", "bob-plc.pdf", TEAM_PDF)])
    screen_for_real(api, jb)
    return a, ja, b, jb


def test_duplicates_shown_to_assessors_by_alias_to_admins_in_full_never_to_candidates(api):
    a, ja, b, jb = _world(api)
    r = api.call("marker", "GET", f"/api/submissions/{b}/duplicates")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    kinds = {i["kind"]: i for i in items}
    assert set(kinds) == {"artifact", "passage"}
    art = kinds["artifact"]
    assert art["status"] == "possible_duplicate"
    assert (art["here"]["file"], art["other"]["file"], art["other"]["submission_id"]) == \
        ("artifact-1.pdf", "artifact-1.pdf", a)
    assert kinds["passage"]["here"]["file"] == "narrative-1.txt"
    assert "68 percent mastery" in kinds["passage"]["other"]["excerpt"]
    # Neither candidate's name, email or uploaded file names reach the assessor.
    for secret in ("Alice", "alice@", "Bob", "bob@", "alice-team-minutes", "bob-plc", "alice narrative"):
        assert secret.lower() not in r.text.lower(), secret
    assert r.json()["advisory"].startswith("Advisory")
    # The other side sees it too.
    other = api.call("marker", "GET", f"/api/submissions/{a}/duplicates").json()["items"]
    assert {i["other"]["submission_id"] for i in other} == {b}

    # Candidates never: not the endpoint, not in their report or submission.
    for who, sub, job in (("alice", a, ja), ("bob", b, jb)):
        assert api.call(who, "GET", f"/api/submissions/{sub}/duplicates").status_code == 403
        seen = api.call(who, "GET", f"/api/jobs/{job}/report").text + api.call(who, "GET", f"/api/submissions/{sub}").text
        other_sub = a if sub == b else b
        assert other_sub not in seen and "duplicate" not in seen.lower()
    assert api.call("alice", "GET", "/api/duplicates").status_code == 403

    # Admins: both submissions and both candidates, file names, no passage text.
    full = api.call("boss", "GET", f"/api/submissions/{b}/duplicates").json()["items"]
    art = next(i for i in full if i["kind"] == "artifact")
    assert art["here"]["candidate"]["email"] == "bob@example.org"
    assert art["other"]["candidate"]["display_name"] == "Alice Example"
    assert art["other"]["file_name"] == "alice-team-minutes.pdf"
    assert all(i["here"]["excerpt"] is None and i["other"]["excerpt"] is None for i in full)
    recent = api.call("boss", "GET", "/api/duplicates").json()
    assert {(x["submission"]["submission_id"], x["other"]["submission_id"]) for x in recent} == {(b, a)}

    # An admin approves the team artifact: audited, then shown as approved shared evidence.
    sha = art["sha256"]
    assert api.call("marker", "POST", "/api/shared-evidence", json={"sha256": sha}).status_code == 403
    assert api.call("boss", "POST", "/api/shared-evidence", json={"sha256": "nothex"}).status_code == 422
    r = api.call("boss", "POST", "/api/shared-evidence", json={"sha256": sha, "note": "PLC team minutes"})
    assert r.status_code == 201 and r.json()["note"] == "PLC team minutes"
    assert api.call("boss", "POST", "/api/shared-evidence", json={"sha256": sha}).status_code == 200
    statuses = {i["kind"]: i["status"] for i in api.call("marker", "GET", f"/api/submissions/{b}/duplicates").json()["items"]}
    assert statuses == {"artifact": "approved_shared_evidence", "passage": "possible_duplicate"}
    with api.state.sessions() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.target_id == sha)))
    assert actions == ["approve_shared_evidence"]
    assert api.call("boss", "DELETE", f"/api/shared-evidence/{sha}").status_code == 204
    assert api.call("boss", "DELETE", f"/api/shared-evidence/{sha}").status_code == 404
    statuses = {i["kind"]: i["status"] for i in api.call("marker", "GET", f"/api/submissions/{b}/duplicates").json()["items"]}
    assert statuses["artifact"] == "possible_duplicate"


def test_erasing_a_candidate_removes_their_index_and_matches(api):
    a, _, b, _ = _world(api)
    r = api.call("boss", "POST", f"/api/users/{api.ids['alice']}/erasure")
    assert r.status_code == 200, r.text
    with api.state.sessions() as s:
        assert s.get(EvidenceIndexRow, a) is None and s.get(EvidenceIndexRow, b) is not None
        assert s.scalar(select(func.count()).select_from(DuplicateMatchRow)) == 0
        texts = json.dumps([row.passages_json for row in s.scalars(select(EvidenceIndexRow))])
    assert "Ms. Ortega" in texts  # bob's own text stays in bob's row
    assert api.call("marker", "GET", f"/api/submissions/{b}/duplicates").json()["items"] == []
