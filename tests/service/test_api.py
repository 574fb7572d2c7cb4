"""The candidate's path through the API and every kind of bad input, on SQLite."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from service.models import Job, StoredFile, Submission, Token, utcnow

from .conftest import RUBRIC, api_routes, tiny_submission


def _problem(r, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == code and body["status"] == status and body["detail"]
    return body


def test_candidate_path_draft_upload_selfcheck_submit_resubmit(api):
    api.add_user("cand", "candidate")
    sub = api.draft("cand")
    assert api.call("cand", "GET", f"/api/submissions/{sub}").json()["status"] == "draft"

    uploaded = {}
    for part, name, data in tiny_submission():
        r = api.upload("cand", sub, part, name, data)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["part"] == part and body["name"] == name and body["size_bytes"] == len(data)
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        uploaded[name] = body
    assert uploaded["growth plan.pdf"]["kind"] == "pdf"
    assert uploaded["reflection.md"]["kind"] == "markdown"

    # Stored under random names, never the candidate's, with the bytes intact.
    with api.state.sessions() as s:
        rows = s.scalars(select(StoredFile).where(StoredFile.submission_id == sub)).all()
    for row in rows:
        assert row.original_name not in row.storage_key
        with api.state.storage.local_path(row.storage_key) as path:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256

    listed = api.call("cand", "GET", f"/api/submissions/{sub}/files").json()
    assert sorted(f["name"] for f in listed) == sorted(uploaded)

    # Delete and re-add one file while a draft.
    fid = uploaded["reflection.md"]["id"]
    assert api.call("cand", "DELETE", f"/api/submissions/{sub}/files/{fid}").status_code == 204
    assert len(api.call("cand", "GET", f"/api/submissions/{sub}/files").json()) == 2
    _, name, data = tiny_submission()[1]
    assert api.upload("cand", sub, "reflection", name, data).status_code == 201

    # Self-checks as often as wanted: each a queued job, private to the candidate.
    checks = [api.call("cand", "POST", f"/api/submissions/{sub}/self-checks") for _ in range(2)]
    assert [c.status_code for c in checks] == [202, 202]
    assert {c.json()["purpose"] for c in checks} == {"self_check"}
    assert checks[0].json()["id"] != checks[1].json()["id"]

    r = api.call("cand", "POST", f"/api/submissions/{sub}/submit")
    assert r.status_code == 202, r.text
    assert r.json()["submission"]["status"] == "submitted" and r.json()["job"]["purpose"] == "screening"
    assert r.json()["job"]["state"] == "queued"
    _problem(api.call("cand", "POST", f"/api/submissions/{sub}/submit"), 409, "already_submitted")
    # Submitted work no longer changes.
    _problem(api.upload("cand", sub, "artifact", "late.txt", b"late addition"), 409, "not_a_draft")
    _problem(api.call("cand", "DELETE", f"/api/submissions/{sub}/files/{fid}"), 409, "not_a_draft")
    _problem(api.call("cand", "POST", f"/api/submissions/{sub}/self-checks"), 409, "not_a_draft")

    r = api.call("cand", "POST", f"/api/submissions/{sub}/resubmit")
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert v2["version"] == 2 and v2["previous_id"] == sub and v2["status"] == "draft"
    v2_files = api.call("cand", "GET", f"/api/submissions/{v2['id']}/files").json()
    v1_files = api.call("cand", "GET", f"/api/submissions/{sub}/files").json()
    assert sorted((f["name"], f["sha256"]) for f in v2_files) == sorted((f["name"], f["sha256"]) for f in v1_files)
    # Changing version 2 leaves version 1 as submitted.
    gone = v2_files[0]["id"]
    assert api.call("cand", "DELETE", f"/api/submissions/{v2['id']}/files/{gone}").status_code == 204
    assert len(api.call("cand", "GET", f"/api/submissions/{sub}/files").json()) == 3
    _problem(api.call("cand", "POST", f"/api/submissions/{sub}/resubmit"), 409, "not_resubmittable")
    _problem(api.call("cand", "POST", f"/api/submissions/{v2['id']}/resubmit"), 409, "not_resubmittable")
    assert api.call("cand", "POST", f"/api/submissions/{v2['id']}/submit").status_code == 202
    versions = [s["version"] for s in api.call("cand", "GET", "/api/submissions").json()]
    assert sorted(versions) == [1, 2]


def test_upload_limits_and_types(api):
    api.add_user("cand", "candidate")
    sub = api.draft("cand")
    limit = api.state.settings.service.max_upload_bytes
    _problem(api.upload("cand", sub, "narrative", "big.txt", b"a" * (limit + 1)), 413, "upload_too_large")

    def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(limit // 1024 + 2):
            yield b"b" * 1024

    r = api.call("cand", "POST", f"/api/submissions/{sub}/files", params={"part": "narrative", "filename": "s.txt"},
                 content=chunks())
    _problem(r, 413, "upload_too_large")
    _problem(api.upload("cand", sub, "narrative", "x.zip", b"PK\x05\x06" + b"\0" * 18), 415, "unsupported_file_type")
    _problem(api.upload("cand", sub, "self_analysis", "photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64), 415,
             "unsupported_file_type")
    # A program named like a PDF is refused by what it is, never stored as text.
    import sys

    body = _problem(api.upload("cand", sub, "artifact", "plan.pdf", Path(sys.executable).read_bytes()[:65536]), 415,
                    "unsupported_file_type")
    assert "executable program" in body["detail"]
    # The name says PDF, the content is text: the content decides.
    r = api.upload("cand", sub, "narrative", "fake.pdf", b"plain words, not a PDF")
    assert r.status_code == 201 and r.json()["kind"] == "text"
    _problem(api.upload("cand", sub, "narrative", "empty.txt", b""), 422, "empty_file")
    _problem(api.upload("cand", sub, "narrative", "fake.pdf", b"again"), 409, "duplicate_file_name")
    # One code for every over-long name, however long (255 and beyond were once invalid_request).
    for bad in ("../../etc/passwd", "a/b.txt", "..\\win.txt", "..", "tab\there.txt", "x" * 201, "y" * 300):
        _problem(api.upload("cand", sub, "narrative", bad, b"text"), 422, "unsafe_file_name")
    _problem(api.upload("cand", sub, "appendix", "a.txt", b"text"), 422, "invalid_request")
    for i in range(4):
        assert api.upload("cand", sub, "artifact", f"a{i}.txt", b"text").status_code == 201
    _problem(api.upload("cand", sub, "artifact", "one-too-many.txt", b"text"), 409, "too_many_files")
    # Nothing half-written: exactly the accepted files are on disk and in the database.
    with api.state.sessions() as s:
        keys = set(s.scalars(select(StoredFile.storage_key)))
    on_disk = {p.name for p in api.state.storage.root.rglob("*") if p.is_file()}
    assert on_disk == keys and len(keys) == 5


def test_bad_requests_have_codes(api):
    api.add_user("cand", "candidate")
    r = api.call("cand", "POST", "/api/submissions", content=b"{not json",
                 headers={"Content-Type": "application/json"})
    _problem(r, 400, "malformed_json")
    _problem(api.call("cand", "POST", "/api/submissions", json={"rubric_id": "no-such-mc"}), 422, "unknown_rubric")
    # A rubric id that names a file on the server is not a rubric id.
    _problem(api.call("cand", "POST", "/api/submissions", json={"rubric_id": "/etc/x.yaml"}), 422, "unknown_rubric")
    _problem(api.call("cand", "POST", "/api/submissions", json={"rubric_id": RUBRIC, "extra": 1}), 422,
             "invalid_request")
    _problem(api.call("cand", "GET", "/api/submissions/nope"), 404, "not_found")
    _problem(api.call("cand", "GET", "/api/jobs/nope"), 404, "not_found")
    _problem(api.call("cand", "GET", "/api/no-such-endpoint"), 404, "not_found")
    _problem(api.call("cand", "PUT", "/api/submissions"), 405, "method_not_allowed")
    # Allow names every method the path has, across the routes serving it.
    assert api.call("cand", "PUT", "/api/submissions").headers["allow"] == "GET, HEAD, POST"
    assert api.call("cand", "PATCH", "/api/submissions/x/files/y").headers["allow"] == "DELETE"
    empty = api.draft("cand")
    _problem(api.call("cand", "POST", f"/api/submissions/{empty}/submit"), 409, "no_files")
    _problem(api.call("cand", "POST", f"/api/submissions/{empty}/self-checks"), 409, "no_files")


def test_tokens_expire_and_sign_out(api):
    api.add_user("cand", "candidate")
    _problem(api.call(None, "GET", "/api/auth/me"), 401, "unauthenticated")
    _problem(api.client.get("/api/auth/me", headers={"Authorization": "Bearer made-up"}), 401, "invalid_token")
    r = api.client.post("/api/auth/token", json={"email": "cand@example.org", "password": "wrong password"})
    _problem(r, 401, "invalid_credentials")
    r = api.client.post("/api/auth/token", json={"email": "nobody@example.org", "password": "wrong password"})
    _problem(r, 401, "invalid_credentials")
    assert api.call("cand", "GET", "/api/auth/me").json()["role"] == "candidate"
    with api.state.sessions() as s:
        s.execute(update(Token).values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    _problem(api.call("cand", "GET", "/api/auth/me"), 401, "token_expired")
    api.tokens["cand"] = api.sign_in("cand")
    assert api.call("cand", "DELETE", "/api/auth/token").status_code == 204
    _problem(api.call("cand", "GET", "/api/auth/me"), 401, "invalid_token")


def test_tokens_are_stored_hashed_and_passwords_with_argon2(api):
    api.add_user("cand", "candidate")
    with api.state.sessions() as s:
        stored = s.scalars(select(Token.token_hash)).all()
        from service.models import User

        user = s.scalars(select(User)).one()
    assert api.tokens["cand"] not in stored
    assert user.password_hash.startswith("$argon2id$")


def test_double_submit_changes_once(api):
    """The conditional update: a second submit after the first committed creates no second job."""
    api.add_user("cand", "candidate")
    sub = api.draft("cand")
    assert api.upload("cand", sub, "narrative", "n.txt", b"some narrative words here").status_code == 201
    codes = [api.call("cand", "POST", f"/api/submissions/{sub}/submit").status_code for _ in range(3)]
    assert codes == [202, 409, 409]
    with api.state.sessions() as s:
        assert s.scalars(select(Job).where(Job.submission_id == sub, Job.purpose == "screening")).all().__len__() == 1
        assert s.get(Submission, sub).status == "submitted"


def test_an_upload_racing_a_submit_is_refused_and_leaves_nothing(api, monkeypatch):
    """The submission is submitted while a file streams in: the upload ends 409, nothing kept."""
    import service.drafts as routes

    api.add_user("cand", "candidate")
    sub = api.draft("cand")
    assert api.upload("cand", sub, "narrative", "n.txt", b"first file").status_code == 201
    real_check_name = routes.check_name

    def submit_meanwhile(name: str) -> str:  # runs after the draft check, before the file is kept
        with api.state.sessions() as s:
            s.execute(update(Submission).where(Submission.id == sub).values(status="submitted"))
            s.commit()
        return real_check_name(name)

    monkeypatch.setattr(routes, "check_name", submit_meanwhile)
    _problem(api.upload("cand", sub, "artifact", "late.txt", b"late words"), 409, "not_a_draft")
    with api.state.sessions() as s:
        keys = set(s.scalars(select(StoredFile.storage_key)))
    assert len(keys) == 1
    assert {p.name for p in api.state.storage.root.rglob("*") if p.is_file()} == keys


def test_openapi_documents_every_route(api):
    spec = api.client.get("/api/openapi.json").json()
    assert spec["info"]["title"] == "MC screening service"
    paths = spec["paths"]
    assert "/api/submissions/{submission_id}/files" in paths
    upload = paths["/api/submissions/{submission_id}/files"]["post"]
    assert "application/octet-stream" in upload["requestBody"]["content"]
    assert "413" in upload["responses"] and "415" in upload["responses"]
    routes = api_routes()
    assert len(routes) >= 19
    for method, path in routes:
        assert method.lower() in paths[path], (method, path)


def test_uploads_racing_for_the_last_place_keep_only_one(api, monkeypatch):
    """Two uploads pass the first room check together (one place left); the second to finish is
    refused under the draft's lock and its stored copy removed."""
    import service.drafts as routes

    api.state.settings.service.max_files_per_submission = 2
    api.add_user("cand", "candidate")
    sub = api.draft("cand")
    assert api.upload("cand", sub, "narrative", "n.txt", b"first file").status_code == 201
    real_check_room = routes._check_room
    raced: list[int] = []

    def another_upload_after_the_first_check(*args):  # type: ignore[no-untyped-def]
        real_check_room(*args)
        if not raced:
            raced.append(0)  # the racing upload itself passes straight through
            raced[0] = api.upload("cand", sub, "artifact", "other.txt", b"the racing file").status_code

    monkeypatch.setattr(routes, "_check_room", another_upload_after_the_first_check)
    _problem(api.upload("cand", sub, "artifact", "late.txt", b"late words"), 409, "too_many_files")
    assert raced == [201]
    with api.state.sessions() as s:
        names = set(s.scalars(select(StoredFile.original_name)))
        keys = set(s.scalars(select(StoredFile.storage_key)))
    assert names == {"n.txt", "other.txt"}
    assert {p.name for p in api.state.storage.root.rglob("*") if p.is_file()} == keys
