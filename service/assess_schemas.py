"""Request and response bodies of the assessor workflow (queue, review, decisions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .schemas import FileOut

Stage = Literal["first", "second", "reconcile", "released"]
Comment = Field(None, max_length=4000)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClaimOut(BaseModel):
    claimed: bool = Field(description="Someone holds a live claim.")
    by_me: bool
    expires_at: datetime | None = Field(description="When the caller's claim ends (only shown to its holder and admins).")


class QueueItem(BaseModel):
    submission_id: str
    rubric_id: str
    version: int
    previous_id: str | None
    job_id: str = Field(description="The screening whose report is judged.")
    submitted_at: datetime | None
    waiting_s: int = Field(description="Seconds since the candidate submitted.")
    stage: Stage
    double_marking: bool
    details: dict[str, int] = Field(description="Report's detail counts: met, weak, missing.")
    flags: dict[str, int] = Field(description="Flags by severity: error, warning, info.")
    flag_codes: dict[str, int] = Field(description="Flag code → count.")
    claim: ClaimOut
    assigned: bool
    assigned_to_me: bool
    assigned_to: str | None = Field(None, description="Admins only: the assessor it is assigned to.")
    claimable: bool = Field(description="The caller may claim it now.")
    agreement: float | None = Field(description="Share of details and EO levels on which the two markers agree.")
    needs_reconciliation: bool = Field(description="Two markings are in and agree less than service.agreement_bar.")
    attempt: int | None = Field(None, description="Which attempt at this MC the submission is (its candidate's "
                                "submitted versions up to it, counted anew after a coaching meeting); null unless "
                                "the candidate follows a program that limits attempts at it.")
    attempts_limit: int | None = Field(None, description="That program's attempts before coaching (the strictest, "
                                       "when several apply); null with attempt.")
    coaching_required: bool = Field(False, description="attempt has reached attempts_limit: if this attempt does "
                                    "not earn the MC, the candidate needs a coaching meeting before another.")


class Queue(BaseModel):
    total: int = Field(description="Matches on every page.")
    by_stage: dict[str, int] = Field(description="Matches per stage (every page).")
    claimable: int = Field(description="Matches the caller may claim now (every page).")
    needs_reconciliation: int
    page: int = Field(1, description="This page's number (1: the first; with a cursor, counted from where the "
                                     "cursor paging started: a guide, since submissions come and go).")
    per_page: int = Field(description="Items per page at most.")
    pages: int = Field(description="Pages in all (at least 1).")
    items: list[QueueItem] = Field(description="This page's matches, in the order asked for.")
    next_cursor: str | None = Field(None, description="Pass as `cursor` (same filters and sort) for the next page; "
                                                      "null on the last page.")
    prev_cursor: str | None = Field(None, description="Pass as `cursor` for the previous page; null on the first.")


class Assign(_In):
    assessor_id: str | None = Field(description="An assessor's user id; null removes the assignment.")


class AssessmentState(BaseModel):
    submission_id: str
    stage: Stage
    double_marking: bool
    claim: ClaimOut
    assigned: bool
    assigned_to_me: bool
    agreement: float | None


class FlagJudgment(_In):
    decision: Literal["confirmed", "overridden"]
    comment: str | None = Comment


class DetailJudgment(_In):
    status: Literal["met", "weak", "missing"] = Field(description="The advisory status to confirm it, another to change it.")
    comment: str | None = Comment


class LevelJudgment(_In):
    level: str = Field(min_length=1, max_length=64, description="One of the rubric's proficiency level ids.")
    comment: str | None = Comment


class DecisionIn(_In):
    flags: dict[str, FlagJudgment] = Field(default_factory=dict, description="Flag ref (f1, f2, … in the report's "
                                           "order) → confirmed or overridden.")
    details: dict[str, DetailJudgment] = Field(default_factory=dict, description="Detail id → evidence status.")
    eo_levels: dict[str, LevelJudgment] = Field(default_factory=dict, description="EO id → proficiency level.")


class RubricPin(BaseModel):
    id: str
    version: str
    content_hash: str


class DecisionOut(BaseModel):
    id: str
    submission_id: str
    assessor_id: str
    role: Literal["first", "second", "reconciler"]
    state: Literal["draft", "final"]
    job_id: str = Field(description="The screening report the decision was made on.")
    rubric: RubricPin = Field(description="The exact rubric the decision was made on (a snapshot is kept).")
    flags: dict[str, Any]
    details: dict[str, Any]
    eo_levels: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    finalised_at: datetime | None


class PreviousVersion(BaseModel):
    submission_id: str
    version: int
    job_id: str | None = Field(description="The previous version's screening report.")
    decision: DecisionOut | None = Field(description="Its released decision, if one was released.")


class Review(BaseModel):
    """What an assessor works from: anonymised (files by alias, no candidate name or email)."""

    assessment: AssessmentState
    rubric_id: str
    version: int
    submitted_at: datetime | None
    job_id: str
    report: dict[str, Any] = Field(description="The screening report, anonymised; flags carry their ref.")
    files: list[FileOut]
    my_decision: DecisionOut | None
    previous: PreviousVersion | None = Field(description="For a resubmission: the version before it.")
    diff: dict[str, Any] | None = Field(None, description="What changed since the previous version's report.")
