"""What every check sees and returns.

A check reads the ``ScreeningContext`` and returns ``RaisedFlag``s; it writes nothing (only the
report builder turns flags into report entries, with their messages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np

from ..documents import Document
from ..echo import Echo
from ..mapping import DetailEvidence
from ..passages import Passage
from ..privacy import PageFindings
from ..rubric import Rubric
from ..selfanalysis import SelfAnalysis
from ..settings import Settings
from ..submission import SubmissionFile


@dataclass(frozen=True)
class RaisedFlag:
    code: str
    check: str
    params: dict[str, object] = field(default_factory=dict)
    eo: str | None = None
    detail_id: str | None = None
    part: str | None = None
    file: str | None = None
    location: dict[str, object] | None = None  # fields of report.model.Location
    # A lower severity than the code's own, where the check knows the flag is guidance only
    # (a derived detail of an EO that is evidenced as a whole); never a higher one.
    severity: str | None = None
    note: str | None = None  # a sentence appended to the rendered message


@dataclass(frozen=True)
class ScreeningContext:
    rubric: Rubric
    settings: Settings
    files: tuple[tuple[SubmissionFile, Document], ...]
    ignored: tuple[str, ...]
    passages: tuple[Passage, ...]
    evidence: tuple[DetailEvidence, ...]
    words_by_part: dict[str, int]
    # Scores of every evidence-usable passage (rows, in this order) for every detail (columns,
    # in rubric order), after competition: what checks compare cited places against.
    scored_passages: tuple[Passage, ...] = ()
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    raw_scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))  # no competition
    self_analyses: tuple[tuple[SubmissionFile, SelfAnalysis], ...] = ()
    # Passages that restate the rubric (screening/echo.py): excluded from evidence and scores.
    echoes: tuple[Echo, ...] = ()
    privacy: tuple[PageFindings, ...] = ()  # likely student personal data, per page with any

    @classmethod
    def fields(cls) -> frozenset[str]:
        return frozenset(cls.__dataclass_fields__)


class Check(Protocol):
    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]

    def run(self, ctx: ScreeningContext) -> list[RaisedFlag]: ...
