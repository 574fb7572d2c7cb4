"""Assemble the ``Report`` from the pipeline's context and the checks' flags.

The only place that turns flag codes into messages, so wording stays in flags.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import datetime, timezone

from .. import flags as flagdefs
from ..checks.base import RaisedFlag, ScreeningContext
from ..models import ModelInfo
from ..passages import Passage
from ..privacy import PassageRedactor
from ..wordcount import count_words
from .readiness import readiness
from .model import (
    CalibrationInfo,
    DetailResult,
    EOResult,
    Evidence,
    FileEntry,
    MediaEntry,
    Flag,
    Location,
    ModelRef,
    PartSummary,
    Report,
    RubricRef,
    Summary,
    ToolInfo,
)

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _evidence(p: Passage, score: float, redact: PassageRedactor) -> Evidence:
    return Evidence(
        file=p.file, part=p.part, page=p.page, paragraph=p.paragraph, start_s=p.start_s, end_s=p.end_s,
        char_start=p.char_start, char_end=p.char_end, fragment=p.fragment, text=redact(p.text), score=score,
    )


def _flag(raised: RaisedFlag) -> Flag:
    code = flagdefs.get(raised.code)
    message, hint = flagdefs.render(raised.code, raised.params)
    location = Location(**raised.location) if raised.location else None
    if location is not None and location.label is None and location.page is not None:
        location.label = f"p. {location.page}"
    severity = code.severity.value
    if raised.severity is not None and _SEVERITY_ORDER[raised.severity] > _SEVERITY_ORDER[severity]:
        severity = raised.severity
    if raised.note:
        message = f"{message} {raised.note}"
    return Flag(
        code=raised.code, severity=severity, message=message, hint=hint, check=raised.check,
        eo=raised.eo, detail_id=raised.detail_id, part=raised.part, file=raised.file, location=location,
    )


def build_report(
    ctx: ScreeningContext, raised: list[RaisedFlag], check_names: list[str], model: ModelInfo, version: str,
    calibration: CalibrationInfo | None = None,
) -> Report:
    rubric = ctx.rubric
    passages_per_file = Counter(p.file for p in ctx.passages)
    files = [
        FileEntry(
            name=doc.name, part=f.part, role=f.role, kind=doc.kind.value, sha256=doc.sha256,
            size_bytes=doc.size_bytes, pages=doc.page_count,
            pages_read=len(doc.pages) if doc.page_count is not None else None,
            words=count_words(doc.text), passages=passages_per_file.get(doc.name, 0),
            readable=doc.readable, encoding=doc.encoding,
            media=MediaEntry(**asdict(doc.media)) if doc.media is not None else None,
        )
        for f, doc in ctx.files
    ]
    parts = []
    for part in rubric.parts:
        names = [f.name for f, _ in ctx.files if f.part == part.kind]
        words = ctx.words_by_part.get(part.kind, 0)
        parts.append(
            PartSummary(
                part=part.kind, title=part.title, files=names, words=words,
                minimum=part.word_minimum, maximum=part.word_maximum,
                meets_minimum=None if part.word_minimum is None else words >= part.word_minimum,
            )
        )
    redact = PassageRedactor(ctx.files, ctx.privacy)  # quoted text never repeats students' data
    details = [
        DetailResult(
            id=ev.detail_id, eo=ev.eo, text=ev.text, derived=ev.derived, status=ev.status.value,
            best_score=ev.best_score, evidence=[_evidence(m.passage, m.score, redact) for m in ev.evidence],
            features=ev.features,
        )
        for ev in ctx.evidence
    ]
    eos = []
    for eo in rubric.essential_outcomes:
        statuses = Counter(d.status for d in details if d.eo == eo.id)
        eos.append(
            EOResult(id=eo.id, title=eo.title, text=eo.text, details=[d.id for d in eo.details],
                     statuses={s: statuses.get(s, 0) for s in ("met", "weak", "missing")})
        )
    flags = sorted(
        (_flag(r) for r in raised),
        key=lambda f: (_SEVERITY_ORDER[f.severity], f.eo or "", f.detail_id or "", f.file or "", f.code),
    )
    status_counts = Counter(d.status for d in details)
    summary = Summary(
        details=len(details), met=status_counts.get("met", 0), weak=status_counts.get("weak", 0),
        missing=status_counts.get("missing", 0),
        flags={s: sum(1 for f in flags if f.severity == s) for s in ("error", "warning", "info")},
        files=len(files), files_unreadable=sum(1 for f in files if not f.readable),
    )
    return Report(
        generated_at=datetime.now(timezone.utc).replace(microsecond=0),
        tool=ToolInfo(version=version),
        rubric=RubricRef(id=rubric.id, version=rubric.version, content_hash=rubric.content_hash, title=rubric.title),
        models={"embedding": ModelRef(name=model.name, revision=model.revision, backend=model.backend)},
        checks=check_names,
        settings=ctx.settings.public_dict(),
        readiness=readiness(details, parts, flags, ctx.settings.report.max_fixes),
        summary=summary, files=files, parts=parts, eos=eos, details=details, flags=flags,
        calibration=calibration or CalibrationInfo(method="thresholds", reason="no calibration was looked up"),
    )
