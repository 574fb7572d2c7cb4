"""Pages: admin. An overview of the service (accounts per role, submissions per state, jobs),
accounts (list, create, change a role: service/users.py) and rubric versions (upload or check a
YAML file with every problem shown by line and field, retire, restore: service/rubric_admin.py),
calling the same domain functions as the API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from .. import erasure, rubric_admin, users
from .. import stats as counting
from ..auth import ROLES
from ..deps import DB, State
from ..errors import ApiError
from ..models import User
from ..schemas import UserIn
from .session import Csrf, role
from .templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(role("admin"))]


# --- overview ---------------------------------------------------------------------------------

@router.get("/admin")
def overview(request: Request, session: DB, admin: Admin) -> Response:
    counts = counting.counts(session)
    by_status: dict[str, int] = {}
    for per_mc in counts.submissions.values():
        for status, n in per_mc.items():
            by_status[status] = by_status.get(status, 0) + n
    stages = counting.assessment_stages(session)
    unopened = max(by_status.get("submitted", 0) - sum(stages.values()), 0)
    return render(request, "admin/overview.html", nav="admin", title="Admin", roles=users.count_by_role(session),
                  by_status=by_status, stages=stages, unopened=unopened, jobs=counts.jobs,
                  by_mc=counts.submissions, rubrics=rubric_admin.overview(session))


# --- users ------------------------------------------------------------------------------------

_FIELDS = ("email", "display_name", "role", "password")
_FIELD_WORDS = {"email": "an email address such as name@school.org",
                "password": "at least 10 characters", "role": "one of the roles listed",
                "display_name": "at most 200 characters"}


def _users_page(request: Request, session: DB, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("form", {"email": "", "display_name": "", "role": "assessor"})
    context.setdefault("errors", {})
    return render(request, "admin/users.html", status_code=status_code, nav="users", title="Users",
                  users=users.list_users(session), roles=ROLES, **context)


@router.get("/admin/users")
def users_page(request: Request, session: DB, admin: Admin, created: str | None = None,
               changed: str | None = None, erased: str | None = None) -> Response:
    notice = None
    if erased and (u := session.get(User, erased)) is not None and erasure.is_erased(u):
        notice = (f"The candidate's data was erased. The account remains as {u.email}, which cannot sign in; "
                  "released decisions remain without any text, and the audit log records the erasure.")
    elif created and (u := session.get(User, created)) is not None:
        notice = f"Account created for {u.email} with the role {u.role}. Tell them their password in person or by phone."
    elif changed and (u := session.get(User, changed)) is not None:
        notice = f"{u.email} now has the role {u.role}. The change applies at once, also to pages they have open."
    return _users_page(request, session, notice=notice, highlight=created or changed or erased)


@router.post("/admin/users", dependencies=[Csrf])
def create_user(request: Request, session: DB, admin: Admin, email: Annotated[str, Form()] = "",
                display_name: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "",
                password: Annotated[str, Form()] = "") -> Response:
    form = {"email": email, "display_name": display_name, "role": role}  # never the password
    try:
        body = UserIn(email=email.strip(), password=password, role=role,  # type: ignore[arg-type]
                      display_name=display_name.strip() or None)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in exc.errors():
            name = str(e["loc"][0]) if e.get("loc") else "email"
            if name in _FIELDS and name not in errors:
                errors[name] = f"{_message(e)}: {_FIELD_WORDS[name]}."
        return _users_page(request, session, 422, form=form, errors=errors)
    try:
        user = users.create_user(session, admin, body.email, body.password, body.role, body.display_name)
    except ApiError as exc:
        if exc.spec.code != "email_taken":
            raise
        return _users_page(request, session, exc.spec.status, form=form,
                           errors={"email": f"{body.email.strip().lower()} has an account already: choose another email."})
    session.commit()
    return RedirectResponse(f"/admin/users?created={user.id}", status_code=303)


def _message(e: Any) -> str:
    kind = e.get("type", "")
    if kind == "string_too_short":
        return "Too short" if e["ctx"].get("min_length", 1) > 1 else "Required"
    if kind == "string_too_long":
        return "Too long"
    if kind == "string_pattern_mismatch":
        return "Not an email address"
    if kind in ("literal_error", "enum"):
        return "Not a role"
    return str(e.get("msg", "Invalid")).capitalize()


@router.post("/admin/users/{user_id}/role", dependencies=[Csrf])
def change_role(request: Request, user_id: str, session: DB, admin: Admin,
                role: Annotated[str, Form()] = "") -> Response:
    try:
        users.set_role(session, admin, user_id, role)
    except ApiError as exc:
        if exc.spec.code not in ("last_admin", "invalid_request"):
            raise
        session.rollback()
        return _users_page(request, session, exc.spec.status, role_error={"user": user_id, "message": exc.detail})
    session.commit()
    return RedirectResponse(f"/admin/users?changed={user_id}", status_code=303)


# --- erasure on request -----------------------------------------------------------------------

def _candidate(session: DB, user_id: str) -> User:
    u = session.get(User, user_id)
    if u is None or u.role != "candidate" or erasure.is_erased(u):
        raise ApiError("not_found", "No candidate account whose data can be erased.")
    return u


def _erase_page(request: Request, session: DB, candidate: User, status_code: int = 200, **context: Any) -> Response:
    return render(request, "admin/erase.html", status_code=status_code, nav="users", title="Erase a candidate's data",
                  candidate=candidate, plan=erasure.plan(session, candidate), **context)


@router.get("/admin/users/{user_id}/erase")
def erase_page(request: Request, user_id: str, session: DB, admin: Admin) -> Response:
    """The confirmation step: what will go and what stays, and the email typed to confirm."""
    return _erase_page(request, session, _candidate(session, user_id))


@router.post("/admin/users/{user_id}/erasure", dependencies=[Csrf])
def erase(request: Request, user_id: str, session: DB, state: State, admin: Admin,
          confirm: Annotated[str, Form()] = "") -> Response:
    candidate = _candidate(session, user_id)
    if confirm.strip().lower() != candidate.email.lower():
        return _erase_page(request, session, candidate, 422, typed=confirm,
                           error=f"Type the account's email, {candidate.email}, to confirm.")
    try:
        erasure.erase_candidate(session, state, admin, user_id)
    except ApiError as exc:
        if exc.spec.code != "screening_in_progress":
            raise
        session.rollback()
        return _erase_page(request, session, candidate, exc.spec.status, typed=confirm, error=exc.detail)
    return RedirectResponse(f"/admin/users?erased={user_id}", status_code=303)


# --- rubrics ----------------------------------------------------------------------------------

def _rubrics_page(request: Request, session: DB, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("text", "")
    context.setdefault("check_only", False)
    return render(request, "admin/rubrics.html", status_code=status_code, nav="rubrics", title="Rubrics",
                  rubrics=rubric_admin.overview(session), **context)


_DONE = {"added": "Stored: {id} version {version}. New drafts of this MC get it if it is the highest version "
                  "not retired; submissions already made keep the version they pinned.",
         "retired": "Retired: {id} version {version}. New drafts can no longer use it; the submissions pinned to "
                    "it keep it.",
         "restored": "Restored: {id} version {version}. New drafts can use it again.",
         "unchanged": "{id} version {version} was stored already with exactly this content: nothing changed."}


@router.get("/admin/rubrics")
def rubrics_page(request: Request, session: DB, admin: Admin, done: str | None = None, id: str | None = None,
                 version: str | None = None) -> Response:
    notice = None
    if done in _DONE and id and version:
        rubric_admin.stored(session, id, version)  # only versions that exist are named
        notice = _DONE[done].format(id=id, version=version)
    return _rubrics_page(request, session, notice=notice)


@router.post("/admin/rubrics", dependencies=[Csrf])
async def upload(request: Request, session: DB, state: State, admin: Admin,
                 file: Annotated[UploadFile | None, File()] = None, text: Annotated[str, Form()] = "",
                 check_only: Annotated[bool, Form()] = False) -> Response:
    from fastapi.concurrency import run_in_threadpool

    limit = state.settings.service.max_rubric_bytes
    source = "pasted"
    if file is not None and file.filename:
        body = await file.read(limit + 1)
        source = "file"
    else:
        body = text.replace("\r\n", "\n").encode("utf-8")
    kept = body[: limit + 1].decode("utf-8", errors="replace") if source == "file" else text
    if not body.strip():
        return _rubrics_page(request, session, 422, text=kept, check_only=check_only,
                             upload_error="Choose a rubric file or paste its YAML text.")
    try:
        yaml_text = rubric_admin.decode(body, limit)
        result = await run_in_threadpool(rubric_admin.upload, session, admin, yaml_text, check_only)
    except ApiError as exc:
        if exc.spec.code not in ("invalid_rubric", "rubric_too_large", "rubric_version_exists"):
            raise
        problems = [_problem(p, kept) for p in exc.errors or []]
        return _rubrics_page(request, session, exc.spec.status, text=kept if exc.spec.code != "rubric_too_large" else "",
                             check_only=check_only, upload_error=exc.detail if not problems else None,
                             problems=problems, from_file=source == "file")
    row = result.row
    if check_only:
        return _rubrics_page(request, session, text=kept, check_only=True, checked={
            "id": row.rubric_id, "version": row.version, "title": row.title,
            "stored": session.get(type(row), (row.rubric_id, row.version)) is not None}, from_file=source == "file")
    done = "added" if result.created else "unchanged"
    return _done(done, row.rubric_id, row.version)


def _done(done: str, rubric_id: str, version: str) -> Response:
    query = urlencode({"done": done, "id": rubric_id, "version": version})
    return RedirectResponse(f"/admin/rubrics?{query}", status_code=303)


def _problem(p: dict[str, Any], text: str) -> dict[str, Any]:
    line = p.get("line")
    lines = text.splitlines()
    quoted = lines[line - 1].strip() if isinstance(line, int) and 0 < line <= len(lines) else ""
    return {"line": line, "field": p.get("field") or "", "msg": p.get("msg", ""), "quoted": quoted[:120]}


@router.post("/admin/rubrics/{rubric_id}/versions/{version}/retire", dependencies=[Csrf])
def retire(rubric_id: str, version: str, session: DB, admin: Admin) -> Response:
    rubric_admin.set_retired(session, admin, rubric_id, version, True)
    return _done("retired", rubric_id, version)


@router.post("/admin/rubrics/{rubric_id}/versions/{version}/restore", dependencies=[Csrf])
def restore(rubric_id: str, version: str, session: DB, admin: Admin) -> Response:
    rubric_admin.set_retired(session, admin, rubric_id, version, False)
    return _done("restored", rubric_id, version)


# --- shared and duplicate evidence (service/duplicates.py) ---------------------------------------

@router.get("/admin/duplicates")
def duplicates_page(request: Request, session: DB, admin: Admin, done: str | None = None) -> Response:
    from .. import duplicates

    notice = {"approved": "Approved as shared evidence.", "withdrawn": "Approval withdrawn."}.get(done or "")
    return render(request, "admin/duplicates.html", nav="admin", title="Shared and duplicate evidence",
                  matches=duplicates.recent(session), shared=duplicates.shared_list(session), notice=notice)


@router.post("/admin/shared-evidence", dependencies=[Csrf])
def approve_shared(session: DB, admin: Admin, sha256: Annotated[str, Form()] = "",
                   note: Annotated[str, Form()] = "") -> Response:
    from .. import duplicates

    duplicates.approve(session, admin, sha256, note or None)
    session.commit()
    return RedirectResponse("/admin/duplicates?done=approved", status_code=303)


@router.post("/admin/shared-evidence/{sha256}/withdraw", dependencies=[Csrf])
def withdraw_shared(sha256: str, session: DB, admin: Admin) -> Response:
    from .. import duplicates

    duplicates.withdraw(session, admin, sha256)
    session.commit()
    return RedirectResponse("/admin/duplicates?done=withdrawn", status_code=303)
