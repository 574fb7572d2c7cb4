"""One error format for the whole API: ``application/problem+json`` (RFC 9457) with a stable code.

Every error response carries ``type``, ``title``, ``status``, ``detail`` and ``code``. Codes are a
public interface (docs/service.md lists them): never renamed or reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Code:
    code: str
    status: int
    title: str


_CODES = [
    Code("malformed_json", 400, "The request body is not valid JSON."),
    Code("unauthenticated", 401, "Sign in first: send `Authorization: Bearer <token>`."),
    Code("invalid_token", 401, "The token is unknown or was signed out."),
    Code("token_expired", 401, "The token has expired: sign in again."),
    Code("invalid_credentials", 401, "The email or password is wrong."),
    Code("too_many_attempts", 429, "Too many failed sign-ins: wait before trying again (see Retry-After)."),
    Code("forbidden", 403, "Your role may not do this."),
    Code("not_found", 404, "Nothing here, or nothing you may see."),
    Code("method_not_allowed", 405, "This method is not allowed here."),
    Code("email_taken", 409, "A user with this email exists already."),
    Code("last_admin", 409, "This is the only admin: make another user admin before changing this one's role."),
    Code("not_a_draft", 409, "The submission was submitted: it can no longer change."),
    Code("already_submitted", 409, "The submission was submitted already."),
    Code("no_files", 409, "The submission has no files yet: upload at least one."),
    Code("not_resubmittable", 409, "Only the newest submitted version can be resubmitted."),
    Code("too_many_files", 409, "The submission holds the most files allowed."),
    Code("duplicate_file_name", 409, "The submission holds a file of this name already."),
    Code("job_not_finished", 409, "The job has not finished: poll its status."),
    Code("job_failed", 409, "The job failed, so there is no report: see the job's error."),
    Code("upload_too_large", 413, "The file is larger than the upload limit."),
    Code("unsupported_file_type", 415, "This type of file is not accepted for this part."),
    Code("invalid_request", 422, "The request is invalid."),
    Code("unknown_rubric", 422, "No rubric has this id."),
    Code("unsafe_file_name", 422, "The file name is empty, too long, or holds a path or control characters."),
    Code("empty_file", 422, "The file is empty."),
    Code("invalid_rubric", 422, "The rubric file is invalid: see `errors` for each problem, with its line and field."),
    Code("rubric_version_exists", 409, "This rubric version is stored already with other content: give the rubric a new version."),
    Code("rubric_too_large", 413, "The rubric file is larger than the limit."),
    Code("internal_error", 500, "Something went wrong on the server; it has been logged."),
    # The assessor workflow (issue 7).
    Code("not_screened", 409, "The submission's screening has not finished, so it cannot be assessed yet."),
    Code("claim_held", 409, "Another assessor holds the claim on this submission."),
    Code("assigned_elsewhere", 409, "The submission is assigned to another assessor."),
    Code("already_marked", 409, "You marked this submission already: the next marker must be someone else."),
    Code("reconciler_only", 409, "An admin claims or reads a submission only to reconcile two markings."),
    Code("already_released", 409, "The decision on this submission was released: it can no longer change."),
    Code("no_claim", 409, "You do not hold the claim on this submission: claim it first."),
    Code("claim_expired", 409, "Your claim on this submission expired: claim it again."),
    Code("unknown_level", 422, "The level is not one of the rubric's proficiency levels."),
    Code("unknown_target", 422, "No such flag, detail or essential outcome in this submission's report and rubric."),
    Code("undecided_flags", 409, "Every flag must be confirmed or overridden before release."),
    Code("undecided_details", 409, "Every detail's evidence status must be confirmed or changed before release."),
    Code("undecided_levels", 409, "Every essential outcome needs a proficiency level before release."),
    Code("decision_sealed", 403, "The other marker's decision stays sealed until both markings are in."),
    Code("not_an_assessor", 422, "Submissions can be assigned to assessors only."),
    Code("not_released", 409, "No decision on this submission has been released yet."),
    Code("not_earned", 409, "The released decision does not reach the required level, so no credential is issued."),
    Code("download_unavailable", 409, "This type of file cannot be cleaned of identifying metadata, so it is not offered."),
    # Erasure on request (issue 18).
    Code("not_a_candidate", 409, "Only a candidate's data is erased on request; this account is staff."),
    Code("screening_in_progress", 409, "One of the candidate's submissions is being screened: erase again when it has finished."),
    # Programs, stacks and pathways (issue 19).
    Code("program_rule", 409, "A rule of a program you follow does not allow this micro-credential now: a prerequisite, the limit on micro-credentials in progress, or a coaching meeting first."),
    Code("stack_incomplete", 409, "The stack or pathway is not complete yet, so no credential is issued."),
]
CODES: dict[str, Code] = {c.code: c for c in _CODES}


class Problem(BaseModel):
    """The body of every error response."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None


class ApiError(Exception):
    def __init__(self, code: str, detail: str | None = None, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.spec = CODES[code]  # an unknown code is a programming error: fail loudly
        self.detail = detail or self.spec.title
        self.errors = errors
        self.headers = headers
        super().__init__(f"{code}: {self.detail}")


def problem_response(code: str, detail: str | None = None, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    spec = CODES[code]
    body = Problem(type=f"/docs/service.md#{spec.code}", title=spec.title, status=spec.status,
                   detail=detail or spec.title, code=spec.code, errors=errors)
    if spec.status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JSONResponse(body.model_dump(exclude_none=True), status_code=spec.status, media_type=PROBLEM_JSON,
                        headers=headers)


_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden",
                 413: "upload_too_large", 415: "unsupported_file_type", 400: "invalid_request"}


def _plain_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()]


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return problem_response(exc.spec.code, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _plain_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response("malformed_json", "The request body is not valid JSON.", errors)
        where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return problem_response("invalid_request", where, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "invalid_request" if exc.status_code < 500 else "internal_error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path; a path served by several
            # routes (GET here, PUT there) allows all of theirs.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(code, None, headers=headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("service").exception("unhandled error", exc_info=exc)
        return problem_response("internal_error")


def _routes(routes: list[Any]) -> Iterator[Any]:
    """Every route, also inside included routers (FastAPI keeps those as wrappers of the original)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


def allowed_methods(request: Request) -> list[str]:
    from starlette.routing import Match

    methods: set[str] = set()
    scope = {**request.scope, "method": "OPTIONS"}  # no route serves OPTIONS: every path match is PARTIAL
    for route in _routes(request.app.router.routes):
        if not hasattr(route, "matches"):
            continue
        match, _ = route.matches(scope)
        if match in (Match.PARTIAL, Match.FULL):
            methods |= set(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def problem_responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the codes an endpoint can return."""
    out: dict[int | str, dict[str, Any]] = {}
    for c in codes:
        spec = CODES[c]
        entry = out.setdefault(spec.status, {"model": Problem, "description": "", "content": {PROBLEM_JSON: {}}})
        entry["description"] = (entry["description"] + " " if entry["description"] else "") + f"`{c}`: {spec.title}"
    return out
