from __future__ import annotations

from fastapi import APIRouter

from ..deps import CurrentUser, State
from ..errors import problem_responses
from ..schemas import RubricOut

router = APIRouter(prefix="/api/rubrics", tags=["rubrics"])


@router.get("", response_model=list[RubricOut], responses=problem_responses("unauthenticated", "token_expired"))
def list_rubrics(state: State, _: CurrentUser) -> list[RubricOut]:
    """The MCs a submission can be made for (the bundled rubrics unless configured otherwise)."""
    return [RubricOut(id=r.id, version=r.version, title=r.title) for r in state.catalogue.list()]
