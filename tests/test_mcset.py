"""The labelled micro-credential passage set (bench/data/mc_passages.yaml) and its validator."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from bench import mcset
from bench.mcset import MCSetError, coverage_problems, load


@pytest.fixture(scope="module")
def passages(catalogue):
    return load(catalogue=catalogue)


def test_the_set_loads_and_covers_all_four_rubrics(passages, catalogue):
    assert len({p.id for p in passages}) == len(passages)
    by_rubric = Counter(p.rubric for p in passages)
    assert set(by_rubric) == {r.id for r in catalogue.list()}
    for p in passages:
        assert mcset.MIN_WORDS <= p.words <= mcset.MAX_WORDS, p.id
        assert (p.details == ()) == (p.label in ("echo", "nothing")), p.id


def test_every_detail_has_evidence_vocab_evidence_and_echo(passages, catalogue):
    # Counted here from the passages themselves, not through coverage_problems, so the test
    # does not share a bug with the code it checks.
    evidence_sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    evidence = Counter()
    vocab = Counter()
    echo = Counter()
    for p in passages:
        for d in p.details:
            if p.label == "evidence":
                evidence[(p.rubric, d)] += 1
                evidence_sources[(p.rubric, d)].add(p.source)
            elif p.label == "vocab_evidence":
                vocab[(p.rubric, d)] += 1
        if p.label == "echo":
            echo[(p.rubric, p.echoes)] += 1
    short = []
    for rubric in catalogue.list():
        for _, detail in rubric.details():
            key = (rubric.id, detail.id)
            if evidence[key] < 2 or len(evidence_sources[key]) < 2 or vocab[key] < 1 or echo[key] < 1:
                short.append(f"{key}: evidence {evidence[key]} from {sorted(evidence_sources[key])}, "
                             f"vocab_evidence {vocab[key]}, echo {echo[key]}")
    assert short == []


def test_every_rubric_has_nothing_and_two_detail_passages(passages, catalogue):
    for rubric in catalogue.list():
        mine = [p for p in passages if p.rubric == rubric.id]
        assert sum(p.label == "nothing" for p in mine) >= 12, rubric.id
        assert any(p.label == "evidence" and len(p.details) >= 2 for p in mine), rubric.id
        assert {p.style for p in mine if p.label == "echo"} == set(mcset.ECHO_STYLES), rubric.id


def test_coverage_problems_is_empty_for_the_set_and_names_a_gap(passages, catalogue):
    assert coverage_problems(passages, catalogue) == []
    without = [p for p in passages if not (p.rubric == "mo-il-assessment" and p.echoes == "2.4")]
    assert coverage_problems(without, catalogue) == ["mo-il-assessment 2.4: 0 echo passage(s), need 1"]


def test_summary_counts_every_passage(passages, catalogue):
    text = mcset.summary(passages, catalogue)
    total_row = next(line for line in text.splitlines() if line.startswith("| **all**"))
    assert total_row.rstrip(" |").endswith(str(len(passages)))
    assert "| mo-il-curriculum | 3.4 |" in text


# ---------------------------------------------------------------------------------------------
# The validator rejects bad entries, naming the entry

GOOD = {
    "id": "t-001",
    "rubric": "mo-il-professional-learning",
    "source": "artifact",
    "label": "evidence",
    "details": ["2.3"],
    "text": "Title II.A budget 2025-26: 30 substitute half-days for peer observation ($3,150) and "
            "committee stipends ($3,000).",
}


def _write(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump({"passages": list(entries)}, sort_keys=False))
    return path


def test_a_good_entry_loads(tmp_path, catalogue):
    [p] = load(_write(tmp_path, GOOD), catalogue)
    assert (p.id, p.details, p.label) == ("t-001", ("2.3",), "evidence")


def test_an_echo_may_restate_a_whole_eo(tmp_path, catalogue):
    echo = GOOD | {"label": "echo", "details": [], "echoes": "2", "style": "paraphrase"}
    [p] = load(_write(tmp_path, echo), catalogue)
    assert (p.echoes, p.details) == ("2", ())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"rubric": "mo-il-leadership"}, "unknown rubric 'mo-il-leadership'"),
        ({"details": ["2.9"]}, "detail '2.9' does not exist in rubric mo-il-professional-learning"),
        ({"details": [2.3]}, "details must be a list of detail ids written as strings"),
        ({"details": ["2.3", "2.3"]}, "details repeat an id"),
        ({"label": "evidenced"}, "label 'evidenced' is not one of"),
        ({"source": "email"}, "source 'email' is not one of"),
        ({"label": "nothing"}, "label 'nothing' evidences nothing, so details must be []"),
        ({"details": []}, "label 'evidence' must name at least one detail"),
        ({"label": "echo", "details": [], "echoes": "2.3"}, "an echo needs style"),
        ({"label": "echo", "details": [], "style": "verbatim"}, "an echo must say what it restates"),
        ({"label": "echo", "details": [], "echoes": "7.1", "style": "filler"}, "echoes '7.1' is not a detail or EO"),
        ({"style": "verbatim"}, "echoes and style are only for label 'echo'"),
        ({"text": "Too short to be a passage."}, "text has 6 words; passages must have 15-70"),
        ({"text": "word " * 71}, "text has 71 words"),
        ({"colour": "red"}, "unknown field(s) colour"),
    ],
)
def test_a_bad_entry_is_rejected_with_its_id(tmp_path, catalogue, change, expected):
    entry = {**GOOD, **change}
    with pytest.raises(MCSetError) as err:
        load(_write(tmp_path, entry), catalogue)
    assert len(err.value.problems) == 1, err.value.problems
    assert err.value.problems[0].startswith("entry 't-001': ")
    assert expected in err.value.problems[0]


def test_missing_fields_and_duplicate_ids_are_reported_together(tmp_path, catalogue):
    no_text = {k: v for k, v in GOOD.items() if k != "text"} | {"id": "t-002"}
    with pytest.raises(MCSetError) as err:
        load(_write(tmp_path, GOOD, GOOD, no_text), catalogue)
    assert err.value.problems == [
        "entry 't-001': duplicate id (ids must be unique)",
        "entry 't-002': missing field(s) text",
    ]


def test_an_entry_without_an_id_is_named_by_position(tmp_path, catalogue):
    no_id = {k: v for k, v in GOOD.items() if k != "id"}
    with pytest.raises(MCSetError, match=r"entry #2 \(no id\): missing field\(s\) id"):
        load(_write(tmp_path, GOOD | {"id": "t-009"}, no_id), catalogue)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("passages: [\n  - id: x\n", "not valid YAML at line"),
        ("- just a list\n", "top level must be a mapping with a 'passages' list"),
        ("passages:\n  - just a string\n", "entry #1: is a str, expected a mapping"),
    ],
)
def test_a_malformed_file_is_rejected(tmp_path, catalogue, content, expected):
    path = tmp_path / "set.yaml"
    path.write_text(content)
    with pytest.raises(MCSetError, match=expected):
        load(path, catalogue)


def test_a_missing_file_is_a_clear_error(tmp_path, catalogue):
    with pytest.raises(MCSetError, match="cannot read the file"):
        load(tmp_path / "nope.yaml", catalogue)


def test_cli_prints_counts_and_fails_cleanly_on_a_bad_file(tmp_path, capsys):
    assert mcset.main([]) == 0
    out = capsys.readouterr().out
    assert "## Passages per rubric and label" in out and "Echo styles:" in out
    bad = _write(tmp_path, GOOD | {"label": "echo"})
    assert mcset.main([str(bad)]) == 1
    err = capsys.readouterr().err
    assert "entry 't-001'" in err and "Traceback" not in err
