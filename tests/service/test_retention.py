"""Retention (service/retention.py) with timestamps moved into the past: untouched drafts go whole,
released submissions lose their uploaded files after the set days and keep their decision; each
deletion is audited; what is not due stays."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from service import audit, retention
from service.models import Assessment, AuditEntry, Decision, Job, StoredFile, Submission, utcnow

from .assessing import add_candidate, current_rubric, finish_with, full_marking, screen_for_real, submit
from .conftest import NARRATIVE, RUBRIC, make_api, service_settings

pytestmark = pytest.mark.models


@pytest.fixture
def api(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    yield from make_api(service_settings(tmp_path, database_url=database_url, max_upload_bytes=64 * 1024,
                                         retention_draft_days={"*": 30},
                                         retention_released_files_days={RUBRIC: 90, "*": 1000}))


def _age(api, sub_id: str, days: float) -> None:  # type: ignore[no-untyped-def]
    """Move a submission's creation, files and jobs ``days`` into the past."""
    then = utcnow() - timedelta(days=days)
    with api.state.sessions() as s:
        s.execute(update(Submission).where(Submission.id == sub_id).values(created_at=then))
        s.execute(update(StoredFile).where(StoredFile.submission_id == sub_id).values(created_at=then))
        s.execute(update(Job).where(Job.submission_id == sub_id).values(created_at=then, finished_at=then))
        s.commit()


def _released(api, sub_id: str, days_ago: float) -> None:  # type: ignore[no-untyped-def]
    with api.state.sessions() as s:
        s.execute(update(Assessment).where(Assessment.submission_id == sub_id)
                  .values(released_at=utcnow() - timedelta(days=days_ago)))
        s.commit()


def _draft_with_file(api, who: str = "cand") -> str:  # type: ignore[no-untyped-def]
    d = api.draft(who)
    assert api.upload(who, d, "narrative", "n.txt", NARRATIVE).status_code == 201
    return d


def test_retention_purges_what_is_due_and_keeps_the_rest(api):
    add_candidate(api, "cand")
    api.add_user("ann", "assessor")
    stale, touched, checked, fresh = (_draft_with_file(api) for _ in range(4))
    _age(api, stale, 40)
    _age(api, touched, 40)
    assert api.upload("cand", touched, "reflection", "r.txt", b"written today, so the draft is active").status_code == 201
    _age(api, checked, 40)
    job = api.call("cand", "POST", f"/api/submissions/{checked}/self-checks").json()["id"]  # a self-check today

    old, job_old = submit(api, "cand")
    screen_for_real(api, job_old)
    recent, job_recent = submit(api, "cand")
    report = api.call("ann", "GET", f"/api/jobs/{job_old}/report").json()
    finish_with(api, job_recent, report)
    rubric = current_rubric(api)
    for sub in (old, recent):
        assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
        assert api.call("ann", "PUT", f"/api/assessments/{sub}/decision",
                        json=full_marking(report, rubric)).status_code == 200
        assert api.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200
    _released(api, old, 100)
    _released(api, recent, 10)
    with api.state.sessions() as s:
        keys = {sid: [f.storage_key for f in s.scalars(select(StoredFile).where(StoredFile.submission_id == sid))]
                for sid in (stale, touched, checked, fresh, old, recent)}

    planned = retention.purge(api.state, dry_run=True)
    assert planned.drafts == [stale] and planned.released == [old]
    assert all(api.state.storage.exists(k) for k in keys[stale] + keys[old])  # a dry run deletes nothing

    done = retention.purge(api.state)
    assert done.drafts == [stale] and done.released == [old] and done.files == 1 + 3
    assert not any(api.state.storage.exists(k) for k in keys[stale] + keys[old])
    assert all(api.state.storage.exists(k) for sid in (touched, checked, fresh, recent) for k in keys[sid])
    with api.state.sessions() as s:
        assert s.get(Submission, stale) is None
        assert s.get(Job, job) is not None
        assert s.scalar(select(StoredFile).where(StoredFile.submission_id == old)) is None
        a = s.get(Assessment, old)
        assert a.stage == "released" and s.get(Decision, a.released_decision_id) is not None  # the decision stays
        assert s.get(Submission, old) is not None
        rows = {(e.action, e.target_id): e for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(("purge_draft", "purge_files"))))}
        assert set(rows) == {("purge_draft", stale), ("purge_files", old)}
        assert rows[("purge_draft", stale)].actor_id is None
        assert audit.verify(s).problem is None
    assert api.call("ann", "GET", f"/api/assessments/{old}").status_code in (200, 409)  # still readable, no 500

    again = retention.purge(api.state)  # nothing more is due
    assert not again


def test_no_retention_set_keeps_everything(tmp_path, database_url):
    for api in make_api(service_settings(tmp_path, database_url=database_url)):
        add_candidate(api, "cand")
        d = _draft_with_file(api)
        _age(api, d, 5000)
        assert not retention.configured(api.state)
        assert not retention.purge(api.state)
        with api.state.sessions() as s:
            assert s.get(Submission, d) is not None
