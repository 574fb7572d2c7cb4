"""Shared and duplicate evidence across candidates (screening/duplicates.py), with the real model."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from screening.duplicates import DuplicateIndex, EvidenceFile, indexable, make_record
from screening.passages import Passage
from screening.rubric import RubricCatalogue
from screening.settings import Settings

REPO = Path(__file__).resolve().parents[1]

MINE = ("In October our grade 4 team at Maple Grove met every Tuesday to sort exit tickets from the fractions unit, "
        "and Ms. Ortega's small groups moved from 41 to 68 percent mastery by the November common assessment.")
PARAPHRASE = ("Our grade 4 team at Maple Grove met each Tuesday in October to sort exit tickets from the fractions "
              "unit, and Ms. Ortega's small groups went from 41 to 68 percent mastery by the November common assessment.")
OWN_WORDS = ("Our sixth grade science teachers began bringing lab notebooks to Thursday planning, and after three "
             "cycles the eighth graders wrote sharper claims, so the department now plans its investigations together.")
TEMPLATE = ("This portfolio follows the program's submission guide: each guiding question is answered in the "
            "narrative, every artifact is listed with its page, and the reflection ends with a plan for sharing.")


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(cache_dir=tmp_path_factory.mktemp("cache"), rubric_dirs=[REPO / "rubrics"])


@pytest.fixture(scope="module")
def rubric(settings):
    return RubricCatalogue(settings.rubric_dirs).get("mo-il-professional-learning")


def _passage(text: str, file: str, n: int = 1) -> Passage:
    return Passage(id=hashlib.sha1(f"{file}{text}".encode()).hexdigest()[:12], file=file,
                   file_sha256=hashlib.sha256(file.encode()).hexdigest(), part="narrative", page=None,
                   char_start=0, char_end=len(text), text=text, words=len(text.split()), paragraph=n)


def _record(settings, rubric, key: str, owner: str, texts: list[str], files: list[EvidenceFile] = ()):
    from screening.embedding import get_embedder

    passages = indexable([_passage(t, f"{key}.txt", i + 1) for i, t in enumerate(texts)], settings.duplicates, rubric)
    vecs = get_embedder(settings).encode([p.text for p in passages]) if passages else np.zeros((0, 384), np.float32)
    return make_record(key, owner, files, passages, vecs)


def _file(name: str, content: bytes) -> EvidenceFile:
    return EvidenceFile(name=name, sha256=hashlib.sha256(content).hexdigest(), part="portfolio")


def test_the_same_file_in_another_candidates_submission_is_found_but_not_in_their_own(settings, rubric):
    index = DuplicateIndex()
    team = _file("minutes.pdf", b"team minutes")
    index.add(_record(settings, rubric, "a1", "alice", [OWN_WORDS], [team]))
    index.add(_record(settings, rubric, "a0", "bob", [], [_file("old.pdf", b"team minutes")]))  # bob's own earlier one
    found = index.check(_record(settings, rubric, "b1", "bob", [], [_file("plc.pdf", b"team minutes")]), settings.duplicates)
    assert [(m.kind, m.other, m.there_file.name) for m in found] == [("artifact", "a1", "minutes.pdf")]


def test_a_light_paraphrase_is_found_with_both_places(settings, rubric):
    index = DuplicateIndex()
    index.add(_record(settings, rubric, "a1", "alice", [OWN_WORDS, MINE]))
    found = index.check(_record(settings, rubric, "b1", "bob", [PARAPHRASE]), settings.duplicates, rubric)
    assert len(found) == 1
    m = found[0]
    assert (m.kind, m.other) == ("passage", "a1")
    assert m.here.text == PARAPHRASE and m.there.text == MINE
    assert m.there.place == "paragraph 2"


def test_own_words_about_the_same_work_are_not_a_duplicate(settings, rubric):
    index = DuplicateIndex()
    index.add(_record(settings, rubric, "a1", "alice", [MINE]))
    other = ("Every Tuesday in the fall, the fourth-grade teachers looked at student work on fractions together; "
             "by the winter benchmark more of Mr. Lee's students could compare fractions with unlike denominators.")
    assert index.check(_record(settings, rubric, "b1", "bob", [other]), settings.duplicates, rubric) == []


def test_template_wording_shared_by_many_and_rubric_text_are_ignored(settings, rubric):
    index = DuplicateIndex()
    for i in range(4):
        index.add(_record(settings, rubric, f"s{i}", f"owner{i}", [TEMPLATE]))
    assert index.check(_record(settings, rubric, "new", "me", [TEMPLATE]), settings.duplicates, rubric) == []
    # shared by one other candidate only, the same paragraph is reported
    small = DuplicateIndex()
    small.add(_record(settings, rubric, "s0", "owner0", [TEMPLATE]))
    assert [m.kind for m in small.check(_record(settings, rubric, "new", "me", [TEMPLATE]), settings.duplicates, rubric)] == ["passage"]
    # a detail's own wording is rubric echo: never indexed
    detail = next(d.text for _, d in rubric.details() if len(d.text.split()) >= 12)
    assert indexable([_passage(detail, "x.txt")], settings.duplicates, rubric) == []


def test_removing_a_record_drops_its_matches(settings, rubric):
    index = DuplicateIndex()
    index.add(_record(settings, rubric, "a1", "alice", [MINE], [_file("m.pdf", b"x")]))
    probe = _record(settings, rubric, "b1", "bob", [PARAPHRASE], [_file("n.pdf", b"x")])
    assert len(index.check(probe, settings.duplicates, rubric)) == 2
    index.remove("a1")
    assert index.check(probe, settings.duplicates, rubric) == [] and len(index) == 0
