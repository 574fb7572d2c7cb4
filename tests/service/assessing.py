"""Helpers for the assessor-workflow tests: screened submissions and complete markings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.models import Job, ReportRow
from service.worker import Worker

from .conftest import RUBRIC, Api, tiny_submission


def add_candidate(api: Api, name: str, display_name: str | None = None) -> str:
    from service.auth import create_user

    from .conftest import PASSWORD

    with api.state.sessions() as s:
        user = create_user(s, f"{name}@example.org", PASSWORD, "candidate", display_name)
        s.commit()
    api.ids[name] = user.id
    api.tokens[name] = api.sign_in(name)
    return user.id


def submit(api: Api, who: str, files: list[tuple[str, str, bytes]] | None = None, draft: str | None = None
           ) -> tuple[str, str]:
    """Upload (unless ``draft`` holds files already) and submit: (submission id, screening job id)."""
    sub = draft or api.draft(who)
    if draft is None:
        for part, name, data in files or tiny_submission():
            r = api.upload(who, sub, part, name, data)
            assert r.status_code == 201, r.text
    r = api.call(who, "POST", f"/api/submissions/{sub}/submit")
    assert r.status_code == 202, r.text
    return sub, r.json()["job"]["id"]


def finish_with(api: Api, job_id: str, report: dict[str, Any]) -> None:
    """Finish a job with a report screened for the same files (the session's real screening)."""
    with api.state.sessions() as s:
        s.get(Job, job_id).state = "done"  # type: ignore[union-attr]
        s.add(ReportRow(job_id=job_id, report_json=json.dumps(report)))
        s.commit()


def screen_for_real(api: Api, job_id: str) -> None:
    st = api.state
    worker = Worker(st.sessions, st.storage, st.settings)
    assert worker.claim(job_id) == "claimed"
    assert worker.run(job_id) == "done"


def current_rubric(api: Api, rubric_id: str = RUBRIC):  # type: ignore[no-untyped-def]
    """The rubric version new drafts get, as the service stores it."""
    from service import rubric_store

    with api.state.sessions() as s:
        return rubric_store.load(s, rubric_id, None)


def full_marking(report: dict[str, Any], rubric, level: str | None = None, flip: int = 0  # type: ignore[no-untyped-def]
                 ) -> dict[str, Any]:
    """A complete marking: every flag confirmed, every detail at its advisory status except the
    first ``flip`` details (changed), every EO at ``level`` (default: the required level)."""
    statuses = {d["id"]: d["status"] for d in report["details"]}
    other = {"met": "weak", "weak": "missing", "missing": "met"}
    details = {}
    for i, (_, d) in enumerate(rubric.details()):
        status = statuses.get(d.id, "missing")
        details[d.id] = {"status": other[status] if i < flip else status}
    return {
        "flags": {f"f{i + 1}": {"decision": "confirmed"} for i in range(len(report["flags"]))},
        "details": details,
        "eo_levels": {eo.id: {"level": level or rubric.required_level, "comment": "seen"}
                      for eo in rubric.essential_outcomes},
    }


def tiny_report(folder: Path) -> dict[str, Any]:
    """The real screening report of tiny_submission(), under the same file names as uploaded (for
    module-scoped fixtures: screened once per module)."""
    from screening.pipeline import screen
    from screening.rubric import RubricCatalogue
    from screening.submission import Submission, SubmissionFile

    from .conftest import service_settings

    settings = service_settings(folder)
    files = []
    for part, name, data in tiny_submission():
        (folder / name).write_bytes(data)
        files.append(SubmissionFile(folder / name, part, name))  # type: ignore[arg-type]
    rubric = RubricCatalogue(settings.rubric_dirs).get(RUBRIC)
    return json.loads(screen(Submission(files=files, rubric_id=RUBRIC), rubric, settings).report.model_dump_json())  # type: ignore[no-any-return]
