"""The advisory report: a versioned JSON document with a published JSON Schema.

The stable core, which other tools read, is ``schema_version``, ``rubric``, ``parts``,
``details`` and ``flags``; 1.1 added ``readiness``; 1.2 added ``details[].features`` and ``calibration``. Fields are added in minor versions (1.x); a field is never renamed or
removed without a new major ``schema_version``. Markdown and HTML are rendered from this model
only, never from pipeline internals.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.2"
# Earlier minor versions a stored report may carry: every field added since has a default.
# (1.0 lacks ``readiness``, which has none.)
READABLE_VERSIONS = ("1.1", SCHEMA_VERSION)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RubricRef(_Model):
    id: str
    version: str
    content_hash: str = Field(description="sha256 of the rubric's canonical JSON (sorted keys).")
    title: str


class ToolInfo(_Model):
    name: str = "mc-screening"
    version: str


class ModelRef(_Model):
    name: str
    revision: str = Field(description="Fingerprint of the model files.")
    backend: str | None = Field(
        None, description="What computed the vectors: torch-fp32, torch-bf16, openvino-fp32 or openvino-bf16 "
        "(all within cosine 0.999 of torch-fp32; docs/speed.md).",
    )


class Location(_Model):
    """Where something is inside a file. Every field is optional; ``label`` is for people,
    ``fragment`` is a URI fragment (``#page=3``, ``#t=65,90``, ``#char=10,200``)."""

    page: int | None = None
    pages: list[int] | None = None
    start_s: float | None = None
    end_s: float | None = None
    char_start: int | None = None
    char_end: int | None = None
    fragment: str | None = None
    label: str | None = None
    row: int | None = Field(None, description="Row of the evidence self-analysis the flag comes from.")


class MediaEntry(_Model):
    duration_s: float | None
    speech_s: float = Field(description="Seconds of detected speech.")
    language: str | None
    language_probability: float | None
    low_confidence_s: float = Field(description="Seconds of speech in low-confidence transcript segments.")
    model: str = Field(description="Speech model name and fingerprint.")


class FileEntry(_Model):
    name: str
    part: str
    role: Literal["narrative", "reflection", "artifact", "self_analysis"]
    kind: str = Field(description="Type decided by content: pdf, docx, text, markdown, or what it was recognised as.")
    sha256: str
    size_bytes: int
    pages: int | None = Field(None, description="Pages in the file (paged formats).")
    pages_read: int | None = None
    words: int
    passages: int
    readable: bool
    encoding: str | None = None
    media: MediaEntry | None = Field(None, description="Audio and video: duration, speech and language.")


class PartSummary(_Model):
    part: Literal["narrative", "portfolio", "reflection"]
    title: str
    files: list[str]
    words: int
    minimum: int | None
    maximum: int | None = None
    meets_minimum: bool | None = Field(description="None when the part has no minimum.")


class Evidence(_Model):
    file: str
    part: str
    page: int | None
    paragraph: int = Field(description="1-based paragraph number on the page, or in a page-less file.")
    start_s: float | None
    end_s: float | None
    char_start: int
    char_end: int
    fragment: str
    text: str
    score: float


class DetailResult(_Model):
    id: str
    eo: str
    text: str
    derived: bool
    status: Literal["met", "weak", "missing"]
    best_score: float | None
    evidence: list[Evidence]
    features: dict[str, float] = Field(
        default_factory=dict, description="Added in 1.2: the mapping's features for calibration (docs/calibration.md)."
    )


class EOResult(_Model):
    id: str
    title: str
    text: str
    details: list[str]
    statuses: dict[str, int] = Field(description="Count of details per status.")


class Flag(_Model):
    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    hint: str
    check: str = Field(description="Registered name of the check that raised it.")
    eo: str | None = None
    detail_id: str | None = None
    part: str | None = None
    file: str | None = None
    location: Location | None = None


class Summary(_Model):
    details: int
    met: int
    weak: int
    missing: int
    flags: dict[str, int] = Field(description="Count of flags per severity.")
    files: int
    files_unreadable: int


class Fix(_Model):
    priority: int = Field(description="1 is the fix most worth making first.")
    text: str = Field(description="What the candidate could do, in plain words.")
    codes: list[str] = Field(description="Flag codes this fix addresses.")
    flags: int = Field(description="Number of flags it addresses.")


class Readiness(_Model):
    """Counts and the fixes most worth making first (see screening/report/readiness.py)."""

    details_strong: int = Field(description="Details with passages found (status met).")
    details_weak: int = Field(description="Details only loosely addressed.")
    details_missing: int = Field(description="Details with no passage found.")
    citation_problems: int = Field(description="Flags about the evidence self-analysis and its citations.")
    word_minimum_problems: int
    privacy_warnings: int = Field(description="Places that appear to hold students' personal data.")
    echo_passages: int = Field(description="Paragraphs that restate the rubric (not counted as evidence).")
    file_problems: int = Field(description="Files or parts missing, unreadable or only partly read.")
    fixes: list[Fix]
    more_fixes: int = Field(description="Further kinds of fix not listed (see the flags).")


class CalibrationInfo(_Model):
    """How statuses were decided: the mapping's thresholds or a calibration (docs/calibration.md)."""

    method: Literal["thresholds", "logistic"]
    file: str | None = Field(None, description="The calibration file used.")
    rubric_version: str | None = None
    fitted_at: datetime | None = None
    n: int | None = Field(None, description="Units the calibration was fitted on.")
    reason: str = Field(description="Why this method: the calibration found, or why none was used.")


class Report(_Model):
    schema_version: Literal["1.2"] = SCHEMA_VERSION
    advisory: str = Field(
        "This report is advisory. It lists what an automated reading found and where; an assessor "
        "decides. It is not a judgment of the candidate or the submission."
    )
    generated_at: datetime
    tool: ToolInfo
    rubric: RubricRef
    models: dict[str, ModelRef]
    checks: list[str] = Field(description="Registered names of the checks that ran.")
    settings: dict[str, object]
    readiness: Readiness = Field(description="Added in 1.1: what to fix first.")
    summary: Summary
    files: list[FileEntry]
    parts: list[PartSummary]
    eos: list[EOResult]
    details: list[DetailResult]
    flags: list[Flag]
    calibration: CalibrationInfo = Field(
        default_factory=lambda: CalibrationInfo(method="thresholds", reason="not recorded"),
        description="Added in 1.2: thresholds or which calibration decided the statuses.",
    )


def load_report(data: str | bytes | dict[str, object]) -> Report:
    """A stored report as a ``Report`` of this version: a report of an earlier readable minor
    version (``READABLE_VERSIONS``) is read with the fields added since at their defaults
    (``calibration`` "not recorded", no ``features``). Raises pydantic's ``ValidationError``
    for anything else."""
    raw = json.loads(data) if isinstance(data, (str, bytes)) else dict(data)
    if isinstance(raw, dict) and raw.get("schema_version") in READABLE_VERSIONS:
        raw["schema_version"] = SCHEMA_VERSION
    return Report.model_validate(raw)


def json_schema() -> dict[str, object]:
    schema = Report.model_json_schema(mode="serialization")
    # A written report always carries every field (null where empty), so all are required.
    for obj in [schema, *schema.get("$defs", {}).values()]:
        if obj.get("type") == "object" and "properties" in obj:
            obj["required"] = sorted(obj["properties"])
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://mc-screening.example/schema/report-{SCHEMA_VERSION}.json"
    return schema
