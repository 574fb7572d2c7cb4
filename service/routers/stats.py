from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from .. import stats as counting
from ..deps import DB, require
from ..errors import problem_responses
from ..models import User
from ..schemas import Stats

router = APIRouter(prefix="/api/stats", tags=["stats"])
Designer = Annotated[User, Depends(require("program_designer", "admin"))]


@router.get("", response_model=Stats, responses=problem_responses("unauthenticated", "token_expired", "forbidden"))
def stats(session: DB, _: Designer) -> Stats:
    """Program designers and admins: counts only, nothing that identifies a candidate."""
    return counting.counts(session)
