"""The rule-based sentence splitter (screening/sentences.py) and the splitter setting."""

from __future__ import annotations

import pytest

from screening.models import spacy_pipeline
from screening.settings import ModelSettings


@pytest.fixture(scope="module")
def rules():
    return spacy_pipeline(ModelSettings(sentence_splitter="rules"))


def sents(nlp, text: str) -> list[str]:
    return [s.text.strip() for s in nlp(text).sents]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We met twice. Then we planned.", ["We met twice.", "Then we planned."]),
        ('He said "stop." Then we left.', ['He said "stop."', "Then we left."]),
        ("“Quoted.” Next.", ["“Quoted.”", "Next."]),
        ("It worked (mostly.) Next we met.", ["It worked (mostly.)", "Next we met."]),
        # the tokenizer keeps known abbreviations and decimals whole
        ("Dr. Smith met Ms. Lee at 3 p.m. on Jan. 4 about the 3.5 average. Good.",
         ["Dr. Smith met Ms. Lee at 3 p.m. on Jan. 4 about the 3.5 average.", "Good."]),
        # a list marker is not a sentence
        ("1. Teachers met. 2. They planned.", ["1. Teachers met.", "2. They planned."]),
        # an unknown abbreviation before a lower-case word does not end a sentence
        ("We saw approx. five classes. Then.", ["We saw approx. five classes.", "Then."]),
        ("Why? Because it mattered! Done…", ["Why?", "Because it mattered!", "Done…"]),
        ("A fix. (c) The principal attended.", ["A fix.", "(c) The principal attended."]),
        ("No closing punctuation at all", ["No closing punctuation at all"]),
    ],
)
def test_rule_boundaries(rules, text: str, expected: list[str]) -> None:
    assert sents(rules, text) == expected


def test_long_runs_without_punctuation_are_cut_evenly(rules) -> None:
    doc = rules(" ".join(f"cell{i}" for i in range(200)))
    lengths = [len(s) for s in doc.sents]
    assert sum(lengths) == 200
    assert max(lengths) <= 80 and max(lengths) - min(lengths) <= 1


def test_offsets_cover_the_text(rules) -> None:
    text = 'First one.  "Second," she said. Third (really.) 4. Fourth'
    doc = rules(text)
    spans = [(s.start_char, s.end_char) for s in doc.sents]
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert "".join(text[a:b] for a, b in spans).replace(" ", "") == text.replace(" ", "")


def test_rules_need_no_statistical_component(rules) -> None:
    assert rules.pipe_names == ["screening_sentences"]


def test_senter_is_still_selectable() -> None:
    nlp = spacy_pipeline(ModelSettings(sentence_splitter="senter"))
    assert "senter" in nlp.pipe_names
    assert sents(nlp, "We met twice in May. Then we planned the next unit together.") == [
        "We met twice in May.", "Then we planned the next unit together."]
