"""Erasure on request (service/erasure.py): a candidate's uploads carry planted strings; after a
real screening, a released decision and the erasure, no table (every column), no file under the
data folder and no file under the cache folder holds any of them, nor the candidate's email or
name, the assessor's comment or the files' checksums (in the audit log too, whose chain still
verifies). The de-identified decision and the audit row of the erasure remain."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from service import audit
from service.models import Assessment, AuditEntry, Decision, Job, StoredFile, Submission, User

from .assessing import add_candidate, current_rubric, full_marking, screen_for_real, submit
from .conftest import NARRATIVE, PASSWORD, one_page_pdf

pytestmark = pytest.mark.models

NAME = "Quillon Marchbanks"
PLANTED = {
    "narrative": "zqxnarrativeplant",
    "pdf": "zqxpdfplant",
    "docx": "zqxdocxplant",
    "draft": "zqxdraftplant",
    "file name": "zqxfilenameplant",
}
COMMENT = "zqxassessorcomment"


def _docx(text: str) -> bytes:
    import docx

    doc = docx.Document()
    doc.core_properties.author = NAME
    for _ in range(3):
        doc.add_paragraph(f"Looking back, the coaching cycle with {text} changed how I plan my lessons. Student "
                          "scores rose, and I learned that feedback from peers helps me improve my teaching.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _uploads() -> list[tuple[str, str, bytes]]:
    narrative = NARRATIVE.decode() + f" The project was called {PLANTED['narrative']} by my team."
    return [
        ("narrative", f"{PLANTED['file name']}.txt", narrative.encode()),
        ("reflection", "reflection.docx", _docx(PLANTED["docx"])),
        ("artifact", "plan.pdf", one_page_pdf(f"Professional growth plan {PLANTED['pdf']}. Goal: use formative "
                                              "assessment weekly. Evidence: exit tickets, coaching notes.")),
    ]


def _table_hits(api, needles: list[str], skip: tuple[str, ...] = ()) -> list[str]:  # type: ignore[no-untyped-def]
    """Every (table.column: needle) where a needle occurs, in every table of the database."""
    meta = MetaData()
    meta.reflect(api.state.engine)
    hits = []
    with api.state.engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name in skip:
                continue
            for row in conn.execute(table.select()):
                for column, value in zip(table.columns, row):
                    s = value.decode("utf-8", "replace") if isinstance(value, (bytes, memoryview)) else str(value)
                    hits += [f"{table.name}.{column.name}: {n}" for n in needles if n.lower() in s.lower()]
    return hits


def _file_hits(roots: list[Path], needles: list[str]) -> list[str]:
    hits = []
    for root in roots:
        for path in root.rglob("*"):
            hits += [f"{path} (its name): {n}" for n in needles if n.lower() in str(path.relative_to(root)).lower()]
            if path.is_file():
                data = path.read_bytes().lower()
                for n in needles:
                    if n.lower().encode() in data or n.lower().encode("utf-16-le") in data:
                        hits.append(f"{path}: {n}")
    return hits


def _vectors(cache_dir: Path, digests: list[str]) -> set[tuple[str, bytes]]:
    """(model, key) of the cached vectors linked to these files."""
    with sqlite3.connect(cache_dir / "embeddings.sqlite3") as conn:
        marks = ",".join("?" * len(digests))
        return {(m, bytes(k)) for m, k in conn.execute(
            f"SELECT v.model, v.key FROM vectors v JOIN owners o ON o.model = v.model AND o.key = v.key "
            f"WHERE o.owner IN ({marks})", digests)}


def test_erasure_leaves_no_trace_of_the_candidate_but_keeps_the_deidentified_decision(api):
    settings = api.state.settings
    data_dir, cache_dir = settings.service.resolved_data_dir(), settings.cache_dir
    cand = add_candidate(api, "quillon", display_name=NAME)
    api.add_user("ann", "assessor")
    admin = api.add_user("root", "admin")
    add_candidate(api, "bob")
    bob_draft = api.draft("bob")
    assert api.upload("bob", bob_draft, "narrative", "bob.txt", NARRATIVE).status_code == 201

    sub, job = submit(api, "quillon", _uploads())
    screen_for_real(api, job)
    draft = api.draft("quillon")
    assert api.upload("quillon", draft, "narrative", "notes.md", f"# Notes\n\n{PLANTED['draft']} words".encode()
                      ).status_code == 201
    rubric = current_rubric(api)
    report = api.call("ann", "GET", f"/api/jobs/{job}/report").json()
    marking = full_marking(report, rubric)
    for level in marking["eo_levels"].values():
        level["comment"] = COMMENT
    assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
    assert api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json=marking).status_code == 200
    assert api.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200

    needles = [*PLANTED.values(), "quillon@example.org", NAME, *NAME.split()]
    with api.state.sessions() as s:
        files = list(s.scalars(select(StoredFile).where(StoredFile.submission_id.in_([sub, draft]))))
        digests = [f.sha256 for f in files]
        keys = [f.storage_key for f in files]
        levels_before = {d.id: json.loads(d.levels_json) for d in s.scalars(select(Decision))}
    # The planted strings are where screening put them, so the search below can find them.
    before = _table_hits(api, needles) + _file_hits([data_dir, cache_dir], needles)
    assert any(h.startswith("reports.report_json") for h in before), before
    assert any("extracted" in h for h in before), before
    vectors = _vectors(cache_dir, digests)
    assert vectors, "screening links the vectors of the candidate's texts to their files"

    # Admins only; staff accounts are not erased here.
    assert api.call("ann", "POST", f"/api/users/{cand}/erasure").status_code == 403
    r = api.call("root", "POST", f"/api/users/{api.ids['ann']}/erasure")
    assert r.status_code == 409 and r.json()["code"] == "not_a_candidate"
    r = api.call("root", "POST", f"/api/users/{cand}/erasure")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["submissions_deleted"] == 1 and out["submissions_kept"] == [sub] and out["files"] == 4
    assert out["cache"]["extractions"] >= 3 and out["cache"]["vectors"] >= len(vectors)

    # No trace: every table and column, every file under the data and cache folders.
    assert _table_hits(api, needles) == []
    assert _file_hits([data_dir, cache_dir], needles) == []
    # Nor the assessor's comment or the files' checksums, in the audit log included.
    assert _table_hits(api, [COMMENT]) == []
    assert _table_hits(api, digests) == []
    assert _file_hits([cache_dir], digests) == []
    assert not any(api.state.storage.exists(k) for k in keys)
    assert _vectors(cache_dir, digests) == set()
    with sqlite3.connect(cache_dir / "embeddings.sqlite3") as conn:
        left = {(m, bytes(k)) for m, k in conn.execute("SELECT model, key FROM vectors")}
    assert not (vectors & left)

    # What stays: the tombstone account, the de-identified released decision, the audit row.
    with api.state.sessions() as s:
        user = s.get(User, cand)
        assert user.email == f"erased-{cand}@erased.invalid" and user.display_name is None
        kept = s.get(Submission, sub)
        assert kept is not None and kept.rubric_version == rubric.version and kept.submitted_at is not None
        assert s.get(Submission, draft) is None
        a = s.get(Assessment, sub)
        assert a.stage == "released" and a.released_at is not None
        d = s.get(Decision, a.released_decision_id)
        assert d.state == "final" and d.rubric_hash and d.rubric_version == rubric.version
        assert json.loads(d.levels_json) == {eo: {"level": v["level"]} for eo, v in levels_before[d.id].items()}
        assert all(set(v) == {"status"} for v in json.loads(d.details_json).values())
        assert s.get(Job, d.job_id) is not None  # the pinned screening stays, without its report
        assert api.call("root", "GET", f"/api/jobs/{d.job_id}").status_code == 200
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "erase_candidate")).one()
        assert entry.actor_id == admin and entry.target_id == cand
        # Older rows about the work keep their place in the chain; their payloads became erasure
        # markers holding only the digest the chain covers, so the chain still verifies.
        assert audit.verify(s).problem is None
        erased = s.scalars(select(AuditEntry).where(AuditEntry.action.in_(["decide", "add_file", "remove_file"]),
                                                    AuditEntry.actor_id != api.ids["bob"])).all()
        assert erased and all(audit.erased_marker(e.after_json or e.before_json) for e in erased)
        assert out["audit_rows_erased"] == len(erased) and out["audit_rows_kept"] == 0
        bob_row = s.scalars(select(AuditEntry).where(AuditEntry.actor_id == api.ids["bob"])).one()
        assert "sha256" in (bob_row.after_json or "") and audit.erased_marker(bob_row.after_json) is None
        assert s.scalar(select(StoredFile).where(StoredFile.submission_id == bob_draft)) is not None

    # The account cannot be used again; the other candidate's work is untouched.
    assert api.call("quillon", "GET", "/api/auth/me").status_code == 401
    r = api.client.post("/api/auth/token", json={"email": "quillon@example.org", "password": PASSWORD})
    assert r.status_code == 401
    assert api.call("bob", "GET", f"/api/submissions/{bob_draft}/files").status_code == 200
    with api.state.sessions() as s:
        assert api.state.storage.exists(s.scalars(select(StoredFile.storage_key)
                                                  .where(StoredFile.submission_id == bob_draft)).one())
    # The de-identified decision gives no credential: it would name no one.
    refused = api.call("root", "GET", f"/api/assessments/{sub}/credential")
    assert refused.status_code == 404 and "erased on request" in refused.json()["detail"]
    # Erasing again finds nothing more, and is audited again.
    again = api.call("root", "POST", f"/api/users/{cand}/erasure").json()
    assert again["files"] == 0 and again["submissions_kept"] == [sub] and again["audit_rows_erased"] == 0
    with api.state.sessions() as s:
        assert audit.verify(s).problem is None


def test_erasure_waits_for_a_running_screening(api):
    cand = add_candidate(api, "quillon", display_name=NAME)
    api.add_user("root", "admin")
    sub, job = submit(api, "quillon")
    from service.worker import Worker

    st = api.state
    assert Worker(st.sessions, st.storage, st.settings).claim(job) == "claimed"  # running, lease alive
    r = api.call("root", "POST", f"/api/users/{cand}/erasure")
    assert r.status_code == 409 and r.json()["code"] == "screening_in_progress"
    with st.sessions() as s:
        assert s.get(User, cand).email == "quillon@example.org"  # nothing was changed
        assert s.get(Submission, sub) is not None
