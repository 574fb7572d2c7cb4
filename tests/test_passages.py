"""Passages keep exact provenance: file, page, paragraph and character span."""

from __future__ import annotations

import pytest

from screening.documents import Document, FileKind, Page
from screening.models import spacy_pipeline
from screening.passages import build_passages
from screening.settings import ModelSettings, PassageSettings

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def nlp():
    return spacy_pipeline(ModelSettings())


def _doc(pages, name="artifact.pdf"):
    return Document(path=name, name=name, sha256="0" * 64, size_bytes=1, kind=FileKind.PDF,
                    pages=tuple(pages), page_count=len(pages))


PAGE1 = (
    "Professional Learning Plan\n\n"
    "Our staff wrote norms together in August. We revisit them at\nevery PLC meeting. "
    "Teachers rate how well we kept them.\n\n"
    "Page 1 of 2"
)
PAGE2 = "Coaching cycles ran for six weeks. Each teacher chose one goal. The coach observed twice a week."


def test_spans_point_at_the_page_text(nlp):
    doc = _doc([Page(1, PAGE1), Page(2, PAGE2)])
    passages = build_passages([(doc, "portfolio")], nlp, PassageSettings(max_sentences=2))
    assert passages, "expected passages"
    for p in passages:
        page_text = doc.pages[p.page - 1].text
        assert " ".join(page_text[p.char_start : p.char_end].split()) == p.text
        assert p.file == "artifact.pdf" and p.part == "portfolio"
        assert p.fragment == f"#page={p.page}"
    first = passages[0]
    # the heading is attached to its paragraph, not a passage of its own; the PDF line break
    # inside a sentence is not a sentence end
    assert first.text.startswith("Professional Learning Plan Our staff wrote norms")
    assert first.paragraph == 1
    # the footer never becomes a passage
    assert all("Page 1 of 2" not in p.text for p in passages)
    assert {p.page for p in passages} == {1, 2}


def test_grouping_respects_max_sentences_and_words(nlp):
    doc = _doc([Page(1, PAGE2)])
    one = build_passages([(doc, "portfolio")], nlp, PassageSettings(max_sentences=1))
    assert [p.text for p in one] == [
        "Coaching cycles ran for six weeks.", "Each teacher chose one goal.", "The coach observed twice a week."
    ]
    three = build_passages([(doc, "portfolio")], nlp, PassageSettings(max_sentences=3, max_words=200))
    assert len(three) == 1 and three[0].words == 17
    capped = build_passages([(doc, "portfolio")], nlp, PassageSettings(max_sentences=3, max_words=12))
    assert len(capped) == 2


def test_pageless_documents_use_char_fragments_and_paragraph_numbers(nlp):
    text = "First paragraph has enough words in it.\n\nSecond paragraph also has enough words."
    doc = Document(path="n.txt", name="narrative.txt", sha256="1" * 64, size_bytes=1, kind=FileKind.TEXT,
                   pages=(Page(None, text),))
    passages = build_passages([(doc, "narrative")], nlp, PassageSettings())
    assert [p.paragraph for p in passages] == [1, 2]
    assert passages[1].fragment == f"#char={passages[1].char_start},{passages[1].char_end}"
    assert text[passages[1].char_start : passages[1].char_end] == "Second paragraph also has enough words."


def test_passage_ids_are_stable(nlp):
    doc = _doc([Page(1, PAGE2)])
    a = build_passages([(doc, "portfolio")], nlp, PassageSettings())
    b = build_passages([(doc, "portfolio")], nlp, PassageSettings())
    assert [p.id for p in a] == [p.id for p in b]


def test_running_headers_and_footers_are_not_passages(nlp):
    pages = [
        Page(i, f"Lincoln Middle School - Professional Learning Plan 2025-26\n\n{body}\n\nPage {i} of 3")
        for i, body in enumerate(
            ["Teachers chose three goals from the spring survey results.",
             "The committee met monthly to review walkthrough data.",
             "Coaching cycles lasted six weeks with two observations."], start=1)
    ]
    passages = build_passages([(_doc(pages), "portfolio")], nlp, PassageSettings())
    assert [p.page for p in passages] == [1, 2, 3]
    assert all("Lincoln Middle School" not in p.text and "of 3" not in p.text for p in passages)


class _CountingPipeline:
    """Delegates to the real pipeline and counts the texts it is asked to split."""

    def __init__(self, nlp):
        self.nlp, self.texts = nlp, 0
        self.pipe_names = nlp.pipe_names

    def pipe(self, texts, **kwargs):
        texts = list(texts)
        self.texts += len(texts)
        return self.nlp.pipe(texts, **kwargs)


def test_an_edited_page_resplits_only_the_changed_block(nlp):
    counting = _CountingPipeline(nlp)
    cfg = PassageSettings(max_sentences=2)
    first = build_passages([(_doc([Page(1, PAGE1), Page(2, PAGE2)]), "portfolio")], counting, cfg)
    split_once = counting.texts
    again = build_passages([(_doc([Page(1, PAGE1), Page(2, PAGE2)]), "portfolio")], counting, cfg)
    assert again == first and counting.texts == split_once  # nothing split twice
    edited = PAGE2.replace("six weeks", "eight weeks")
    changed = build_passages([(_doc([Page(1, PAGE1), Page(2, edited)]), "portfolio")], counting, cfg)
    assert counting.texts == split_once + 1  # only page 2's block
    assert changed == build_passages([(_doc([Page(1, PAGE1), Page(2, edited)]), "portfolio")], nlp, cfg)


def test_a_short_answer_without_a_full_stop_is_a_passage(nlp):
    # A text without pages has no footers: a last line without closing punctuation is the
    # writer's ("Exit tickets every day"), not furniture, and is read.
    answer = Document(path="a.md", name="a.md", sha256="1" * 64, size_bytes=1, kind=FileKind.MARKDOWN,
                      pages=(Page(None, "Exit tickets every day and regroup by need"),), page_count=None)
    [p] = build_passages([(answer, "narrative")], nlp, PassageSettings())
    assert p.text == "Exit tickets every day and regroup by need"
    # on a PDF page the same trailing line is still left out, as a footer would be
    page = _doc([Page(1, "Our staff wrote norms together in August.\n\nExit tickets every day and regroup by need")])
    assert [p.text for p in build_passages([(page, "portfolio")], nlp, PassageSettings())] == [
        "Our staff wrote norms together in August."]
