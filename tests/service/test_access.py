"""Every access decision as a matrix: each role (and no sign-in) × each endpoint, with records
owned by one candidate and probed by another. Another person's record answers 404, like a
missing one, so ids cannot be probed; an endpoint a role may never use answers 403."""

from __future__ import annotations

import json
import re

from service.models import Job, ReportRow, StoredFile

from .conftest import RUBRIC, api_routes, rubric_yaml

WHO = ("anon", "owner", "other", "assessor", "designer", "admin")
ROLES = {"owner": "candidate", "other": "candidate", "assessor": "assessor", "designer": "program_designer",
         "admin": "admin"}


def _expect(**kw: int) -> dict[str, int]:
    out = {"anon": 401}
    out.update(kw)
    assert set(out) == set(WHO), sorted(set(WHO) - set(out))
    return out


def _world(api):  # type: ignore[no-untyped-def]
    for name, role in ROLES.items():
        api.add_user(name, role)
    draft = api.draft("owner")
    fid = api.upload("owner", draft, "narrative", "n.txt", b"the owner's narrative words").json()["id"]
    self_check = api.call("owner", "POST", f"/api/submissions/{draft}/self-checks").json()["id"]
    done = api.draft("owner")
    api.upload("owner", done, "narrative", "n.txt", b"submitted narrative words")
    done_file = api.call("owner", "GET", f"/api/submissions/{done}/files").json()[0]["id"]
    screening = api.call("owner", "POST", f"/api/submissions/{done}/submit").json()["job"]["id"]
    version = api.call("owner", "GET", f"/api/submissions/{done}").json()["rubric_version"]
    with api.state.sessions() as s:  # a finished screening, so report access can be decided
        job = s.get(Job, screening)
        job.state = "done"
        report = {"rubric": {"id": RUBRIC, "version": version}, "flags": [{"code": "part_missing"}]}
        s.add(ReportRow(job_id=screening, report_json=json.dumps(report)))
        s.commit()
    return {"draft": draft, "file": fid, "self_check": self_check, "submitted": done, "screening": screening,
            "done_file": done_file, "rubric_version": version, "other_user": api.ids["other"],
            "erasable": _erasable(api)}


def _erasable(api) -> str:  # type: ignore[no-untyped-def]
    """A candidate of their own for the erasure row (the owner and the other one sign in later)."""
    from service.auth import create_user

    with api.state.sessions() as s:
        user = create_user(s, "leaver@example.org", "long enough pw", "candidate")
        s.commit()
        return user.id


def _table(ids: dict[str, str]) -> list[tuple[str, str, dict, dict[str, int]]]:
    d, s, f, sc, j = ids["draft"], ids["submitted"], ids["file"], ids["self_check"], ids["screening"]
    v = ids["rubric_version"]
    up = {"params": {"part": "artifact", "filename": "x.txt"}, "content": b"some artifact text"}
    # Rows that change state list the owner (or admin) last: everyone else must fail before it succeeds.
    return [
        ("GET", "/api/auth/me", {}, _expect(owner=200, other=200, assessor=200, designer=200, admin=200)),
        ("GET", "/api/rubrics", {}, _expect(owner=200, other=200, assessor=200, designer=200, admin=200)),
        ("GET", f"/api/rubrics/{RUBRIC}/versions", {},
         _expect(owner=200, other=200, assessor=200, designer=200, admin=200)),
        ("GET", f"/api/rubrics/{RUBRIC}/versions/{v}", {},
         _expect(owner=200, other=200, assessor=200, designer=200, admin=200)),
        ("GET", f"/api/rubrics/{RUBRIC}/versions/{v}/export", {"params": {"format": "ob3"}},
         _expect(owner=200, other=200, assessor=200, designer=200, admin=200)),
        ("POST", "/api/rubrics", {"content": rubric_yaml(version="2099.1").encode()},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=201)),
        ("POST", f"/api/rubrics/{RUBRIC}/versions/2099.1/retire", {},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        ("POST", f"/api/rubrics/{RUBRIC}/versions/2099.1/restore", {},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        ("GET", "/api/users", {}, _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        ("POST", "/api/users", {"json": {"email": "{who}-new@example.org", "password": "long enough pw",
                                         "role": "assessor"}},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=201)),
        ("PATCH", f"/api/users/{ids['other_user']}", {"json": {"role": "candidate"}},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        ("POST", f"/api/users/{ids['erasable']}/erasure", {},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        # Signing keys and issued credentials: admins only (the issuer's profile and list are public, not /api).
        ("GET", "/api/issuer/keys", {}, _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        ("POST", "/api/issuer/keys", {}, _expect(owner=403, other=403, assessor=403, designer=403, admin=201)),
        ("POST", "/api/issuer/keys/nope/revoke", {},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=404)),
        ("GET", "/api/credentials", {}, _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        ("POST", "/api/credentials/nope/revoke", {"json": {"reason": "x"}},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=404)),
        # Programs (issue 19): anyone signed in reads them; progress, following and stack credentials
        # are the candidate's own; an admin records a coaching meeting.
        ("GET", "/api/programs", {}, _expect(owner=200, other=200, assessor=200, designer=200, admin=200)),
        ("GET", "/api/programs/mo-mlds/progress", {},
         _expect(owner=200, other=200, assessor=403, designer=403, admin=403)),
        ("PUT", "/api/programs/mo-mlds/following", {},
         _expect(owner=204, other=204, assessor=403, designer=403, admin=403)),
        ("DELETE", "/api/programs/mo-mlds/following", {},
         _expect(owner=204, other=204, assessor=403, designer=403, admin=403)),
        ("GET", "/api/programs/mo-mlds/stacks/instructional-leadership/credential", {},
         _expect(owner=409, other=409, assessor=403, designer=403, admin=403)),
        ("GET", "/api/programs/mo-mlds/figures", {},
         _expect(owner=403, other=403, assessor=403, designer=200, admin=200)),
        ("POST", "/api/programs/mo-mlds/coaching", {"json": {"candidate_id": ids["other_user"],
                                                            "mc_id": "mo-il-professional-learning"}},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=201)),
        ("POST", "/api/submissions", {"json": {"rubric_id": RUBRIC}},
         _expect(owner=201, other=201, assessor=403, designer=403, admin=403)),
        ("GET", "/api/submissions", {}, _expect(owner=200, other=200, assessor=200, designer=403, admin=200)),
        ("GET", f"/api/submissions/{d}", {}, _expect(owner=200, other=404, assessor=404, designer=403, admin=200)),
        ("GET", f"/api/submissions/{s}", {}, _expect(owner=200, other=404, assessor=200, designer=403, admin=200)),
        ("GET", f"/api/submissions/{d}/files", {},
         _expect(owner=200, other=404, assessor=404, designer=403, admin=403)),
        ("GET", f"/api/submissions/{s}/files", {},
         _expect(owner=200, other=404, assessor=200, designer=403, admin=403)),
        ("GET", f"/api/submissions/{d}/files/{f}/content", {},
         _expect(owner=200, other=404, assessor=404, designer=403, admin=403)),
        ("POST", f"/api/submissions/{d}/files", up,
         _expect(other=404, assessor=403, designer=403, admin=403, owner=201)),
        ("POST", f"/api/submissions/{s}/files", up,
         _expect(other=404, assessor=403, designer=403, admin=403, owner=409)),
        ("DELETE", f"/api/submissions/{d}/files/{f}", {},
         _expect(other=404, assessor=403, designer=403, admin=403, owner=204)),
        ("POST", f"/api/submissions/{d}/self-checks", {},
         _expect(other=404, assessor=403, designer=403, admin=403, owner=202)),
        ("GET", f"/api/submissions/{d}/jobs", {}, _expect(owner=200, other=404, assessor=404, designer=403, admin=200)),
        ("GET", f"/api/submissions/{s}/jobs", {}, _expect(owner=200, other=404, assessor=200, designer=403, admin=200)),
        ("GET", f"/api/jobs/{sc}", {}, _expect(owner=200, other=404, assessor=404, designer=403, admin=404)),
        ("GET", f"/api/jobs/{j}", {}, _expect(owner=200, other=404, assessor=200, designer=403, admin=200)),
        ("GET", f"/api/jobs/{sc}/report", {}, _expect(owner=409, other=404, assessor=404, designer=403, admin=403)),
        ("GET", f"/api/jobs/{j}/report", {}, _expect(owner=200, other=404, assessor=200, designer=403, admin=403)),
        ("GET", f"/api/submissions/{s}/files/{ids['done_file']}/content", {},
         _expect(owner=200, other=404, assessor=200, designer=403, admin=403)),
        # The assessor workflow, in the order one assessor walks it (admins reconcile only).
        ("GET", "/api/queue", {}, _expect(owner=403, other=403, assessor=200, designer=403, admin=200)),
        ("PUT", f"/api/queue/{s}/assignment", {"json": {"assessor_id": None}},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        ("POST", f"/api/queue/{s}/claim", {}, _expect(owner=403, other=403, designer=403, admin=409, assessor=200)),
        ("GET", f"/api/assessments/{s}", {}, _expect(owner=403, other=403, designer=403, admin=409, assessor=200)),
        ("GET", f"/api/assessments/{d}", {}, _expect(owner=403, other=403, designer=403, admin=404, assessor=404)),
        ("PUT", f"/api/assessments/{s}/decision", {"json": {"flags": {"f1": {"decision": "confirmed"}}}},
         _expect(owner=403, other=403, designer=403, admin=409, assessor=200)),
        ("GET", f"/api/assessments/{s}/decisions", {},
         _expect(owner=403, other=403, designer=403, admin=409, assessor=200)),
        ("POST", f"/api/assessments/{s}/release", {},
         _expect(owner=403, other=403, designer=403, admin=409, assessor=409)),
        ("GET", f"/api/assessments/{s}/credential", {},
         _expect(owner=409, other=404, assessor=403, designer=403, admin=409)),
        ("GET", f"/api/submissions/{s}/outcome", {},
         _expect(owner=409, other=404, assessor=403, designer=403, admin=403)),
        ("DELETE", f"/api/queue/{s}/claim", {}, _expect(owner=403, other=403, designer=403, assessor=204, admin=409)),
        ("GET", "/api/exports/pilot", {"params": {"rubric_id": RUBRIC}},
         _expect(owner=403, other=403, assessor=403, designer=200, admin=200)),
        ("GET", "/api/stats", {}, _expect(owner=403, other=403, assessor=403, designer=200, admin=200)),
        ("GET", "/api/exports/screenings", {}, _expect(owner=403, other=403, assessor=403, designer=200, admin=200)),
        ("POST", f"/api/submissions/{d}/submit", {},
         _expect(other=404, assessor=403, designer=403, admin=403, owner=202)),
        ("POST", f"/api/submissions/{s}/resubmit", {},
         _expect(other=404, assessor=403, designer=403, admin=403, owner=201)),
        # Shared and duplicate evidence (issue 19): assessors and admins read it, never candidates; admins approve.
        ("GET", f"/api/submissions/{s}/duplicates", {},
         _expect(owner=403, other=403, assessor=200, designer=403, admin=200)),
        ("GET", "/api/duplicates", {}, _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        ("GET", "/api/shared-evidence", {}, _expect(owner=403, other=403, assessor=403, designer=403, admin=200)),
        ("POST", "/api/shared-evidence", {"json": {"sha256": "a" * 64}},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=201)),
        ("DELETE", "/api/shared-evidence/" + "a" * 64, {},
         _expect(owner=403, other=403, assessor=403, designer=403, admin=204)),
        ("DELETE", "/api/auth/token", {}, _expect(owner=204, other=204, assessor=204, designer=204, admin=204)),
    ]


def test_access_matrix_covers_every_role_and_endpoint(api):
    ids = _world(api)
    table = _table(ids)
    wrong = []
    for method, path, kw, expected in table:
        for who, status in expected.items():
            args = json.loads(json.dumps({k: v for k, v in kw.items() if k != "content"}).replace("{who}", who))
            if "content" in kw:
                args["content"] = kw["content"]
            if method == "DELETE" and path == "/api/auth/token" and who != "anon":
                api.tokens[who] = api.sign_in(who)  # sign out a token of its own, last of all
            r = api.call(None if who == "anon" else who, method, path, **args)
            if r.status_code != status:
                wrong.append(f"{who} {method} {path}: {r.status_code}, expected {status}: {r.text[:120]}")
            elif status >= 400:
                assert r.headers["content-type"] == "application/problem+json"
    assert not wrong, "\n".join(wrong)

    # Every API route of the app appears in the table (sign-in is the one public endpoint).
    templated = {(m, p) for m, p, _, _ in table}
    covered = set()
    for method, path in api_routes():
        if (method, path) == ("POST", "/api/auth/token"):
            continue
        pattern = re.sub(r"\{[a-z_0-9]+\}", "X", path)
        hit = any(m == method and _same_shape(p, pattern) for m, p in templated)
        assert hit, f"{method} {path} is not in the access matrix"
        covered.add((method, path))
    assert len(covered) == len(set(api_routes())) - 1 >= 27


def _same_shape(concrete: str, pattern: str) -> bool:
    a, b = concrete.split("/"), pattern.split("/")
    return len(a) == len(b) and all(y == "X" or x == y for x, y in zip(a, b))


def test_assessors_see_submissions_anonymised(api):
    ids = _world(api)
    mine = api.call("owner", "GET", f"/api/submissions/{ids['submitted']}").json()
    theirs = api.call("assessor", "GET", f"/api/submissions/{ids['submitted']}").json()
    assert mine["candidate_id"] == api.ids["owner"]
    assert theirs["candidate_id"] is None
    listed = api.call("assessor", "GET", "/api/submissions").json()
    assert [s["id"] for s in listed] == [ids["submitted"]]  # drafts stay invisible
    assert all(s["candidate_id"] is None for s in listed)
    stats = api.call("designer", "GET", "/api/stats").json()
    assert stats["submissions"][RUBRIC] == {"draft": 1, "submitted": 1}
    assert stats["flags"] == {"part_missing": 1}
    with api.state.sessions() as s:
        assert s.get(StoredFile, ids["file"]) is not None
