"""Checks on their own, with hand-built contexts (no models needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from screening.checks import DEFAULT_CHECKS, ScreeningContext
from screening.locations import page_list
from screening.checks.parts import PartMissing, WordMinimum
from screening.documents import Document, FileKind, IngestProblem, Page
from screening.pipeline import run_checks, words_by_part
from screening.registry import checks as registry
from screening.settings import Settings
from screening.submission import SubmissionFile


def _doc(name: str, text: str, problems=()) -> Document:
    return Document(path=name, name=name, sha256=hashlib.sha256(text.encode()).hexdigest(), size_bytes=len(text),
                    kind=FileKind.TEXT, pages=(Page(None, text),), problems=tuple(problems))


def _ctx(rubric, files) -> ScreeningContext:
    return ScreeningContext(rubric=rubric, settings=Settings(), files=tuple(files), ignored=(), passages=(),
                            evidence=(), words_by_part=words_by_part(files))


@pytest.mark.parametrize("words,flagged", [(999, True), (1000, False), (1001, False)])
def test_word_minimum_boundary(pl_rubric, words, flagged):
    narrative = (SubmissionFile(Path("n.txt"), "narrative", "n.txt"), _doc("n.txt", " ".join(["word"] * words)))
    flags = WordMinimum().run(_ctx(pl_rubric, [narrative]))
    assert bool(flags) == flagged
    if flagged:
        assert flags[0].code == "word_minimum" and flags[0].params["words"] == "999"
        assert flags[0].params["shortfall"] == "1"


def test_word_minimum_sums_the_files_of_a_part(pl_rubric):
    files = [
        (SubmissionFile(Path(f"r{i}.txt"), "reflection", f"r{i}.txt"), _doc(f"r{i}.txt", " ".join(["w"] * 250)))
        for i in range(2)
    ]
    assert WordMinimum().run(_ctx(pl_rubric, files)) == []


def test_self_analysis_words_do_not_count(pl_rubric):
    files = [(SubmissionFile(Path("s.csv"), "self_analysis", "s.csv"), _doc("s.csv", "word " * 5000))]
    assert words_by_part(files) == {}


def test_part_missing_names_each_absent_part(pl_rubric):
    narrative = (SubmissionFile(Path("n.txt"), "narrative", "n.txt"), _doc("n.txt", "text"))
    flags = PartMissing().run(_ctx(pl_rubric, [narrative]))
    titles = sorted(f.params["part_title"] for f in flags)
    assert titles == ["Reflection and application", "artifact portfolio", "evidence self-analysis"]


def test_file_problems_become_flags_with_pages(pl_rubric):
    doc = _doc("a.pdf", "x", problems=[IngestProblem("no_text_layer", {}, pages=(2, 3, 4, 7))])
    ctx = _ctx(pl_rubric, [(SubmissionFile(Path("a.pdf"), "artifact", "a.pdf"), doc)])
    [flag] = [f for f in run_checks(ctx) if f.code == "no_text_layer"]
    assert flag.params["page_list"] == "pages 2–4, 7" and flag.location["pages"] == [2, 3, 4, 7]


def test_page_list():
    assert page_list([3]) == "page 3"
    assert page_list([1, 2, 3, 5, 9, 10]) == "pages 1–3, 5, 9–10"


def test_registered_check_names_snapshot():
    # Names are cited by stored reports: changing behaviour means a new .vN, never a rename.
    assert registry.names() == sorted(DEFAULT_CHECKS) == [
        "screening.citations.v1",
        "screening.evidence.v1",
        "screening.file_problems.v1",
        "screening.part_missing.v1",
        "screening.rubric_echo.v1",
        "screening.student_privacy.v1",
        "screening.word_minimum.v1",
    ]


def test_derived_details_are_guidance_when_their_eo_is_addressed_as_a_whole(catalogue, settings):
    # The program judges EOs; derived details are the screener's aid. An EO with no met detail but
    # two of its derived details addressed (weak) is evidenced as a whole: its details' flags are
    # info. An EO with one weak detail and the rest missing keeps error and warning.
    from screening.checks.base import ScreeningContext
    from screening.checks.evidence import EvidenceStatus
    from screening.mapping import DetailEvidence, Match, Status
    from screening.passages import Passage

    rubric = catalogue.get("mo-il-instructional-practice")
    p = Passage(id="p", file="narrative.md", file_sha256="0", part="narrative", page=None, char_start=0,
                char_end=10, text="Some text here.", words=3)
    by_eo: dict[str, list] = {}
    for eo, d in rubric.details():
        by_eo.setdefault(eo.id, []).append(d)
    assert all(d.derived for ds in by_eo.values() for d in ds)
    first, second = list(by_eo)[:2]
    statuses = {d.id: s for d, s in zip(by_eo[first], [Status.WEAK, Status.MISSING, Status.WEAK])}
    statuses |= {d.id: s for d, s in zip(by_eo[second], [Status.WEAK] + [Status.MISSING] * 10)}
    evidence = []
    for eo, d in rubric.details():
        status = statuses.get(d.id, Status.MET)
        match = Match(p, 0.6 if status == Status.WEAK else 0.7)
        evidence.append(DetailEvidence(eo=eo.id, detail_id=d.id, text=d.text, derived=True, status=status,
                                       best_score=0.6 if status != Status.MISSING else 0.5,
                                       evidence=(match,) if status != Status.MISSING else (), closest=match))
    ctx = ScreeningContext(rubric=rubric, settings=settings, files=(), ignored=(), passages=(p,),
                           evidence=tuple(evidence), words_by_part={})
    flags = EvidenceStatus().run(ctx)
    severity = {f.detail_id: f.severity for f in flags}  # None: the code's own (error, warning)
    assert {severity[d.id] for d in by_eo[first]} == {"info"}
    assert {severity[d.id] for d in by_eo[second]} == {None}
    assert {f.code for f in flags if f.detail_id in {d.id for d in by_eo[second]}} == {
        "missing_evidence", "weak_evidence"}

    # The self-analysis cites a page for one of the second EO's details that comes near it (a
    # similarity just under the weak threshold): the candidate points at the EO's evidence, so its
    # details are guidance too, and the note says which citation. A citation of a page that is
    # about something else leaves them as they were.
    import numpy as np

    from screening.documents import Document, FileKind, Page
    from screening.selfanalysis.model import Citation, Location, SelfAnalysis

    page = Passage(id="q", file="artifacts/walkthroughs.pdf", file_sha256="1", part="portfolio", page=2,
                   char_start=0, char_end=10, text="Walkthrough log.", words=2)
    detail = by_eo[second][1]
    column = [d.id for _, d in rubric.details()].index(detail.id)
    doc = Document(path="artifacts/walkthroughs.pdf", name="artifacts/walkthroughs.pdf", sha256="1", size_bytes=1,
                   kind=FileKind.PDF, pages=(Page(1, "x"), Page(2, "Walkthrough log.")))
    row = Citation(row=4, detail_ids=(detail.id,), target_raw=detail.id, artifact_raw="walkthroughs.pdf",
                   locations=(Location("page", 2, None, "p. 2"),), unparsed_locations=(), explanation="The log.")
    analysis = SelfAnalysis(citations=(row,), columns={}, problems=())

    def severities(near: float) -> set[str | None]:
        raw = np.full((2, len(list(rubric.details()))), 0.2, dtype=np.float32)
        raw[1, column] = near
        cited = ScreeningContext(
            rubric=rubric, settings=settings, passages=(p, page), evidence=tuple(evidence), words_by_part={},
            files=((SubmissionFile(Path("artifacts/walkthroughs.pdf"), "artifact", "artifacts/walkthroughs.pdf"), doc),),
            ignored=(), scored_passages=(p, page), scores=raw, raw_scores=raw,
            self_analyses=((SubmissionFile(Path("sa.json"), "self_analysis", "sa.json"), analysis),))
        found = [f for f in EvidenceStatus().run(cited) if f.detail_id in {d.id for d in by_eo[second]}]
        if near > 0.5:
            assert all("page 2 of walkthroughs.pdf" in (f.note or "") for f in found)
        return {f.severity for f in found}

    assert severities(settings.mapping.weak_threshold - 0.02) == {"info"}
    assert severities(0.3) == {None}


def test_a_scanned_page_among_read_pages_is_guidance_and_an_all_scan_file_a_warning(pl_rubric):
    def pdf(pages):
        return Document(path="a.pdf", name="a.pdf", sha256="0" * 64, size_bytes=1, kind=FileKind.PDF,
                        pages=tuple(Page(n, t) for n, t in pages),
                        problems=(IngestProblem("no_text_layer", {}, pages=tuple(n for n, t in pages if not t)),))

    def flag(doc):
        ctx = _ctx(pl_rubric, [(SubmissionFile(Path("a.pdf"), "artifact", "a.pdf"), doc)])
        [f] = [f for f in run_checks(ctx) if f.code == "no_text_layer"]
        return f

    mixed = flag(pdf([(1, "Minutes of the meeting."), (2, ""), (3, "Decisions and next steps.")]))
    assert mixed.severity == "info" and "other 2 pages" in mixed.note
    assert flag(pdf([(1, ""), (2, "")])).severity is None  # the code's own: warning


def test_a_row_whose_explanation_is_borne_out_by_the_cited_slide_makes_its_eo_guidance(catalogue, settings):
    # Independent held-out submissions read after their run (bench/independent test11, test14):
    # a slide of bullets and book titles scores low against every detail, so a well-evidenced EO
    # got error-level missing_evidence; the row's explanation names what is on the slide, and it
    # is there. The same row citing a slide about something else changes nothing.
    import numpy as np

    from screening.checks.evidence import EvidenceStatus
    from screening.documents import Document, FileKind, Page
    from screening.mapping import DetailEvidence, Status
    from screening.passages import Passage
    from screening.selfanalysis.model import Citation, Location, SelfAnalysis

    rubric = catalogue.get("mo-il-instructional-practice")
    first_eo = next(eo for eo, _ in rubric.details())
    evidence = tuple(DetailEvidence(eo=eo.id, detail_id=d.id, text=d.text, derived=True,
                                    status=Status.MISSING if eo.id == first_eo.id else Status.MET,
                                    best_score=0.45, evidence=(), closest=None) for eo, d in rubric.details())
    name = "artifacts/framework.pdf"
    doc = Document(path=name, name=name, sha256="1", size_bytes=1, kind=FileKind.PDF, pages=(
        Page(1, "Writing across Marrow Creek: faculty meeting, August 13."),
        Page(2, "Three strategies, every classroom. Sentence-level instruction (Hochman and Wexler). Modeled writing "
                "with think-aloud (Graham, IES practice guide). Quick writes in science. MAP writing claim 29%.")))
    slide = Passage(id="s", file=name, file_sha256="1", part="portfolio", page=2, char_start=0, char_end=10,
                    text="Three strategies.", words=2)

    def severities(slide_no: int) -> set[str | None]:
        row = Citation(row=2, detail_ids=(first_eo.details[0].id,), target_raw=first_eo.details[0].id,
                       artifact_raw="framework.pdf", locations=(Location("slide", slide_no, None, f"slide {slide_no}"),),
                       unparsed_locations=(), explanation="Three writing strategies with the research behind each "
                       "(Hochman and Wexler, the IES practice guide, Graham) and the MAP writing data.")
        raw = np.full((1, len(list(rubric.details()))), 0.3, dtype=np.float32)
        ctx = ScreeningContext(
            rubric=rubric, settings=settings, passages=(slide,), evidence=evidence, words_by_part={}, ignored=(),
            files=((SubmissionFile(Path(name), "artifact", name), doc),), scored_passages=(slide,), scores=raw,
            raw_scores=raw,
            self_analyses=((SubmissionFile(Path("sa.csv"), "self_analysis", "sa.csv"),
                            SelfAnalysis(citations=(row,), columns={}, problems=())),))
        found = [f for f in EvidenceStatus().run(ctx) if f.eo == first_eo.id]
        assert found and all(f.code == "missing_evidence" for f in found)
        for f in found:
            assert f.severity is None or "row 2 of the self-analysis cites slide 2 of framework.pdf" in f.note
        return {f.severity for f in found}

    assert severities(2) == {"info"}
    assert severities(1) == {None}
    off = settings.model_copy(update={"mapping": settings.mapping.model_copy(update={"derived_guidance_min_described": None})})
    settings = off
    assert severities(2) == {None}
