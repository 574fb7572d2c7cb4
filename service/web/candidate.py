"""Pages: the candidate's side. Choose an MC and read its rubric, keep a draft (files, texts
written in the browser), self-check it privately, read the report, submit, see the released
levels and comments, download the credential, resubmit.

Handlers parse, authorise, call the same domain functions as the API (service/drafts.py,
service/outcomes.py, service/credentials.py) and render; every rule lives in those modules.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from screening.rubric import Rubric
from screening.wordcount import count_words

from .. import drafts, outcomes, programs, rubric_store, uploads
from ..access import own_draft, own_submission
from ..credentials import credential
from ..deps import DB, State
from ..errors import ApiError
from ..models import Job, StoredFile, Submission, User
from ..review import files_of
from .links import file_ids_by_name
from .session import Csrf, role
from .templating import render

router = APIRouter(include_in_schema=False)
Candidate = Annotated[User, Depends(role("candidate"))]

# Which part of the rubric each part of a submission answers (the portfolio holds the artifacts
# and the evidence self-analysis).
RUBRIC_PART = {"narrative": "narrative", "reflection": "reflection", "artifact": "portfolio",
               "self_analysis": "portfolio"}
WRITABLE = ("narrative", "reflection")
KIND_NAMES = {"pdf": "PDF", "docx": "Word document", "text": "Plain text", "markdown": "Text (Markdown)",
              "audio": "Audio recording", "video": "Video recording", "image": "Image",
              "spreadsheet": "Spreadsheet", "presentation": "Presentation"}
JOB_STATES = {"queued": "Waiting to start", "running": "Reading your files", "done": "Finished",
              "failed": "Could not be finished"}
STATUS_WORDS = {"met": "passages found", "weak": "only loosely addressed", "missing": "no passage found"}


# --- helpers ---------------------------------------------------------------------------------------

def _rubric(session: DB, sub: Submission) -> Rubric | None:
    return rubric_store.load(session, sub.rubric_id, sub.rubric_version)


def _minimums(rubric: Rubric | None) -> dict[str, int | None]:
    """The word minimum of each submission part, from the rubric part it answers."""
    out: dict[str, int | None] = {}
    for part, kind in RUBRIC_PART.items():
        rp = rubric.part(kind) if rubric is not None else None
        out[part] = rp.word_minimum if rp is not None else None
    return out


def _files_by_part(session: DB, sub: Submission) -> dict[str, list[StoredFile]]:
    grouped: dict[str, list[StoredFile]] = {p: [] for p in drafts.PARTS}
    for f in files_of(session, sub.id):
        grouped.setdefault(f.role, []).append(f)
    return grouped


def _title(session: DB, sub: Submission) -> str:
    rubric = _rubric(session, sub)
    return rubric.title if rubric is not None else sub.rubric_id


def _next_version(session: DB, sub: Submission) -> Submission | None:
    from sqlalchemy import select

    return session.scalar(select(Submission).where(Submission.previous_id == sub.id))


def _page_error(exc: ApiError) -> dict[str, Any]:
    return {"message": exc.detail, "code": exc.spec.code}


def _common(session: DB, sub: Submission) -> dict[str, Any]:
    rubric = _rubric(session, sub)
    return {"sub": sub, "rubric": rubric, "title": rubric.title if rubric else sub.rubric_id,
            "minimums": _minimums(rubric), "RUBRIC_PART": RUBRIC_PART, "KIND_NAMES": KIND_NAMES,
            "JOB_STATES": JOB_STATES, "STATUS_WORDS": STATUS_WORDS, "nav": "my"}


# --- home: my submissions ----------------------------------------------------------------------------

@router.get("/my")
def home(request: Request, session: DB, user: Candidate) -> Response:
    subs = drafts.own_submissions(session, user)
    ids = [s.id for s in subs]
    released = outcomes.released_ids(session, ids)
    screening: dict[str, Job] = {}
    for job in drafts.jobs_of(session, ids, "screening"):
        screening.setdefault(job.submission_id, job)
    superseded = {s.previous_id: s for s in subs if s.previous_id}
    rows = []
    for s in subs:
        rows.append({"sub": s, "title": _title(session, s), "screening": screening.get(s.id),
                     "outcome": outcomes.outcome_of(session, s) if s.id in released else None,
                     "next": superseded.get(s.id)})
    return render(request, "candidate/home.html", nav="my", title="My micro-credentials", rows=rows,
                  JOB_STATES=JOB_STATES)


# --- choose an MC -------------------------------------------------------------------------------------

def _offered(session: DB) -> list[dict[str, Any]]:
    out = []
    for row in rubric_store.current_versions(session):
        rubric = rubric_store.load(session, row.rubric_id, row.version)
        overview = (rubric.overview if rubric else "").strip()
        short = overview if len(overview) <= 260 else overview[:260].rsplit(" ", 1)[0] + "…"
        out.append({"id": row.rubric_id, "version": row.version, "title": row.title, "short": short,
                    "program": rubric.program if rubric else "", "eos": len(rubric.essential_outcomes) if rubric else 0})
    return out


def _new_page(request: Request, session: DB, chosen: str | None, error: dict[str, Any] | None = None,
              status_code: int = 200) -> Response:
    offered = _offered(session)
    rubric = None
    if chosen:
        match = next((r for r in offered if r["id"] == chosen), None)
        if match is None and error is None:
            error = {"message": f"No micro-credential {chosen!r} is offered: choose one of the list."}
            status_code = 404
        elif match is not None:
            rubric = rubric_store.load(session, match["id"], match["version"])
    return render(request, "candidate/new.html", status_code=status_code, nav="new",
                  title=f"{rubric.title}: the rubric" if rubric else "Start a micro-credential",
                  offered=offered, rubric=rubric, error=error, RUBRIC_PART=RUBRIC_PART,
                  minimums=_minimums(rubric))


@router.get("/my/new")
def choose(request: Request, session: DB, user: Candidate, rubric: str | None = None) -> Response:
    return _new_page(request, session, rubric)


@router.post("/my/new", dependencies=[Csrf])
def start_draft(request: Request, session: DB, user: Candidate,
                rubric_id: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        sub = drafts.create_draft(session, user, rubric_id)
    except ApiError as exc:
        return _new_page(request, session, rubric_id or None, _page_error(exc), exc.spec.status)
    return RedirectResponse(f"/my/submissions/{sub.id}", status_code=303)


# --- one submission: the draft page, or the status page once submitted --------------------------------

def _draft_page(request: Request, session: DB, user: User, sub: Submission, errors: dict[str, Any] | None = None,
                status_code: int = 200) -> Response:
    checks = drafts.jobs_of(session, [sub.id], "self_check")
    notice = None
    q = request.query_params
    if q.get("saved") in WRITABLE:
        notice = f"Your {q['saved']} was saved as {drafts.written_name(q['saved'])}."
    elif q.get("removed"):
        notice = "The file was removed."
    elif q.get("new"):
        notice = (f"Version {sub.version} was started with copies of the previous version's files: change what "
                  "you need, self-check and submit." if sub.version > 1 else None)
    previous = session.get(Submission, sub.previous_id) if sub.previous_id else None
    return render(request, "candidate/draft.html", status_code=status_code, files=_files_by_part(session, sub),
                  latest=checks[0] if checks else None, earlier=checks[1:], errors=errors or {}, notice=notice,
                  previous=previous, written=WRITABLE, **_common(session, sub))


def _status_page(request: Request, session: DB, user: User, sub: Submission, errors: dict[str, Any] | None = None,
                 status_code: int = 200) -> Response:
    screenings = drafts.jobs_of(session, [sub.id], "screening")
    screening = screenings[0] if screenings else None
    outcome = outcomes.outcome_of(session, sub) if outcomes.released(session, sub) is not None else None
    report = drafts.job_report(session, screening) if screening is not None else None
    previous = session.get(Submission, sub.previous_id) if sub.previous_id else None
    changes = outcomes.changes_since_previous(session, sub, report) if report is not None and previous else None
    return render(request, "candidate/status.html", status_code=status_code, screening=screening,
                  outcome=outcome, next_version=_next_version(session, sub), previous=previous, changes=changes,
                  files=_files_by_part(session, sub), errors=errors or {},
                  just_submitted=request.query_params.get("submitted") == "1", **_common(session, sub))


@router.get("/my/submissions/{submission_id}")
def submission_page(request: Request, submission_id: str, session: DB, user: Candidate) -> Response:
    sub = own_submission(session, user, submission_id)
    if sub.status == "draft":
        return _draft_page(request, session, user, sub)
    return _status_page(request, session, user, sub)


@router.get("/my/submissions/{submission_id}/files")
def files_fragment(request: Request, submission_id: str, session: DB, user: Candidate) -> Response:
    """The draft's files (refreshed in place after uploads)."""
    sub = own_submission(session, user, submission_id)
    return render(request, "candidate/_files.html", files=_files_by_part(session, sub), **_common(session, sub))


def _plain(message: str, status_code: int) -> HTMLResponse:
    """A short answer for the upload script, which shows its text beside the upload."""
    from html import escape

    return HTMLResponse(f"<p>{escape(message)}</p>", status_code=status_code, headers={"Cache-Control": "no-store"})


@router.post("/my/submissions/{submission_id}/files", dependencies=[Csrf])
async def upload(request: Request, submission_id: str, session: DB, state: State, user: Candidate) -> Response:
    """One file of a multipart form (field ``file``, with ``part``), as app.js sends each file."""
    declared = request.headers.get("content-length")
    try:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise ApiError("invalid_request", "Send the file from the page's upload form.")
        if declared is not None and declared.isdigit() and \
                int(declared) > state.settings.service.max_upload_bytes + 64 * 1024:
            raise drafts.too_large(state)  # refused before the form is read
        async with uploads.file_field(request) as form:
            if form.part is None:
                raise ApiError("invalid_request", "Choose the part of the submission the file belongs to.")
            row = await drafts.add_file(session, state, user, submission_id, form.part, form.filename, form.chunks())
    except ApiError as exc:
        return _plain(exc.detail, exc.spec.status)
    return _plain(f"{row.original_name} was added to the {row.role.replace('_', ' ')}.", 201)


@router.post("/my/submissions/{submission_id}/files/{file_id}/delete", dependencies=[Csrf])
def delete_file(request: Request, submission_id: str, file_id: str, session: DB, state: State,
                user: Candidate) -> Response:
    drafts.delete_file(session, state, user, submission_id, file_id)
    return RedirectResponse(f"/my/submissions/{submission_id}?removed=1#files-heading", status_code=303)


# --- writing the narrative and the reflection in the browser ------------------------------------------

def _write_page(request: Request, session: DB, sub: Submission, part: str, text: str,
                error: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    ctx = _common(session, sub)
    rubric = ctx["rubric"]
    return render(request, "candidate/write.html", status_code=status_code, part=part, text=text, error=error,
                  rubric_part=rubric.part(RUBRIC_PART[part]) if rubric else None,
                  minimum=ctx["minimums"].get(part), file_name=drafts.written_name(part), words=count_words(text),
                  **ctx)


def _writable(part: str) -> str:
    if part not in WRITABLE:
        raise ApiError("not_found", "Only the narrative and the reflection can be written here.")
    return part


@router.get("/my/submissions/{submission_id}/write/{part}")
def write_form(request: Request, submission_id: str, part: str, session: DB, state: State,
               user: Candidate) -> Response:
    sub = own_draft(session, user, submission_id)
    part = _writable(part)
    text = drafts.written_text(session, state, user, sub.id, part) or ""
    return _write_page(request, session, sub, part, text)


@router.post("/my/submissions/{submission_id}/write/{part}", dependencies=[Csrf])
async def write_save(request: Request, submission_id: str, part: str, session: DB, state: State, user: Candidate,
                     text: Annotated[str, Form()] = "") -> Response:
    part = _writable(part)
    try:
        await drafts.put_text(session, state, user, submission_id, part, text)
    except ApiError as exc:
        if exc.spec.code == "not_found":
            raise
        sub = own_submission(session, user, submission_id)
        return _write_page(request, session, sub, part, text, _page_error(exc), exc.spec.status)
    return RedirectResponse(f"/my/submissions/{submission_id}?saved={part}#files-heading", status_code=303)


# --- self-checks -------------------------------------------------------------------------------------

@router.post("/my/submissions/{submission_id}/self-check", dependencies=[Csrf])
def self_check(request: Request, submission_id: str, session: DB, state: State, user: Candidate) -> Response:
    try:
        drafts.start_self_check(session, state, user, submission_id)
    except ApiError as exc:
        sub = own_submission(session, user, submission_id)
        if sub.status != "draft":
            return _status_page(request, session, user, sub, {"self_check": _page_error(exc)}, exc.spec.status)
        return _draft_page(request, session, user, sub, {"self_check": _page_error(exc)}, exc.spec.status)
    return RedirectResponse(f"/my/submissions/{submission_id}#self-check", status_code=303)


@router.get("/my/submissions/{submission_id}/jobs/{job_id}/progress")
def progress(request: Request, submission_id: str, job_id: str, session: DB, user: Candidate) -> Response:
    """The job's state as a fragment that polls itself (every 2 s) while queued or running."""
    sub, job = drafts.own_job(session, user, submission_id, job_id)
    return render(request, "candidate/_progress.html", sub=sub, job=job, JOB_STATES=JOB_STATES)


@router.get("/my/submissions/{submission_id}/reports/{job_id}")
def report_page(request: Request, submission_id: str, job_id: str, session: DB, user: Candidate) -> Response:
    sub, job = drafts.own_job(session, user, submission_id, job_id)
    report = drafts.job_report(session, job)
    ctx = _common(session, sub)
    changes = outcomes.changes_since_previous(session, sub, report) if report is not None else None
    previous = session.get(Submission, sub.previous_id) if sub.previous_id else None
    kind = "Self-check report" if job.purpose == "self_check" else "Screening report"
    ctx["title"] = f"{kind}: {ctx['title']}, version {sub.version}"
    return render(request, "candidate/report.html", job=job, report=report, kind=kind,
                  ids=file_ids_by_name(session, sub, user) if report is not None else {},
                  groups=_flag_groups(report) if report is not None else [], changes=changes, previous=previous,
                  details={d["id"]: d for d in report["details"]} if report is not None else {}, **ctx)


SEVERITIES = (("error", "Problems to look at first"), ("warning", "Worth checking"), ("info", "Notes"))


def _flag_groups(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Flags by severity, then by code (each group keeps the report's order within it)."""
    out = []
    for sev, heading in SEVERITIES:
        flags = [f for f in report.get("flags", []) if f.get("severity") == sev]
        codes: dict[str, list[dict[str, Any]]] = {}
        for f in flags:
            codes.setdefault(f["code"], []).append(f)
        out.append({"severity": sev, "heading": heading, "count": len(flags), "codes": codes})
    return out


# --- submit, resubmit, the credential -----------------------------------------------------------------

def _confirm_page(request: Request, session: DB, sub: Submission, error: dict[str, Any] | None = None,
                  status_code: int = 200) -> Response:
    checks = drafts.jobs_of(session, [sub.id], "self_check")
    return render(request, "candidate/submit.html", status_code=status_code, files=_files_by_part(session, sub),
                  error=error, latest=checks[0] if checks else None, **_common(session, sub))


@router.get("/my/submissions/{submission_id}/submit")
def confirm_submit(request: Request, submission_id: str, session: DB, user: Candidate) -> Response:
    sub = own_draft(session, user, submission_id)
    return _confirm_page(request, session, sub)


@router.post("/my/submissions/{submission_id}/submit", dependencies=[Csrf])
def do_submit(request: Request, submission_id: str, session: DB, state: State, user: Candidate) -> Response:
    try:
        drafts.submit(session, state, user, submission_id)
    except ApiError as exc:
        if exc.spec.code == "not_found":
            raise
        sub = own_submission(session, user, submission_id)
        if sub.status != "draft":
            return _status_page(request, session, user, sub, {"submit": _page_error(exc)}, exc.spec.status)
        return _confirm_page(request, session, sub, _page_error(exc), exc.spec.status)
    return RedirectResponse(f"/my/submissions/{submission_id}?submitted=1", status_code=303)


@router.post("/my/submissions/{submission_id}/resubmit", dependencies=[Csrf])
def do_resubmit(request: Request, submission_id: str, session: DB, state: State, user: Candidate) -> Response:
    try:
        new = drafts.resubmit(session, state, user, submission_id)
    except ApiError as exc:
        if exc.spec.code == "not_found":
            raise
        sub = own_submission(session, user, submission_id)
        if sub.status == "draft":
            return _draft_page(request, session, user, sub, {"resubmit": _page_error(exc)}, exc.spec.status)
        return _status_page(request, session, user, sub, {"resubmit": _page_error(exc)}, exc.spec.status)
    return RedirectResponse(f"/my/submissions/{new.id}?new=1", status_code=303)


@router.get("/my/submissions/{submission_id}/credential")
def download_credential(submission_id: str, session: DB, state: State, user: Candidate) -> Response:
    """The Open Badges 3.0 credential of a released decision that reaches the required level, as a
    JSON file (the same document as GET /api/assessments/{id}/credential)."""
    sub = own_submission(session, user, submission_id)
    doc = credential(session, sub, state.settings)
    session.commit()  # a first issue allocates the credential's place in the revocation list
    name = f"credential-{sub.rubric_id}-v{sub.version}.json"
    return Response(json.dumps(doc, indent=2, ensure_ascii=False), media_type="application/json",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


# --- programs: progress through stacks and pathways (issue 19) ----------------------------------------

STATUS_NAMES = {"earned": "Earned", "in_progress": "In progress", "available": "You may start it",
                "blocked": "Not yet open to you", "not_offered": "Not offered here"}
KIND_NAMES_PROGRAM = {"stack": "Stack", "pathway": "Pathway", "program": "Whole program", "list": "List by purpose"}


@router.get("/my/programs")
def programs_page(request: Request, session: DB, user: Candidate) -> Response:
    followed = programs.followed_ids(session, user)
    rows = [{"p": p, "following": p.id in followed, "offered": len(p.rubric_ids())} for p in programs.programs(session)]
    return render(request, "candidate/programs.html", nav="my", title="Programs", rows=rows)


def _program_page(request: Request, session: DB, user: User, program_id: str,
                  error: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    program = programs.get_program(session, program_id)
    got = programs.progress_of(session, user, program)
    return render(request, "candidate/program.html", status_code=status_code, nav="my", title=program.title,
                  program=program, g=got, following=program.id in programs.followed_ids(session, user),
                  STATUS_NAMES=STATUS_NAMES, KINDS=KIND_NAMES_PROGRAM, error=error)


@router.get("/my/programs/{program_id}")
def program_page(request: Request, program_id: str, session: DB, user: Candidate) -> Response:
    return _program_page(request, session, user, program_id)


@router.post("/my/programs/{program_id}/follow", dependencies=[Csrf])
def follow_program(program_id: str, session: DB, user: Candidate, action: Annotated[str, Form()] = "follow"
                   ) -> Response:
    if action == "unfollow":
        programs.unfollow(session, user, program_id)
    else:
        programs.follow(session, user, program_id)
    return RedirectResponse(f"/my/programs/{quote(program_id)}", status_code=303)


@router.get("/my/programs/{program_id}/stacks/{stack_id}/credential")
def download_stack_credential(request: Request, program_id: str, stack_id: str, session: DB, state: State,
                              user: Candidate) -> Response:
    """The completed stack's credential as a JSON file (GET /api/programs/{id}/stacks/{id}/credential)."""
    try:
        doc = programs.stack_credential_of(session, user, program_id, stack_id, state.settings)
    except ApiError as exc:
        if exc.spec.code == "not_found":
            raise
        return _program_page(request, session, user, program_id, _page_error(exc), exc.spec.status)
    session.commit()
    name = f"credential-{program_id}-{stack_id}.json"
    return Response(json.dumps(doc, indent=2, ensure_ascii=False), media_type="application/json",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
