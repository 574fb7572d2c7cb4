"""The analyses find every planted property of generated pilots, and nothing else."""

from __future__ import annotations

import pytest

from screening.analysis.run import run_analyses
from screening.pilot.generate import PilotSpec, combine, generate

RUBRICS = ["mo-il-professional-learning", "mo-il-assessment", "mo-il-curriculum", "mo-il-instructional-practice"]


@pytest.mark.parametrize("rubric_id", RUBRICS)
@pytest.mark.parametrize("seed", [101, 202, 303])
def test_every_planted_property_is_found_and_nothing_else(catalogue, rubric_id: str, seed: int) -> None:
    generated = generate(catalogue.get(rubric_id), PilotSpec(), seed)
    truth = generated.truth[0]
    expected = truth.expected_findings()
    # All five kinds are planted, on different details and one marker.
    assert {kind for kind, _ in expected} == {"assessor_severity", "confusable_details", "detail_often_missing",
                                               "evidence_rarely_matched", "size_related_to_outcome"}
    found = {f.key for f in run_analyses(generated.data).findings}
    assert found == expected


@pytest.mark.parametrize("rubric_id", RUBRICS)
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_nothing_planted_gives_no_findings(catalogue, rubric_id: str, seed: int) -> None:
    generated = generate(catalogue.get(rubric_id), PilotSpec.nothing_planted(), seed)
    assert generated.truth[0].expected_findings() == set()
    assert run_analyses(generated.data).findings == []


@pytest.mark.parametrize("switch", ["severe_assessor", "ambiguous_pair", "missed_detail", "opaque_detail", "words_related"])
def test_each_property_switches_alone(catalogue, pl_rubric, switch: str) -> None:
    generated = generate(pl_rubric, PilotSpec.nothing_planted(**{switch: True}), 5)
    expected = generated.truth[0].expected_findings()
    assert expected and {f.key for f in run_analyses(generated.data).findings} == expected


def test_structure_is_counted_as_planted(catalogue) -> None:
    both = combine(generate(catalogue.get(RUBRICS[0]), PilotSpec(missing_ratings=0.08), 7, prefix="P"),
                   generate(catalogue.get(RUBRICS[1]), PilotSpec.nothing_planted(double_marked=0.3), 7, prefix="Q"))
    analysis = run_analyses(both.data)
    assert [r.rubric_id for r in analysis.rubrics] == RUBRICS[:2]
    for r, truth in zip(analysis.rubrics, both.truth):
        assert r.summary.double_marked == len(truth.double_marked) > 0
        assert r.summary.resubmissions == len(truth.resubmissions) > 0
        assert r.summary.missing_ratings == truth.missing_ratings > 0
        assert r.summary.assessors == len(truth.assessors)
    # Findings name their rubric; the two rubrics' findings do not mix.
    assert {f.rubric_id for f in analysis.findings} == {RUBRICS[0]}


def test_same_seed_same_dataset_and_numbers(pl_rubric) -> None:
    a, b = generate(pl_rubric, seed=3), generate(pl_rubric, seed=3)
    assert a.data == b.data and a.truth == b.truth
    assert run_analyses(a.data).dumps() == run_analyses(b.data).dumps()
    assert generate(pl_rubric, seed=4).data != a.data


def test_agreement_and_advice_tables_are_complete(pl_rubric) -> None:
    r = run_analyses(generate(pl_rubric, seed=9).data).rubrics[0]
    n_details = len(pl_rubric.details())
    scopes = [row.scope for row in r.agreement]
    assert scopes.count("detail") == n_details and scopes.count("eo") == len(pl_rubric.essential_outcomes)
    overall = next(row for row in r.agreement if row.scope == "overall")
    assert overall.estimates["kappa"].submissions == r.summary.double_marked
    assert 0 < overall.estimates["kappa"].value < 1 and overall.estimates["kappa"].low < overall.estimates["kappa"].high
    codes = {f.code for f in r.flags}
    assert {"missing_evidence", "weak_evidence"} <= codes
    for f in r.flags:
        assert f.confirmed <= f.decided <= f.raised * 3  # at most first, second and a reconciler decide
    assert sum(sum(map(sum, a.confusion)) for a in r.advice) > 0
