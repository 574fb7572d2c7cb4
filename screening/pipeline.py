"""The screening pipeline: submission + rubric in, advisory report out.

Stages run in one direction: ingest -> passages -> mapping -> checks -> report. Each stage is a
plain function of the previous stage's output; this module only wires them and reports
progress.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from . import __version__, flags as flagdefs
from .calibration import apply as apply_calibration, calibration_for, mapping_features
from .claimed_evidence import (cited_details, claimed_details, claimed_weak, generally_claimed, located_by_claim,
                               unclaimed_missing)
from .checks import DEFAULT_CHECKS, RaisedFlag, ScreeningContext
from .checks.cited_for import with_cited_eos
from .documents import Document, FileKind
from .echo import find_echoes
from .embedding import get_embedder, owned_by
from .general_evidence import concrete_texts, general_only
from .ingest import ingest_file
from .ingest.sniff import sniff
from .mapping import DetailEvidence, Status, evidence_from_scores, score_matrices, usable_passages, with_uncompeted_closest
from .models import spacy_entity_pipeline, spacy_pipeline
from .passages import Passage, build_passages
from .privacy import (PageFindings, common_words_elsewhere, contacts_known_elsewhere, places_named_elsewhere, scan_documents,
                      staff_named_elsewhere)
from .registry import checks as check_table
from .report.build import build_report
from .report.model import Report
from .rubric import Rubric
from .selfanalysis import read_self_analysis
from .settings import Settings
from .submission import Submission, SubmissionFile
from .wordcount import count_words

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work advances (for progress displays)."""


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class ScreeningResult:
    report: Report
    context: ScreeningContext

    @property
    def any_readable(self) -> bool:
        return any(doc.readable for _, doc in self.context.files)


def ingest_submission(
    submission: Submission, settings: Settings, progress: Progress = _no_progress,
    on_read: Callable[[SubmissionFile, Document], None] | None = None,
) -> list[tuple[SubmissionFile, Document]]:
    """Every file of the submission read, in order; ``on_read`` is called with each as soon as
    it is read (work on it can start while the next file is read)."""
    cache = settings.cache_dir if settings.use_cache else None
    _transcribe_in_parallel(submission, settings, cache, progress)
    out: list[tuple[SubmissionFile, Document]] = []
    total = len(submission.files)
    for i, f in enumerate(submission.files):
        progress(f"reading {f.name}", i, total)

        def media_progress(done: float, length: float, name: str = f.name) -> None:
            progress(f"transcribing {name} ({done:.0f} of {length:.0f} s)", int(done), max(int(length), 1))

        doc = ingest_file(f.path, settings.limits, display_name=f.name, cache_dir=cache,
                          media=settings.media, progress=media_progress)
        if f.role == "self_analysis" and doc.kind == FileKind.SPREADSHEET:
            # A spreadsheet is a supported form of self-analysis (read by screening.selfanalysis),
            # though not a document whose prose is screened.
            doc = replace(doc, problems=tuple(p for p in doc.problems if p.code != "file_unsupported"))
        out.append((f, doc))
        if on_read is not None:
            on_read(f, doc)
    progress("read files", total, total)
    return out


def _transcribe_in_parallel(
    submission: Submission, settings: Settings, cache: Path | None, progress: Progress
) -> None:
    """With several recordings, transcribe them side by side first (about twice the aggregate
    throughput on 2 cores, bench/RESULTS.md); reading them afterwards hits the transcript cache."""
    if cache is None or settings.media.parallel_files < 2:
        return
    media_files = [f.path for f in submission.files if sniff(f.path).kind in (FileKind.AUDIO, FileKind.VIDEO)]
    if len(media_files) < 2:
        return
    from .media import transcribe_many

    def report(done: float, total: float) -> None:
        progress(f"transcribing {len(media_files)} recordings ({done:.0f} of {total:.0f} s)", int(done), max(int(total), 1))

    report(0, 0)
    transcribe_many(media_files, settings.media, cache, report)


def words_by_part(files: Sequence[tuple[SubmissionFile, Document]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f, doc in files:
        # The self-analysis is a table of citations, not prose toward a minimum.
        if f.role == "self_analysis":
            continue
        counts[f.part] = counts.get(f.part, 0) + count_words(doc.text)
    return counts


def find_personal_data(
    files: Sequence[tuple[SubmissionFile, Document]], settings: Settings, progress: Progress = _no_progress
) -> tuple[PageFindings, ...]:
    """Likely student personal data on every readable page and transcript, found once: checks
    flag it, the report redacts it from quoted passages."""
    cfg = settings.privacy
    readable = [(d, f.part) for f, d in files if d.readable]
    if not cfg.enabled or not readable:
        return ()
    progress("looking for student personal data", 0, 1)
    load_nlp = (lambda: spacy_entity_pipeline(settings.models)) if "student_name" in cfg.kinds else None
    found = scan_documents(readable, load_nlp, cfg.kinds, cfg.min_confidence, spoken_names=cfg.spoken_names,
                           other_language_names=cfg.other_language_names)
    progress("looking for student personal data", 1, 1)
    return found


def run_checks(ctx: ScreeningContext, names: Sequence[str] = DEFAULT_CHECKS) -> list[RaisedFlag]:
    available = ScreeningContext.fields()
    raised: list[RaisedFlag] = []
    for name in names:
        check = check_table.get(name)()
        missing = set(check.requires) - available
        if missing:
            raise RuntimeError(f"check {name} requires {sorted(missing)}, which the pipeline does not provide")
        for flag in check.run(ctx):
            flagdefs.get(flag.code)  # an unknown code is a programming error: fail loudly here
            raised.append(flag)
    return raised


def screen(
    submission: Submission,
    rubric: Rubric,
    settings: Settings,
    progress: Progress = _no_progress,
    check_names: Sequence[str] = DEFAULT_CHECKS,
) -> ScreeningResult:
    # The privacy scan (spaCy tagger + NER, one core) needs only each file: it starts on a file
    # as soon as it is read (on the core the PDF reader leaves free) and runs beside sentence
    # splitting and embedding instead of after them (bench/RESULTS.md, end to end). Pages are
    # scanned independently, so per-file scans find what one scan of all files finds.
    # Progress is reported from the calling thread only: callers' progress displays need not be
    # thread-safe. It is joined before the echo check, which uses the same spaCy pipeline.
    privacy_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="privacy")
    privacy_jobs: list[Future[tuple[PageFindings, ...]]] = []

    def scan(f: SubmissionFile, doc: Document) -> None:
        privacy_jobs.append(privacy_pool.submit(find_personal_data, [(f, doc)], settings))

    try:
        files = ingest_submission(submission, settings, progress, on_read=scan)
        readable = [(f, d) for f, d in files if d.readable and f.role != "self_analysis"]
        # Vectors cached for these texts are linked to the files, so erasing them finds the vectors.
        with owned_by(d.sha256 for _, d in files):
            return _screen_files(submission, rubric, settings, progress, check_names, files, readable, privacy_jobs)
    finally:
        privacy_pool.shutdown(wait=True, cancel_futures=True)


def _screen_files(
    submission: Submission, rubric: Rubric, settings: Settings, progress: Progress, check_names: Sequence[str],
    files: list[tuple[SubmissionFile, Document]], readable: list[tuple[SubmissionFile, Document]],
    privacy_jobs: "Sequence[Future[tuple[PageFindings, ...]]]",
) -> ScreeningResult:
    passages: list[Passage] = []
    if readable:
        progress("finding sentences", 0, 1)
        nlp = spacy_pipeline(settings.models)
        passages = build_passages(((d, f.part) for f, d in readable), nlp, settings.passages)
        progress("finding sentences", 1, 1)

    progress(f"mapping {len(passages)} passages", 0, 1)
    embedder = get_embedder(settings)
    usable = usable_passages(passages, settings.mapping)
    # raw (no competition) serves checks that ask "does this place address the detail at all?"
    scores, raw_scores = score_matrices(
        rubric, usable, embedder, settings.mapping,
        progress=lambda done, total: progress(f"embedding passages and sentences ({done}/{total})", done, total),
    )
    if settings.privacy.enabled:
        progress("looking for student personal data", 0, 1)
    page_texts = {(d.name, pg.number): pg.text for _, d in files if d.readable for pg in d.pages}
    privacy = tuple(found for job in privacy_jobs for found in job.result())
    privacy = common_words_elsewhere(privacy, page_texts)  # what the rest of the submission says of a name or address
    privacy = staff_named_elsewhere(privacy, page_texts, settings.privacy.misheard_staff_names)
    privacy = contacts_known_elsewhere(privacy, page_texts)
    privacy = places_named_elsewhere(privacy, page_texts)
    if settings.privacy.enabled:
        progress("looking for student personal data", 1, 1)
    # Echo passages restate the rubric: they score high for the detail they copy, which is exactly
    # why they must not count as evidence (nor as the "right place" for a citation).
    echoes = find_echoes(usable, rubric, lambda: spacy_entity_pipeline(settings.models), settings.echo)
    similarity = raw_scores  # what each passage's words score for each detail, echoes included
    if echoes:
        rows = {e.passage.id for e in echoes}
        mask = np.array([p.id in rows for p in usable])
        scores, raw_scores = scores.copy(), raw_scores.copy()
        scores[mask], raw_scores[mask] = -1.0, -1.0
    evidence: list[DetailEvidence] = evidence_from_scores(rubric, usable, scores, settings.mapping)
    # Features for calibration (and the report); a calibration fitted for this rubric decides statuses.
    features = mapping_features(rubric, usable, scores, raw_scores, settings.mapping)
    evidence = [replace(ev, features=f) for ev, f in zip(evidence, features)]
    calibration, calibration_info = calibration_for(rubric, settings)
    if calibration is not None:
        # A calibration may judge a detail addressed by a passage that competition gave to
        # another detail (one sentence of a short answer covering two key elements): it then
        # points at that passage, the detail's best without competition.
        evidence = apply_calibration(with_uncompeted_closest(evidence, usable, raw_scores), calibration)
    if settings.mapping.general_evidence_weak:
        evidence = general_only(evidence, usable, rubric, lambda: spacy_entity_pipeline(settings.models),
                                settings.echo.setting_min_passages, settings.mapping.general_evidence_occurrences,
                                settings.mapping.general_reflection_missing,
                                settings.mapping.met_threshold if settings.mapping.general_evidence_met_level else None,
                                raw_scores, settings.mapping.general_evidence_about_margin,
                                settings.mapping.general_evidence_when_is_general,
                                settings.mapping.general_evidence_rubric_acronyms,
                                settings.mapping.general_evidence_paragraph_min,
                                settings.mapping.general_evidence_paragraph_about,
                                settings.mapping.general_evidence_copied_artifacts,
                                settings.mapping.general_evidence_prose_lends_min)
    progress(f"mapped {len(passages)} passages", 1, 1)
    self_analyses = tuple(
        (f, read_self_analysis(f.path, rubric)) for f, d in files
        if f.role == "self_analysis" and (d.readable or d.kind == FileKind.SPREADSHEET)
    )
    evidence = claimed_weak(evidence, claimed_details((a for _, a in self_analyses), rubric), settings.mapping.claimed_weak_min,
                            usable, raw_scores, settings.mapping.claimed_weak_near_min)
    def concrete(texts: list[str], dates_are_general: bool = False) -> list[bool]:
        return concrete_texts(texts, rubric, [p.text for p in usable], lambda: spacy_entity_pipeline(settings.models),
                              settings.echo.setting_min_passages, settings.mapping.general_evidence_occurrences,
                              settings.mapping.general_evidence_when_is_general,
                              settings.mapping.general_evidence_rubric_acronyms, dates_are_general)

    evidence = generally_claimed(
        evidence, [a for _, a in self_analyses], rubric, usable, embedder, concrete,
        settings.mapping.general_claim_min, settings.mapping.met_threshold,
        lambda texts: concrete(texts, settings.mapping.general_claim_dated_rows))
    # the sentence a row claims may restate the rubric: it is shown with the score its words have
    evidence = located_by_claim(evidence, [a for _, a in self_analyses], rubric, usable, similarity, embedder,
                                settings.mapping.claimed_location_min)
    evidence = unclaimed_missing(evidence, cited_details(a for _, a in self_analyses), usable, raw_scores,
                                 settings.mapping.unclaimed_missing_margin)

    ctx = ScreeningContext(
        rubric=rubric,
        settings=settings,
        files=tuple(files),
        ignored=tuple(submission.ignored),
        passages=tuple(passages),
        evidence=tuple(evidence),
        words_by_part=words_by_part(files),
        scored_passages=tuple(usable),
        scores=scores,
        raw_scores=raw_scores,
        self_analyses=self_analyses,
        echoes=tuple(echoes),
        privacy=privacy,
    )
    raised = run_checks(ctx, check_names)
    if settings.citations.file_flags_take_cited_eo:
        raised = with_cited_eos(raised, ctx)
    report = build_report(ctx, raised, list(check_names), embedder.info, version=__version__,
                          calibration=calibration_info)
    return ScreeningResult(report=report, context=ctx)


__all__ = ["screen", "ScreeningResult", "Progress", "Status"]
