"""CASE: every shipped rubric exports as a valid CFRubric and imports back exactly."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest

from screening.cli import main
from screening.errors import ExportError, RubricError
from screening.exports.case import EXT, case_problems, case_to_rubric, recorded_hash, rubric_to_case
from screening.rubric import RubricCatalogue, load_file

BASE = "https://case.example.org"
WHEN = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)


def _without_path(rubric):
    return rubric.model_copy(update={"path": ""})


def test_every_shipped_rubric_round_trips_exactly(catalogue):
    rubrics = catalogue.list()
    assert len(rubrics) == 4
    for rubric in rubrics:
        doc = json.loads(json.dumps(rubric_to_case(rubric, base_url=BASE)))  # through JSON text, as a file would
        assert case_problems(doc) == [], rubric.id
        back = case_to_rubric(doc)
        assert back == _without_path(rubric), rubric.id
        assert back.content_hash == rubric.content_hash == recorded_hash(doc)


def test_case_fields_carry_the_rubric(pl_rubric):
    doc = rubric_to_case(pl_rubric, base_url=BASE, last_change=WHEN)
    assert doc["title"] == pl_rubric.title and doc["description"] == pl_rubric.overview
    assert doc["lastChangeDateTime"] == "2026-01-15T09:00:00Z"
    criteria = doc["CFRubricCriteria"]
    assert [c["description"] for c in criteria] == [d.text for _, d in pl_rubric.details()]
    assert [c["position"] for c in criteria] == list(range(1, 14))
    assert {c["weight"] for c in criteria} == {1.0}
    assert criteria[0]["category"] == "EO 1: Professional culture"
    assert all(c["rubricId"] == doc["identifier"] for c in criteria)
    for crit, (_, detail) in zip(criteria, pl_rubric.details()):
        levels = crit["CFRubricCriterionLevels"]
        assert [lvl["quality"] for lvl in levels] == ["Demonstrated", "Progressing", "Not Yet"]
        assert [lvl["description"] for lvl in levels] == [lvl.description for lvl in pl_rubric.proficiency_levels]
        assert [(lvl["position"], lvl["score"]) for lvl in levels] == [(1, 2.0), (2, 1.0), (3, 0.0)]
        assert all(lvl["rubricCriterionId"] == crit["identifier"] for lvl in levels)
        # only levels below the required one get feedback: the detail's look-fors
        assert "feedback" not in levels[0]
        for lvl in levels[1:]:
            assert all(look in lvl["feedback"] for look in detail.look_fors)
        assert crit["extensions"][EXT]["detail"]["id"] == detail.id
    ext = doc["extensions"][EXT]["rubric"]
    assert ext["parts"][0]["word_minimum"] == 1000 and ext["required_level"] == "demonstrated"


def test_identifiers_are_stable_uuids(pl_rubric):
    a = rubric_to_case(pl_rubric, base_url=BASE, last_change=WHEN)
    b = rubric_to_case(pl_rubric, base_url=BASE + "/", last_change=datetime(2027, 1, 1, tzinfo=timezone.utc))
    ids = lambda d: [d["identifier"]] + [c["identifier"] for c in d["CFRubricCriteria"]] + [  # noqa: E731
        lvl["identifier"] for c in d["CFRubricCriteria"] for lvl in c["CFRubricCriterionLevels"]]
    assert ids(a) == ids(b) and len(set(ids(a))) == 1 + 13 + 39
    newer = rubric_to_case(pl_rubric.model_copy(update={"version": "2027.1"}), base_url=BASE)
    assert not set(ids(a)) & set(ids(newer))
    assert a["uri"] == f"{BASE}/ims/case/v1p0/CFRubrics/{a['identifier']}"


def test_criteria_order_comes_from_position_not_array_order(pl_rubric):
    doc = rubric_to_case(pl_rubric, base_url=BASE)
    doc["CFRubricCriteria"].reverse()
    for crit in doc["CFRubricCriteria"]:
        crit["CFRubricCriterionLevels"].reverse()
    assert case_to_rubric(doc) == _without_path(pl_rubric)


def test_an_edit_made_in_a_case_tool_comes_back(pl_rubric):
    doc = rubric_to_case(pl_rubric, base_url=BASE)
    doc["CFRubricCriteria"][2]["description"] = "The principal encourages instructional risk taking."
    for crit in doc["CFRubricCriteria"]:
        crit["CFRubricCriterionLevels"][1]["quality"] = "Developing"
    back = case_to_rubric(doc)
    assert back.detail("1.3").text == "The principal encourages instructional risk taking."
    assert back.proficiency_levels[1].label == "Developing"
    assert back.content_hash != recorded_hash(doc)


def test_missing_required_fields_are_named(pl_rubric):
    doc = rubric_to_case(pl_rubric, base_url=BASE)
    del doc["lastChangeDateTime"]
    del doc["CFRubricCriteria"][0]["CFRubricCriterionLevels"][1]["uri"]
    doc["CFRubricCriteria"][3]["identifier"] = "not-a-uuid"
    doc["CFRubricCriteria"][4]["weight"] = "heavy"
    with pytest.raises(ExportError) as info:
        case_to_rubric(doc, source="pl.case.json")
    message = info.value.message
    assert message.startswith("[E028] pl.case.json is not a CASE CFRubric this tool can import:")
    assert "(document): 'lastChangeDateTime' is a required property" in message
    assert "CFRubricCriteria[0].CFRubricCriterionLevels[1]: 'uri' is a required property" in message
    assert "CFRubricCriteria[3].identifier: 'not-a-uuid' does not match" in message
    assert "CFRubricCriteria[4].weight: 'heavy' is not of type 'number'" in message


def test_a_case_rubric_without_our_extension_is_refused_clearly(pl_rubric):
    doc = rubric_to_case(pl_rubric, base_url=BASE)
    plain = copy.deepcopy(doc)
    del plain["extensions"]
    for crit in plain["CFRubricCriteria"]:
        del crit["extensions"]
    with pytest.raises(ExportError, match=r"\[E029\].*extensions.mcScreening.rubric, CFRubricCriteria\[0\]"):
        case_to_rubric(plain)


def test_levels_that_differ_between_criteria_are_refused(pl_rubric):
    doc = rubric_to_case(pl_rubric, base_url=BASE)
    doc["CFRubricCriteria"][5]["CFRubricCriterionLevels"].pop()
    with pytest.raises(ExportError, match=r"(?s)\[E028\].*the criterion for detail 2\.2 \(.*\): its levels differ from those of the criterion for detail 1\.1"):
        case_to_rubric(doc)


def test_an_import_that_is_no_valid_rubric_names_the_field(pl_rubric):
    doc = rubric_to_case(pl_rubric, base_url=BASE)
    doc["extensions"][EXT]["rubric"]["required_level"] = "excellent"
    with pytest.raises(RubricError, match=r"(?s)\[E031\] The rubric described by the CASE document is invalid:.*required_level: 'excellent' is not one of the proficiency levels"):
        case_to_rubric(doc)


def test_cli_export_then_import_gives_a_catalogue_rubric(tmp_path, pl_rubric, capsys):
    case_file = tmp_path / "pl.case.json"
    assert main(["export-rubric", pl_rubric.id, "--format", "case", "--base-url", BASE, "-o", str(case_file)]) == 0
    rubrics = tmp_path / "rubrics"
    rubrics.mkdir()
    yaml_file = rubrics / "imported.yaml"
    assert main(["import-case", str(case_file), "-o", str(yaml_file)]) == 0
    assert main(["rubrics", "validate", str(yaml_file)]) == 0
    imported = RubricCatalogue([rubrics]).get(pl_rubric.id)
    assert _without_path(imported) == _without_path(pl_rubric)
    assert yaml_file.read_text().startswith("# Imported from the CASE CFRubric pl.case.json")
    capsys.readouterr()


def test_cli_bad_inputs_get_codes_and_exit_codes(tmp_path, capsys):
    assert main(["export-rubric", "no-such-rubric", "--format", "case"]) == 3
    assert "[E001]" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"identifier": ')
    assert main(["import-case", str(broken), "-o", str(tmp_path / "x.yaml")]) == 2
    assert "[E019]" in capsys.readouterr().err
    assert main(["import-case", str(tmp_path / "absent.json"), "-o", str(tmp_path / "x.yaml")]) == 2
    assert "[E005]" in capsys.readouterr().err
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"title": "A rubric"}))
    assert main(["import-case", str(partial), "-o", str(tmp_path / "x.yaml")]) == 2
    err = capsys.readouterr().err
    assert "[E028]" in err and "'identifier' is a required property" in err
    assert not (tmp_path / "x.yaml").exists()


def test_written_yaml_is_a_valid_rubric_file(tmp_path, catalogue):
    from screening.rubric import to_yaml

    for rubric in catalogue.list():
        path = tmp_path / f"{rubric.id}.yaml"
        path.write_text(to_yaml(rubric))
        assert _without_path(load_file(path)) == _without_path(rubric)
