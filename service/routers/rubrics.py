from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from screening.exports.case import rubric_to_case
from screening.exports.openbadges import rubric_achievement
from .. import rubric_admin, rubric_store
from ..deps import DB, CurrentUser, State, require
from ..errors import ApiError, problem_responses
from ..models import RubricVersion, User
from ..schemas import RubricOut, RubricVersionOut

router = APIRouter(prefix="/api/rubrics", tags=["rubrics"])
Admin = Annotated[User, Depends(require("admin"))]
_AUTH = ("unauthenticated", "token_expired")
_YAML_BODY = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}}}}


def version_out(row: RubricVersion) -> RubricVersionOut:
    return RubricVersionOut(id=row.rubric_id, version=row.version, title=row.title, content_hash=row.content_hash,
                            source=row.source, created_at=row.created_at,  # type: ignore[arg-type]
                            retired=row.retired_at is not None)


@router.get("", response_model=list[RubricOut], responses=problem_responses(*_AUTH))
def list_rubrics(session: DB, _: CurrentUser) -> list[RubricOut]:
    """The MCs a submission can be made for, each at the version new drafts get."""
    return [RubricOut(id=r.rubric_id, version=r.version, title=r.title) for r in rubric_store.current_versions(session)]


@router.get("/{rubric_id}/versions", response_model=list[RubricVersionOut],
            responses=problem_responses(*_AUTH, "not_found"))
def list_versions(rubric_id: str, session: DB, _: CurrentUser) -> list[RubricVersionOut]:
    """Every stored version of a rubric, newest first, retired ones included."""
    rows = rubric_store.versions(session, rubric_id)
    if not rows:
        raise ApiError("not_found", f"No rubric {rubric_id!r}.")
    return [version_out(r) for r in rows]


@router.get("/{rubric_id}/versions/{version}", responses={
    200: {"description": "The rubric (the fields of docs/rubric-format.md, plus content_hash)."},
    **problem_responses(*_AUTH, "not_found")})
def get_version(rubric_id: str, version: str, session: DB, _: CurrentUser) -> dict[str, Any]:
    """One rubric version in full, as JSON."""
    row = rubric_admin.stored(session, rubric_id, version)
    rubric = rubric_store.load(session, row.rubric_id, row.version)
    return rubric.model_dump(mode="json", exclude={"path"})  # type: ignore[union-attr]


@router.get("/{rubric_id}/versions/{version}/export", responses={
    200: {"description": "The rubric as an Open Badges 3.0 Achievement (`format=ob3`) or a CASE CFRubric "
                         "(`format=case`); docs/exports.md."},
    **problem_responses(*_AUTH, "not_found", "invalid_request")})
def export_version(rubric_id: str, version: str, session: DB, state: State, _: CurrentUser,
                   format: Annotated[Literal["ob3", "case"], Query(description="ob3 or case")]) -> dict[str, Any]:
    """One rubric version in an open standard, with ids under the setting `exports.base_url`."""
    row = rubric_admin.stored(session, rubric_id, version)
    rubric = rubric_store.load(session, row.rubric_id, row.version)
    base_url = state.settings.exports.base_url
    if format == "ob3":
        return rubric_achievement(rubric, base_url=base_url)  # type: ignore[arg-type]
    return rubric_to_case(rubric, base_url=base_url, last_change=row.created_at)  # type: ignore[arg-type]


@router.post("", status_code=201, response_model=RubricVersionOut, openapi_extra=_YAML_BODY,
             responses={200: {"description": "This exact version was stored already (nothing changed).",
                              "model": RubricVersionOut},
                        **problem_responses(*_AUTH, "forbidden", "invalid_rubric", "rubric_version_exists",
                                            "rubric_too_large")})
async def upload_rubric(
    request: Request, response: Response, session: DB, state: State, admin: Admin,
    dry_run: Annotated[bool, Query(description="Validate only; store nothing.")] = False,
) -> RubricVersionOut:
    """Admin: add a rubric, or a new version of one, from its YAML file (docs/rubric-format.md).
    New drafts get the highest version that is not retired; existing submissions keep theirs."""
    limit = state.settings.service.max_rubric_bytes
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError("rubric_too_large", f"The rubric file is larger than {limit} bytes.")
    text = rubric_admin.decode(bytes(body), limit)
    # Parsing and the database run in the thread pool, so an upload never stalls the event loop.
    result = await run_in_threadpool(rubric_admin.upload, session, admin, text, dry_run)
    response.status_code = 201 if result.created else 200
    return version_out(result.row)


@router.post("/{rubric_id}/versions/{version}/retire", response_model=RubricVersionOut,
             responses=problem_responses(*_AUTH, "forbidden", "not_found"))
def retire_version(rubric_id: str, version: str, session: DB, admin: Admin) -> RubricVersionOut:
    """Admin: new drafts can no longer use this version; submissions pinned to it keep it."""
    return version_out(rubric_admin.set_retired(session, admin, rubric_id, version, True))


@router.post("/{rubric_id}/versions/{version}/restore", response_model=RubricVersionOut,
             responses=problem_responses(*_AUTH, "forbidden", "not_found"))
def restore_version(rubric_id: str, version: str, session: DB, admin: Admin) -> RubricVersionOut:
    """Admin: undo a retirement."""
    return version_out(rubric_admin.set_retired(session, admin, rubric_id, version, False))
