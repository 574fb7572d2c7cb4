"""A bounded fuzzing run over the readers of untrusted files (bench/fuzz.py runs it longer):
mutated real files never crash ingest, self-analysis parsing or cleaning for assessors."""

from __future__ import annotations

import os

import pytest

from bench.fuzz import run, seeds

EXAMPLES = int(os.environ.get("SCREENING_FUZZ_EXAMPLES", "30"))


def test_the_seed_corpus_is_real_files():
    corpus = seeds()
    assert {"narrative.docx", "self-analysis.csv", "reflection.md"} <= set(corpus)
    if not any(name.endswith(".pdf") for name in corpus):
        pytest.skip("../shared/data/pdf is not beside the repository")


def test_mutated_files_never_crash_a_reader():
    results = run(EXAMPLES, seconds=90)
    for label, (count, failures) in results.items():
        assert count > 0, label
        assert not failures, "\n".join(failures)


def test_found_by_fuzzing_a_damaged_pdf_is_refused_for_cleaning_not_a_server_error():
    """Once: pikepdf's PdfError escaped clean(), so an assessor's download of a damaged PDF was a 500."""
    from service.anonymise import Scrubber
    from service.redact import CannotClean, clean

    corpus = seeds()
    damaged = corpus.get("crazyones.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\n")[:400]
    with pytest.raises(CannotClean, match="damaged pdf"):
        clean("pdf", damaged, Scrubber(names={}, person=["Casey Candidate"]))
    with pytest.raises(CannotClean, match="damaged docx"):
        clean("docx", corpus["narrative.docx"][:2000], Scrubber(names={}, person=[]))
