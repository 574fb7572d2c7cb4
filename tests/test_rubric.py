import json
from pathlib import Path

import pytest

from screening.errors import RubricError
from screening.rubric import RubricCatalogue, content_hash, load_file, validate_file

REPO = Path(__file__).resolve().parents[1]
SEED_EOS = {
    "mo-il-curriculum": 3,
    "mo-il-instructional-practice": 4,
    "mo-il-assessment": 3,
    "mo-il-professional-learning": 4,
}


def test_four_missouri_rubrics_ship_with_the_seed_eo_counts(catalogue):
    rubrics = {r.id: r for r in catalogue.list()}
    assert {k: len(rubrics[k].essential_outcomes) for k in SEED_EOS} == SEED_EOS
    for r in rubrics.values():
        assert all(d.derived for _, d in r.details()), "seeds publish no details: all must be marked derived"
        assert r.part("narrative").word_minimum == 1000
        assert r.part("reflection").word_minimum == 500
        assert r.part("portfolio").requires_self_analysis


def test_pl_eo_wording_is_the_seeds(pl_rubric):
    seed = (REPO.parent / "shared" / "seeds" / "004_0bb428ec60dccea3.txt")
    eo1 = pl_rubric.essential_outcomes[0].text
    assert eo1.startswith("The school principal fosters a professional culture that creates trust")
    if seed.exists():
        assert "1,000-word minimum" in seed.read_text() and "500-word minimum" in seed.read_text()


def test_content_hash_is_canonical_and_stable(pl_rubric, tmp_path):
    src = Path(pl_rubric.path).read_text()
    # comments and key order do not change the hash; content does
    copy = tmp_path / "copy.yaml"
    copy.write_text("# a comment\n" + src)
    assert load_file(copy).content_hash == pl_rubric.content_hash
    changed = tmp_path / "changed.yaml"
    changed.write_text(src.replace("Staff norms written", "Staff norms drafted"))
    assert load_file(changed).content_hash != pl_rubric.content_hash
    assert content_hash({"b": 1, "a": [1, 2]}) == content_hash({"a": [1, 2], "b": 1})


def _write(tmp_path, text):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return p


def test_schema_problem_names_file_line_and_field(pl_rubric, tmp_path):
    src = Path(pl_rubric.path).read_text()
    bad = _write(tmp_path, src.replace('      - id: "2.2"', '      - id: "two"'))
    data, problems = validate_file(bad)
    assert data is None
    [p] = problems
    assert p.path == str(bad)
    assert p.field == "essential_outcomes[1].details[1].id"
    line = src.splitlines().index('      - id: "2.2"') + 1
    assert p.line == line
    assert "does not match" in p.message
    assert f"{bad}:{line}: essential_outcomes[1].details[1].id" in str(p)


def test_semantic_problems(pl_rubric, tmp_path):
    src = Path(pl_rubric.path).read_text()
    bad = _write(tmp_path, src.replace('      - id: "2.2"', '      - id: "3.9"').replace(
        "required_level: demonstrated", "required_level: excellent"))
    _, problems = validate_file(bad)
    messages = [p.message for p in problems]
    assert any("should start with its EO id '2.'" in m for m in messages)
    assert any("'excellent' is not one of the proficiency levels" in m for m in messages)


def test_yaml_syntax_error_has_line(tmp_path):
    bad = _write(tmp_path, "format: mc-rubric/1\nid: x\n  title: [unclosed\n")
    _, problems = validate_file(bad)
    assert problems[0].line is not None and "not valid YAML" in problems[0].message


def test_unknown_rubric_lists_available(catalogue):
    with pytest.raises(RubricError) as exc:
        catalogue.get("mo-il-nope")
    assert "[E001]" in exc.value.message and "mo-il-professional-learning" in exc.value.message
    assert exc.value.exit_code == 3


def test_same_id_and_version_with_different_content_is_refused(pl_rubric, tmp_path):
    src = Path(pl_rubric.path).read_text()
    (tmp_path / "a.yaml").write_text(src)
    (tmp_path / "b.yaml").write_text(src.replace("Staff norms written", "Staff norms drafted"))
    with pytest.raises(RubricError, match="E004"):
        RubricCatalogue([tmp_path]).list()


def test_newer_version_wins_under_the_bare_id(pl_rubric, tmp_path):
    src = Path(pl_rubric.path).read_text()
    (tmp_path / "a.yaml").write_text(src)
    (tmp_path / "b.yaml").write_text(src.replace('version: "2026.1"', 'version: "2026.10"').replace(
        "Staff norms written", "Staff norms drafted"))
    assert RubricCatalogue([tmp_path]).get(pl_rubric.id).version == "2026.10"


def test_schema_file_is_valid_json_schema():
    import jsonschema

    schema = json.loads((REPO / "rubrics" / "schema" / "rubric.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
