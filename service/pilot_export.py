"""Pilot data (docs/pilot-data.md) from the service's database: per screened submission of one
MC, the screener's advice beside each assessor's final judgments, de-identified.

Submissions and assessors appear as pseudonyms only; no ids, names, file names, text or comments.
The report each submission is shown with is the one its decisions were made on.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.pilot import Judgment, PilotData, PilotRubric, csv_tables, pilot_rubric, pilot_submission
from screening.rubric import Rubric

from . import assessment as flow
from . import rubric_store
from .models import Assessment, Decision, Job, ReportRow, Submission, utcnow
from .schemas import ExportRow


def submission_ref(submission_id: str) -> str:
    # Both designer exports use it, so they can be joined, not traced back: stable per submission,
    # but not its id, so a designer cannot take it to the submission, its files or its candidate.
    return hashlib.sha256(f"export:{submission_id}".encode()).hexdigest()[:16]


def _judgment(d: Decision, assessor: str) -> Judgment:
    data = flow.decision_data(d)
    return Judgment(assessor=assessor, role=d.role,  # type: ignore[arg-type]
                    details={k: v["status"] for k, v in data["details"].items()},
                    eo_levels={k: v["level"] for k, v in data["eo_levels"].items()},
                    flags={k: v["decision"] for k, v in data["flags"].items()})


def pilot_data(session: Session, rubric_id: str) -> PilotData:
    subs = session.scalars(select(Submission).where(Submission.rubric_id == rubric_id,
                                                    Submission.status == "submitted")
                           .order_by(Submission.submitted_at, Submission.id)).all()
    assessors: dict[str, str] = {}  # user id → a1, a2, … in order of first appearance
    rubrics: dict[tuple[str, str], PilotRubric] = {}
    out = []
    for sub in subs:
        finals = list(session.scalars(select(Decision).where(Decision.submission_id == sub.id,
                                                             Decision.state == "final")
                                      .order_by(Decision.finalised_at, Decision.id)))
        job_id = finals[0].job_id if finals else session.scalar(
            select(Job.id).join(ReportRow, ReportRow.job_id == Job.id)
            .where(Job.submission_id == sub.id, Job.purpose == "screening", Job.state == "done")
            .order_by(Job.finished_at.desc()).limit(1))
        row = session.get(ReportRow, job_id) if job_id else None
        if row is None:
            continue  # not screened yet: nothing to put beside a judgment
        report: dict[str, Any] = json.loads(row.report_json)
        version = str(report["rubric"]["version"])
        rubric: Rubric | None = flow.rubric_of(finals[0]) if finals else rubric_store.load(session, rubric_id, version)
        if rubric is None or rubric.version != version:
            continue  # the report's rubric version is no longer known: its details cannot be named
        rubrics.setdefault((rubric.id, rubric.version), pilot_rubric(rubric, rubric.content_hash))
        judgments = [_judgment(d, assessors.setdefault(d.assessor_id, f"a{len(assessors) + 1}")) for d in finals]
        a = session.get(Assessment, sub.id)
        released = next((d for d in finals if a is not None and d.id == a.released_decision_id), None)
        ref = submission_ref(sub.id)
        out.append(pilot_submission(
            report, ref=ref, version=sub.version,
            submitted_month=sub.submitted_at.strftime("%Y-%m") if sub.submitted_at else "",
            judgments=judgments, outcome=flow.outcome(released) if released is not None else None))  # type: ignore[arg-type]
    return PilotData(generated_at=utcnow(), rubrics=list(rubrics.values()), submissions=out)



def pilot_zip(data: PilotData) -> bytes:
    """``pilot.json`` and the CSV tables (docs/pilot-data.md) in one zip file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("pilot.json", data.model_dump_json(indent=2) + "\n")
        for name, text in csv_tables(data).items():
            z.writestr(name, text)
    return buf.getvalue()


def export_row(sub: Submission, report: dict[str, Any]) -> ExportRow:
    return ExportRow(
        ref=submission_ref(sub.id),
        rubric_id=sub.rubric_id,
        rubric_version=str(report.get("rubric", {}).get("version", "")),
        version=sub.version,
        submitted_month=sub.submitted_at.strftime("%Y-%m") if sub.submitted_at else "",
        words_by_part={p["part"]: p["words"] for p in report.get("parts", []) if "part" in p and "words" in p},
        details={d["id"]: d["status"] for d in report.get("details", []) if "id" in d and "status" in d},
        flags=dict(sorted(Counter(f.get("code", "") for f in report.get("flags", [])).items())),
    )


def screening_rows(session: Session, rubric_id: str | None = None) -> list[ExportRow]:
    """One de-identified row per screened submission (of one MC, or all): no candidate, no file
    names, no text; EO detail statuses, flag counts and words per part."""
    query = (select(Submission, ReportRow.report_json)
             .join(Job, Job.submission_id == Submission.id)
             .join(ReportRow, ReportRow.job_id == Job.id)
             .where(Job.purpose == "screening", Job.state == "done", Submission.status == "submitted"))
    if rubric_id is not None:
        query = query.where(Submission.rubric_id == rubric_id)
    rows = session.execute(query.order_by(Submission.submitted_at, Submission.id)).all()
    return [export_row(sub, json.loads(report_json)) for sub, report_json in rows]
