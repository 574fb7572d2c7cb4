"""Shared and duplicate evidence across candidates (issue 19; docs/duplicates.md).

When submitted work is screened, the worker indexes it (``evidence_index``: its files' content
hashes and its distinctive passages with their vectors, screening/duplicates.py) and checks it
against every other candidate's indexed submissions; what it finds is kept in
``duplicate_matches`` and shown from both sides. Advisory: the service shows where the same
artifact or a near-identical passage appears, never decides anything.

Who sees what:

- assessors: the match with both places, each submission's files by alias, the other submission
  by its id, MC and version, excerpts scrubbed of each candidate's name and email; never a name;
- admins: both submissions with both candidates (id, email, name) and the files' uploaded names,
  without passage text (admins see metadata, not content), and may approve a team artifact as
  shared evidence by its content hash (audited);
- candidates and program designers: nothing.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from typing import Any, Iterable

import numpy as np
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from screening.duplicates import (DuplicateIndex, DuplicateMatch, EvidenceFile, EvidencePassage, EvidenceRecord,
                                  indexable, make_record)
from screening.settings import Settings

from . import audit
from .anonymise import Scrubber
from .errors import ApiError
from .models import (DuplicateMatchRow, EvidenceIndexRow, SharedEvidence, StoredFile, Submission, User, utcnow)
from .review import aliases, files_of, scrubber

log = logging.getLogger("service.duplicates")

ADVISORY = ("Advisory: the same file or a near-identical passage appears in another candidate's submission. "
            "Shared team artifacts can be legitimate; check by hand, following the program's policy.")


def model_key(settings: Settings) -> str:
    from screening.models import embedding_model_info

    info = embedding_model_info(settings.models)
    return f"{info.name}@{info.revision}"  # backends agree to cosine 0.999: the model decides


# --- indexing, in the worker ---------------------------------------------------------------------

def record_for(result: Any, settings: Settings, submission_id: str, candidate_id: str,
               files: Iterable[StoredFile]) -> EvidenceRecord:
    """The screened submission as the index holds it: files and passages named by file id."""
    from screening.embedding import get_embedder

    ctx = result.context
    files = list(files)
    id_by_name = {f.original_name: f.id for f in files}
    chosen = indexable(ctx.passages, settings.duplicates, ctx.rubric, skip_ids={e.passage.id for e in ctx.echoes})
    chosen = [replace(p, file=id_by_name[p.file]) for p in chosen if p.file in id_by_name]
    vectors = get_embedder(settings).encode([p.text for p in chosen]) if chosen else np.zeros((0, 1), np.float32)
    return make_record(submission_id, candidate_id, [EvidenceFile(f.id, f.sha256, f.role) for f in files],
                       chosen, vectors)


class _Cached:
    def __init__(self) -> None:
        self.index = DuplicateIndex()
        self.stamps: dict[str, Any] = {}
        self.lock = threading.Lock()


_INDEXES: dict[tuple[str, str], _Cached] = {}
_INDEXES_LOCK = threading.Lock()


def _row_record(row: EvidenceIndexRow) -> EvidenceRecord:
    files = tuple(EvidenceFile(**f) for f in json.loads(row.files_json))
    passages = tuple(EvidencePassage.from_dict(p) for p in json.loads(row.passages_json))
    vectors = np.frombuffer(row.vectors, dtype=np.int8).reshape(row.count, row.dim) if row.count else \
        np.zeros((0, row.dim), np.int8)
    return EvidenceRecord(key=row.submission_id, owner=row.candidate_id, files=files, passages=passages,
                          vectors=vectors)


def loaded_index(session: Session, model: str) -> DuplicateIndex:
    """This process's index of the database's evidence rows for ``model``, brought up to date: rows
    added since the last call are loaded, rows gone (erased) are dropped."""
    url = str(session.get_bind().url)
    with _INDEXES_LOCK:
        cached = _INDEXES.setdefault((url, model), _Cached())
    with cached.lock:
        current = dict(session.execute(select(EvidenceIndexRow.submission_id, EvidenceIndexRow.created_at)
                                       .where(EvidenceIndexRow.model == model)).all())
        for key in [k for k in cached.stamps if current.get(k) != cached.stamps[k]]:
            cached.index.remove(key)
            del cached.stamps[key]
        todo = [k for k in current if k not in cached.stamps]
        for i in range(0, len(todo), 500):
            for row in session.scalars(select(EvidenceIndexRow).where(EvidenceIndexRow.submission_id.in_(todo[i:i + 500]))):
                cached.index.add(_row_record(row))
                cached.stamps[row.submission_id] = row.created_at
        return cached.index


def check(sessions: sessionmaker[Session], record: EvidenceRecord, settings: Settings, rubric: Any) -> list[DuplicateMatch]:
    with sessions() as s:
        index = loaded_index(s, model_key(settings))
    return index.check(record, settings.duplicates, rubric)


def store(session: Session, job_id: str, record: EvidenceRecord, matches: list[DuplicateMatch], settings: Settings) -> None:
    """Write the submission's index row and its matches (in the caller's transaction)."""
    session.execute(delete(EvidenceIndexRow).where(EvidenceIndexRow.submission_id == record.key))
    session.execute(delete(DuplicateMatchRow).where(DuplicateMatchRow.submission_id == record.key))
    session.add(EvidenceIndexRow(
        submission_id=record.key, candidate_id=record.owner, job_id=job_id, model=model_key(settings),
        dim=int(record.vectors.shape[1]) if record.vectors.ndim == 2 else 0, count=len(record.passages),
        vectors=record.vectors.tobytes(), created_at=utcnow(),
        files_json=json.dumps([{"name": f.name, "sha256": f.sha256, "part": f.part} for f in record.files]),
        passages_json=json.dumps([p.to_dict() for p in record.passages])))
    others = {m.other for m in matches}
    present = set(session.scalars(select(Submission.id).where(Submission.id.in_(others)))) if others else set()
    for m in matches:
        if m.other not in present:  # erased meanwhile
            continue
        session.add(DuplicateMatchRow(
            submission_id=record.key, other_submission_id=m.other, kind=m.kind, score=float(m.score),
            sha256=m.sha256 or (m.here.file_sha256 if m.here else None),
            file_id=m.here_file.name if m.here_file else (m.here.file if m.here else None),
            other_file_id=m.there_file.name if m.there_file else (m.there.file if m.there else None),
            passage=m.here_index, other_passage=m.there_index))


def forget_submissions(session: Session, submission_ids: list[str]) -> int:
    """Erasure: the index rows of these submissions and every match involving them; rows removed."""
    if not submission_ids:
        return 0
    n = session.execute(delete(DuplicateMatchRow).where(or_(
        DuplicateMatchRow.submission_id.in_(submission_ids),
        DuplicateMatchRow.other_submission_id.in_(submission_ids)))).rowcount or 0
    n += session.execute(delete(EvidenceIndexRow).where(EvidenceIndexRow.submission_id.in_(submission_ids))).rowcount or 0
    with _INDEXES_LOCK:  # this process's copies go at once (other processes' at their next refresh)
        cached = list(_INDEXES.values())
    for c in cached:
        with c.lock:
            for key in submission_ids:
                c.index.remove(key)
                c.stamps.pop(key, None)
    return int(n)


# --- what assessors and admins see -----------------------------------------------------------------

def _passages(session: Session, sub_id: str, cache: dict[str, list[EvidencePassage]]) -> list[EvidencePassage]:
    if sub_id not in cache:
        row = session.get(EvidenceIndexRow, sub_id)
        cache[sub_id] = [EvidencePassage.from_dict(p) for p in json.loads(row.passages_json)] if row else []
    return cache[sub_id]


def _fragment(p: EvidencePassage | None) -> str | None:
    if p is None:
        return None
    if p.start_s is not None:
        return f"#t={p.start_s:g},{p.end_s:g}"
    return f"#page={p.page}" if p.page is not None else None


def approved_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    hashes = [h for h in set(hashes) if h]
    return set(session.scalars(select(SharedEvidence.sha256).where(SharedEvidence.sha256.in_(hashes)))) if hashes else set()


def for_submission(session: Session, user: User, sub: Submission) -> dict[str, Any]:
    """The matches of one submission, oriented so ``here`` is in it, as ``user`` may see them
    (assessor: aliases and scrubbed excerpts; admin: both candidates and file names, no text)."""
    if user.role not in ("assessor", "admin"):
        raise ApiError("forbidden", "Only assessors and admins see shared or duplicate evidence.")
    rows = list(session.scalars(select(DuplicateMatchRow).where(or_(
        DuplicateMatchRow.submission_id == sub.id, DuplicateMatchRow.other_submission_id == sub.id))
        .order_by(DuplicateMatchRow.kind, DuplicateMatchRow.score.desc(), DuplicateMatchRow.id)))
    admin = user.role == "admin"
    cache: dict[str, list[EvidencePassage]] = {}
    subs: dict[str, Submission | None] = {}
    names: dict[str, dict[str, str]] = {}
    scrubs: dict[str, Scrubber] = {}
    files: dict[str, StoredFile] = {}

    def side(sub_id: str, file_id: str | None, passage: int | None) -> dict[str, Any]:
        s = subs.setdefault(sub_id, session.get(Submission, sub_id))
        if sub_id not in names:
            names[sub_id] = aliases(session, sub_id)
            files.update({f.id: f for f in files_of(session, sub_id)})
        p = _passages(session, sub_id, cache)[passage] if passage is not None and passage < len(
            _passages(session, sub_id, cache)) else None
        out: dict[str, Any] = {"submission_id": sub_id, "rubric_id": s.rubric_id if s else None,
                               "version": s.version if s else None, "file_id": file_id,
                               "file": names[sub_id].get(file_id or "", "(file deleted)"),
                               "place": p.place if p else "the whole file", "fragment": _fragment(p),
                               "excerpt": None}
        if admin:
            f = files.get(file_id or "")
            cand = session.get(User, s.candidate_id) if s else None
            out["file_name"] = f.original_name if f else None
            out["candidate"] = ({"id": cand.id, "email": cand.email, "display_name": cand.display_name}
                                if cand else None)
        elif p is not None and s is not None:
            if sub_id not in scrubs:
                scrubs[sub_id] = scrubber(session, s)
            out["excerpt"] = scrubs[sub_id].text(p.text)
        return out

    items = []
    hashes: set[str] = set()
    for r in rows:
        mine = r.submission_id == sub.id
        here = side(sub.id, r.file_id if mine else r.other_file_id, r.passage if mine else r.other_passage)
        there_id = r.other_submission_id if mine else r.submission_id
        there = side(there_id, r.other_file_id if mine else r.file_id, r.other_passage if mine else r.passage)
        file_hashes = {r.sha256} if r.kind == "artifact" else {
            h for h in (_sha_of(files.get(here["file_id"] or "")), _sha_of(files.get(there["file_id"] or ""))) if h}
        hashes |= file_hashes
        items.append({"id": r.id, "kind": r.kind, "score": round(r.score, 3), "sha256": r.sha256 if r.kind == "artifact" else None,
                      "here": here, "other": there, "_hashes": file_hashes})
    approved = approved_hashes(session, hashes)
    for it in items:
        it["status"] = "approved_shared_evidence" if it.pop("_hashes") & approved else "possible_duplicate"
    return {"submission_id": sub.id, "advisory": ADVISORY, "items": items}


def _sha_of(f: StoredFile | None) -> str | None:
    return f.sha256 if f is not None else None


def recent(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """Admins: the newest matches across the service, both submissions and candidates, no text."""
    rows = list(session.scalars(select(DuplicateMatchRow).order_by(DuplicateMatchRow.created_at.desc(),
                                                                   DuplicateMatchRow.id).limit(limit)))
    approved = approved_hashes(session, [r.sha256 or "" for r in rows if r.kind == "artifact"])
    out = []
    for r in rows:
        pair = []
        for sub_id, file_id in ((r.submission_id, r.file_id), (r.other_submission_id, r.other_file_id)):
            s = session.get(Submission, sub_id)
            cand = session.get(User, s.candidate_id) if s else None
            f = session.get(StoredFile, file_id) if file_id else None
            pair.append({"submission_id": sub_id, "rubric_id": s.rubric_id if s else None,
                         "version": s.version if s else None,
                         "candidate": {"id": cand.id, "email": cand.email, "display_name": cand.display_name} if cand else None,
                         "file_name": f.original_name if f else None})
        out.append({"id": r.id, "kind": r.kind, "score": round(r.score, 3), "sha256": r.sha256 if r.kind == "artifact" else None,
                    "found_at": r.created_at, "submission": pair[0], "other": pair[1],
                    "status": "approved_shared_evidence" if r.kind == "artifact" and r.sha256 in approved
                    else "possible_duplicate"})
    return out


# --- approved shared evidence (admins) -------------------------------------------------------------

def _valid_sha(sha256: str) -> str:
    h = (sha256 or "").strip().lower()
    if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
        raise ApiError("invalid_request", "sha256 must be the 64 hexadecimal digits of a file's content hash.",
                       errors=[{"field": "sha256", "msg": "64 hexadecimal digits"}])
    return h


def shared_list(session: Session) -> list[SharedEvidence]:
    return list(session.scalars(select(SharedEvidence).order_by(SharedEvidence.approved_at.desc())))


def approve(session: Session, admin: User, sha256: str, note: str | None = None) -> tuple[SharedEvidence, bool]:
    """Mark a team artifact (content hash) as approved shared evidence; audited. (row, created)."""
    h = _valid_sha(sha256)
    row = session.get(SharedEvidence, h)
    if row is not None:
        return row, False
    row = SharedEvidence(sha256=h, note=(note or "").strip() or None, approved_by=admin.id, approved_at=utcnow())
    session.add(row)
    audit.append(session, admin.id, "approve_shared_evidence", "file_hash", h, None, {"note": row.note})
    return row, True


def withdraw(session: Session, admin: User, sha256: str) -> None:
    """Withdraw an approval: the artifact is shown as a possible duplicate again; audited."""
    h = _valid_sha(sha256)
    row = session.get(SharedEvidence, h)
    if row is None:
        raise ApiError("not_found", f"No approved shared evidence with hash {h}.")
    before = {"note": row.note, "approved_by": row.approved_by}
    session.delete(row)
    audit.append(session, admin.id, "withdraw_shared_evidence", "file_hash", h, before, None)
