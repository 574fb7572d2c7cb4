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
