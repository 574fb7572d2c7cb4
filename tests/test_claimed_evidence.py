"""A detail the self-analysis claims, with a passage about it under the weak threshold, is weak."""

from __future__ import annotations

from screening.claimed_evidence import CLAIMED_ONLY, claimed_details, claimed_weak
from screening.mapping import DetailEvidence, Match, Status
from screening.passages import Passage
from screening.selfanalysis import Citation, SelfAnalysis


def _passage(text: str) -> Passage:
    return Passage(id=text, file="narrative.md", file_sha256="0" * 64, part="narrative", page=None, char_start=0,
                   char_end=len(text), text=text, words=len(text.split()), sentences=(text,))


def _evidence(detail: str, score: float | None, eo: str | None = None, **features: float) -> DetailEvidence:
    closest = None if score is None else Match(_passage(f"passage for {detail}"), score)
    return DetailEvidence(eo=eo or detail.split(".")[0], detail_id=detail, text="…", derived=True, status=Status.MISSING,
                          best_score=score, evidence=(), closest=closest, features=dict(features))


def _row(*details: str) -> Citation:
    return Citation(row=2, detail_ids=details, target_raw=", ".join(details), artifact_raw="narrative",
                    locations=(), unparsed_locations=(), explanation="We value teachers' feedback.")


def test_a_claimed_detail_with_a_passage_about_it_is_weak_and_an_unclaimed_one_stays_missing(pl_rubric):
    eo3 = tuple(d.id for eo, d in pl_rubric.details() if eo.id == "3")
    assert len(eo3) > 1
    rows = (_row("1.1", "1.2"), _row("2.1"), _row(*eo3))  # the last: one row for all of EO 3
    claimed = claimed_details([SelfAnalysis(citations=rows, columns={}, problems=())], pl_rubric)
    assert claimed == {"1.1", "1.2", "2.1"}  # a row for a whole EO claims the EO, not each detail
    evidence = [
        _evidence("1.1", 0.48),  # claimed, a passage more about it than any other detail: weak
        _evidence("1.2", 0.31),  # claimed, but the passage is too far from it: still missing
        _evidence("1.3", 0.55),  # no row: the passage is incidental, the detail missing
        _evidence("2.1", None),  # claimed, no passage is about it at all
        _evidence("2.2", 0.50, reflection_only=1.0),  # only the reflection, in general terms: judged already
    ]
    out = {ev.detail_id: ev for ev in claimed_weak(evidence, claimed | {"2.2"}, 0.40)}
    assert {d: ev.status for d, ev in out.items()} == {
        "1.1": Status.WEAK, "1.2": Status.MISSING, "1.3": Status.MISSING, "2.1": Status.MISSING, "2.2": Status.MISSING}
    assert out["1.1"].features[CLAIMED_ONLY] == 1.0
    assert [m.passage.text for m in out["1.1"].evidence] == ["passage for 1.1"]  # the flag points at it
    assert claimed_weak(evidence, claimed, None) == evidence


def test_the_weak_flag_says_the_detail_is_claimed_and_the_eo_is_not_counted_as_addressed(pl_rubric, settings):
    from screening.checks.base import ScreeningContext
    from screening.checks.evidence import EvidenceStatus

    details = [(eo.id, d.id) for eo, d in pl_rubric.details()]
    evidence = claimed_weak([_evidence(d, 0.45, eo) for eo, d in details], {d for _, d in details},
                            settings.mapping.claimed_weak_min)
    ctx = ScreeningContext(rubric=pl_rubric, settings=settings, files=(), ignored=(), passages=(),
                           evidence=tuple(evidence), words_by_part={})
    flags = EvidenceStatus().run(ctx)
    assert {f.code for f in flags} == {"weak_evidence"}
    # every detail is weak only by its row: nothing the screener found makes the EO evidenced as a
    # whole, so its derived details' flags stay warnings, not guidance
    assert {f.severity for f in flags} == {None}
    assert all("the self-analysis claims it" in f.params["why"] for f in flags)
