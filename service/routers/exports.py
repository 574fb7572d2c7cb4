from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from .. import rubric_store
from ..deps import DB, require
from ..errors import ApiError, problem_responses
from ..models import User
from ..pilot_export import pilot_data, pilot_zip, screening_rows
from ..schemas import ExportRow

router = APIRouter(prefix="/api/exports", tags=["exports"])
Designer = Annotated[User, Depends(require("program_designer", "admin"))]


@router.get("/screenings", response_model=list[ExportRow],
            responses=problem_responses("unauthenticated", "token_expired", "forbidden"))
def screenings(session: DB, _: Designer) -> list[ExportRow]:
    """Program designers and admins: one de-identified row per screened submission: no candidate,
    no file names, no text; EO detail statuses, flag counts and words per part."""
    return screening_rows(session)


@router.get("/pilot", response_class=Response,
            responses={200: {"description": "format=json: the pilot data (mc-pilot/1); format=zip: pilot.json and "
                             "the CSV tables", "content": {"application/json": {}, "application/zip": {}}},
                       **problem_responses("unauthenticated", "token_expired", "forbidden", "unknown_rubric",
                                           "invalid_request")})
def pilot(session: DB, _: Designer,
          rubric_id: Annotated[str, Query(min_length=1, max_length=200, description="The MC.")],
          format: Annotated[Literal["json", "zip"], Query(description="json, or zip of JSON and CSV tables.")] = "json",
          ) -> Response:
    """Program designers and admins: pilot data for one MC (docs/pilot-data.md): per screened
    submission the advisory statuses and flags beside each assessor's final judgments (assessors
    pseudonymised, roles first / second / reconciler) and the released outcome. De-identified: no
    ids, names, file names, text or comments."""
    if not rubric_store.versions(session, rubric_id):
        raise ApiError("unknown_rubric", f"No rubric {rubric_id!r}.")
    data = pilot_data(session, rubric_id)
    if format == "json":
        return Response(data.model_dump_json(indent=2), media_type="application/json")
    return Response(pilot_zip(data), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="pilot-{rubric_id}.zip"'})
