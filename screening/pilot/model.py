"""The pilot data model (format ``mc-pilot/1``). docs/pilot-data.md describes every field.

Nothing here identifies a candidate: submissions carry a pseudonym (``ref``), assessors a
pseudonym, and no text of the submission appears, only statuses, scores, counts and flag codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FORMAT = "mc-pilot/1"

Status = Literal["met", "weak", "missing"]
FlagDecision = Literal["confirmed", "overridden"]
MarkingRole = Literal["first", "second", "reconciler"]
Outcome = Literal["earned", "not_yet"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PilotRubricDetail(_Model):
    id: str
    eo: str
    text: str


class PilotRubric(_Model):
    """The rubric version the submissions were screened and judged against (its wording is public)."""

    id: str
    version: str
    content_hash: str = ""
    levels: list[str] = Field(description="Proficiency level ids, highest first.", min_length=2)
    required_level: str
    details: list[PilotRubricDetail] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "PilotRubric":
        if self.required_level not in self.levels:
            raise ValueError(f"required_level '{self.required_level}' is not one of the levels {self.levels}")
        ids = [d.id for d in self.details]
        if len(ids) != len(set(ids)):
            raise ValueError(f"rubric {self.id} {self.version} lists a detail twice")
        return self

    @property
    def eos(self) -> list[str]:
        return list(dict.fromkeys(d.eo for d in self.details))


class PilotDetail(_Model):
    """The screener's advice on one EO detail of one submission."""

    detail_id: str
    eo: str
    advisory_status: Status
    best_score: float | None = None
    features: dict[str, float] = Field(default_factory=dict, description="Mapping features (report 1.2+), for calibration.")
    evidence: list[str] = Field(default_factory=list, description="Keys of the passages offered as evidence (hashes, no text).")


class PilotFlag(_Model):
    ref: str = Field(description="Unique within the submission; judgments refer to it.")
    code: str
    detail_id: str | None = None
    eo: str | None = None
    part: str | None = None


class Judgment(_Model):
    """One assessor's decisions on one submission. A key left out was not rated."""

    assessor: str = Field(description="Pseudonym, stable across submissions within one export.")
    role: MarkingRole = "first"
    details: dict[str, Status] = Field(default_factory=dict)
    eo_levels: dict[str, str] = Field(default_factory=dict)
    flags: dict[str, FlagDecision] = Field(default_factory=dict)


class PilotSubmission(_Model):
    ref: str = Field(description="Pseudonym of the submission version.")
    rubric_id: str
    rubric_version: str
    version: int = 1
    submitted_month: str = ""
    words_by_part: dict[str, int] = Field(default_factory=dict)
    files: int = 0
    size_bytes: int = 0
    details: list[PilotDetail] = Field(default_factory=list)
    flags: list[PilotFlag] = Field(default_factory=list)
    judgments: list[Judgment] = Field(default_factory=list)
    outcome: Outcome | None = Field(None, description="From the released decision; None while undecided.")


class PilotData(_Model):
    format: Literal["mc-pilot/1"] = FORMAT
    generated_at: datetime | None = None
    rubrics: list[PilotRubric]
    submissions: list[PilotSubmission]

    @model_validator(mode="after")
    def _references(self) -> "PilotData":
        rubrics = {(r.id, r.version): r for r in self.rubrics}
        problems: list[str] = []
        refs: set[str] = set()
        for s in self.submissions:
            if s.ref in refs:
                problems.append(f"submission {s.ref} appears twice")
            refs.add(s.ref)
            rubric = rubrics.get((s.rubric_id, s.rubric_version))
            if rubric is None:
                problems.append(f"submission {s.ref}: rubric {s.rubric_id} {s.rubric_version} is not in `rubrics`")
                continue
            detail_ids = {d.id for d in rubric.details}
            flag_refs = {f.ref for f in s.flags}
            for d in s.details:
                if d.detail_id not in detail_ids:
                    problems.append(f"submission {s.ref}: detail {d.detail_id} is not in rubric {s.rubric_id} {s.rubric_version}")
            for j in s.judgments:
                problems += [f"submission {s.ref}, assessor {j.assessor}: detail {k} is not in the rubric"
                             for k in j.details if k not in detail_ids]
                problems += [f"submission {s.ref}, assessor {j.assessor}: EO {k} is not in the rubric"
                             for k in j.eo_levels if k not in rubric.eos]
                problems += [f"submission {s.ref}, assessor {j.assessor}: level '{v}' of EO {k} is not one of {rubric.levels}"
                             for k, v in j.eo_levels.items() if v not in rubric.levels]
                problems += [f"submission {s.ref}, assessor {j.assessor}: flag {k} is not a flag of the submission"
                             for k in j.flags if k not in flag_refs]
        if problems:
            raise ValueError("; ".join(problems[:20]) + (f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""))
        return self

    def rubric_of(self, submission: PilotSubmission) -> PilotRubric:
        return next(r for r in self.rubrics if (r.id, r.version) == (submission.rubric_id, submission.rubric_version))
