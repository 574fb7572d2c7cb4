"""Mapping: a narrative that omits one EO gets exactly that EO's details flagged missing, while
the other details are found in the right paragraph and on the right page."""

from __future__ import annotations

import numpy as np
import pytest

from screening.embedding import Embedder
from screening.mapping import Status, _compete, _within_passage_top, map_evidence, status_for
from screening.pipeline import screen
from screening.settings import MappingSettings
from screening.submission import from_folder

from .fixtures.pl_by_eo import write_submission

pytestmark = pytest.mark.models


@pytest.mark.parametrize("omitted", ["1", "2", "3", "4"])
def test_omitted_eo_is_missing_and_the_rest_found_in_place(tmp_path, settings, pl_rubric, omitted):
    layout = write_submission(tmp_path / "sub", exclude=frozenset({omitted}))
    report = screen(from_folder(layout.folder), pl_rubric, settings).report
    for d in report.details:
        if d.eo == omitted:
            assert d.status == "missing", (d.id, d.best_score)
            assert d.evidence == []
            continue
        assert d.status in ("met", "weak"), (d.id, d.best_score)
        best = d.evidence[0]
        if best.page is not None:
            assert (best.file, best.page) == ("artifacts/evidence.pdf", layout.page_of_eo[d.eo]), d.id
        else:
            assert (best.file, best.paragraph) == ("narrative.txt", layout.paragraph_of_eo[d.eo]), d.id
    missing_flags = {f.detail_id for f in report.flags if f.code == "missing_evidence"}
    assert missing_flags == {d.id for d in report.details if d.eo == omitted}


def test_full_submission_has_every_detail_found(tmp_path, settings, pl_rubric):
    layout = write_submission(tmp_path / "sub")
    report = screen(from_folder(layout.folder), pl_rubric, settings).report
    assert [d.id for d in report.details if d.status == "missing"] == []
    assert report.summary.met >= 11


def test_status_thresholds_are_inclusive():
    cfg = MappingSettings(weak_threshold=0.5, met_threshold=0.6)
    assert status_for(0.6, cfg) == Status.MET
    assert status_for(0.5999, cfg) == Status.WEAK
    assert status_for(0.5, cfg) == Status.WEAK
    assert status_for(0.4999, cfg) == Status.MISSING
    assert status_for(None, cfg) == Status.MISSING


def test_competition_keeps_only_near_best_details():
    scores = np.array([[0.70, 0.68, 0.50], [0.40, 0.30, 0.39]], dtype=np.float32)
    kept = _compete(scores, 0.03)
    np.testing.assert_allclose(kept, [[0.70, 0.68, -1.0], [0.40, -1.0, 0.39]], rtol=1e-6)
    assert _compete(scores, None) is scores


def test_a_sentence_counts_only_for_its_passages_best_details():
    whole = np.array([[0.60, 0.50, 0.40], [0.30, 0.20, 0.55]], dtype=np.float32)  # 2 passages x 3 details
    sentences = np.array([[0.50, 0.52, 0.70], [0.61, -1.0, 0.40], [0.10, 0.20, 0.66]], dtype=np.float32)
    owners = np.array([0, 0, 1])
    kept = _within_passage_top(sentences, whole, owners, 2)
    # passage 0's best two are details 0 and 1; passage 1's are details 2 and 0
    np.testing.assert_allclose(kept, [[0.50, 0.52, -1.0], [0.61, -1.0, -1.0], [0.10, -1.0, 0.66]], rtol=1e-6)
    assert _within_passage_top(sentences, whole, owners, None) is sentences
    assert _within_passage_top(sentences, whole, owners, 3) is sentences


def test_a_candidates_heading_is_not_scored_on_its_own_but_an_artifacts_short_lines_are():
    from screening.mapping import scored_sentences
    from screening.passages import Passage

    heading, body = "Keeping assessments matched to what we teach", "Every unit test now starts with a blueprint."
    lines = ("Teachers map every item to its learning target", "Blueprints reviewed by the team in October")

    def passage(part: str, sentences: tuple[str, ...]) -> Passage:
        text = "\n".join(sentences)
        return Passage(id=part, file=f"{part}.md", file_sha256="0" * 64, part=part, page=None, char_start=0,
                       char_end=len(text), text=text, words=len(text.split()), sentences=sentences)

    passages = [passage("narrative", (heading, body)), passage("portfolio", lines)]
    assert [s for _, s in scored_sentences(passages, MappingSettings())] == [body, *lines]
    assert [s for _, s in scored_sentences(passages, MappingSettings(heading_sentences=True))] == [heading, body, *lines]


def test_a_candidates_heading_is_left_out_of_its_passages_score_but_an_artifacts_first_line_is_not():
    from screening.mapping import _scored_text
    from screening.passages import Passage

    heading, body = "Growing teachers' assessment know-how", "We met on August 11."

    def passage(part: str) -> Passage:
        text = f"{heading}\n{body}"
        return Passage(id=part, file=f"{part}.md", file_sha256="0" * 64, part=part, page=None, char_start=0,
                       char_end=len(text), text=text, words=len(text.split()), sentences=(heading, body))

    # A heading in the rubric's words shows nothing: the paragraph under it is judged on what it says.
    assert _scored_text(passage("narrative"), MappingSettings()) == body
    assert _scored_text(passage("reflection"), MappingSettings()) == body
    # A slide's or page's title is part of what the artifact shows.
    assert _scored_text(passage("portfolio"), MappingSettings()) == f"{heading}\n{body}"
    assert _scored_text(passage("narrative"), MappingSettings(heading_in_passage=True)) == f"{heading}\n{body}"


def test_a_heading_lifts_its_thin_paragraph_to_weak_at_most(pl_rubric):
    from screening.mapping import score_matrices
    from screening.passages import Passage

    heading, body = "Growing teachers' assessment know-how", "We met on August 11."
    text = f"{heading}\n{body}"
    passage = Passage(id="p", file="narrative.md", file_sha256="0" * 64, part="narrative", page=None, char_start=0,
                      char_end=len(text), text=text, words=5, sentences=(heading, body))

    class Stub:  # every rubric query one direction; the passage 0.70 along it with its heading, 0.30 without
        def encode(self, texts, progress=None):
            def vec(t: str) -> list[float]:
                cos = 0.70 if t == text else 0.30 if t == body else 1.0
                return [cos, (1 - cos * cos) ** 0.5]
            return np.array([vec(t) for t in texts], dtype=np.float32)

    def best(**kw) -> float:
        cfg = MappingSettings(sentence_scores=False, detail_text_weight=0.0, **kw)
        return float(score_matrices(pl_rubric, [passage], Stub(), cfg)[0].max())

    cfg = MappingSettings()
    assert status_for(best(), cfg) == Status.MISSING  # a heading alone shows nothing
    assert status_for(best(heading_lifts_to_weak=True), cfg) == Status.WEAK
    assert status_for(best(heading_in_passage=True), cfg) == Status.MET


def test_no_passages_means_everything_missing(settings, pl_rubric):
    evidence = map_evidence(pl_rubric, [], Embedder(settings), settings.mapping)
    assert {e.status for e in evidence} == {Status.MISSING}
    assert len(evidence) == len(pl_rubric.details())


def test_reembedding_an_edited_draft_embeds_only_what_changed(tmp_path, settings, pl_rubric):
    layout = write_submission(tmp_path / "sub")
    screen(from_folder(layout.folder), pl_rubric, settings)
    narrative = layout.folder / "narrative.txt"
    narrative.write_text(narrative.read_text().replace("six staff norms", "seven staff norms"))
    fresh = Embedder(settings)  # a new process: empty memory, warm disk cache
    import screening.pipeline as pipeline

    original = pipeline.get_embedder
    pipeline.get_embedder = lambda s: fresh
    try:
        screen(from_folder(layout.folder), pl_rubric, settings)
    finally:
        pipeline.get_embedder = original
    # one passage and one sentence changed; everything else (rubric texts included) came from disk
    assert fresh.stats["computed"] == 2, fresh.stats
    assert fresh.stats["disk"] > 50
