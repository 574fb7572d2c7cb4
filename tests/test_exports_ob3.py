"""Open Badges 3.0: shipped rubrics as Achievements and released decisions as AchievementCredentials,
validated against 1EdTech's JSON Schema (read from ../shared/standards, never shipped or fetched)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from screening.cli import main
from screening.errors import ExportError
from screening.exports.decision import AdvisorySummary, Recipient, ReleasedDecision
from screening.exports.ob3_validate import (
    achievement_problems,
    credential_problems,
    validate_achievement,
    validate_credential,
)
from screening.exports.openbadges import EXTENSION_CONTEXT, Issuer, decision_credential, rubric_achievement

from .conftest import SHARED

BASE = "https://badges.example.org"
ISSUER = Issuer(id=f"{BASE}/issuers/mlds", name="Missouri Leadership Development System")
EMAIL = "Dana.Whitcomb@example.org"


@pytest.fixture(scope="module")
def schema():
    path = SHARED / "standards" / "ob3" / "achievementcredential.schema.json"
    if not path.is_file():
        pytest.skip(f"OB 3.0 schema not found: {path}")
    return path


def _decision(rubric, **changes) -> ReleasedDecision:
    fields = dict(
        decision_id="dec-0042", rubric_id=rubric.id, rubric_version=rubric.version, rubric_hash=rubric.content_hash,
        recipient=Recipient.from_email(EMAIL, salt="a1b2c3d4e5f60718"),
        eo_levels={eo.id: rubric.required_level for eo in rubric.essential_outcomes},
        eo_comments={rubric.essential_outcomes[0].id: "Norms and follow-through are well documented."},
        detail_statuses={d.id: "met" for _, d in rubric.details()},
        released_at=datetime(2026, 3, 2, 15, 30, tzinfo=timezone(timedelta(hours=-6))),
        assessors=("assessor-7", "assessor-12"),
    )
    fields.update(changes)
    return ReleasedDecision(**fields)


def test_every_shipped_rubric_is_a_valid_achievement(catalogue, schema):
    rubrics = catalogue.list()
    assert len(rubrics) == 4
    for rubric in rubrics:
        doc = rubric_achievement(rubric, base_url=BASE)
        assert achievement_problems(doc, schema) == [], rubric.id
        validate_achievement(doc, schema)
        rds = doc["resultDescription"]
        # one per EO and one per detail, in rubric order
        assert len(rds) == len(rubric.essential_outcomes) + len(rubric.details())
        assert all(rd["resultType"] == "RubricCriterionLevel" for rd in rds)
        levels = [lvl.id for lvl in rubric.proficiency_levels]
        for eo in rubric.essential_outcomes:
            eo_rd = next(rd for rd in rds if rd["id"].endswith(f"/eo/{eo.id}"))
            assert [lvl["level"] for lvl in eo_rd["rubricCriterionLevel"]] == levels  # highest first
            assert [lvl["name"] for lvl in eo_rd["rubricCriterionLevel"]] == [lvl.label for lvl in rubric.proficiency_levels]
            assert eo_rd["requiredLevel"] == f"{eo_rd['id']}/levels/{rubric.required_level}"
            assert eo.text in eo_rd["name"]
        for _, d in rubric.details():
            d_rd = next(rd for rd in rds if rd["id"].endswith(f"/details/{d.id}"))
            assert [lvl["level"] for lvl in d_rd["rubricCriterionLevel"]] == ["met", "weak", "missing"]
            assert "requiredLevel" not in d_rd  # the rubric sets no per-detail requirement
            assert d.text in d_rd["name"] and d.text in doc["criteria"]["narrative"]
        assert doc["version"] == rubric.version
        assert {"identifier": rubric.content_hash, "identifierType": "ext:contentHash",
                "type": "IdentifierEntry"} in doc["otherIdentifier"]


def test_ids_are_stable_and_derived_from_rubric_version_and_element(pl_rubric):
    a = rubric_achievement(pl_rubric, base_url=BASE)
    assert rubric_achievement(pl_rubric, base_url=BASE + "/") == a
    assert a["id"] == f"{BASE}/ob3/achievements/mo-il-professional-learning/{pl_rubric.version}"
    assert a["resultDescription"][1]["id"] == f"{a['id']}/details/1.1"
    newer = pl_rubric.model_copy(update={"version": "2027.1"})
    b = rubric_achievement(newer, base_url=BASE)
    assert not {rd["id"] for rd in a["resultDescription"]} & {rd["id"] for rd in b["resultDescription"]}
    other_host = rubric_achievement(pl_rubric, base_url="https://other.example.net")
    assert other_host["id"].startswith("https://other.example.net/")


@pytest.mark.parametrize("url", ["badges.example.org", "ftp://badges.example.org", "https://x.org/?a=1", ""])
def test_bad_base_url_is_refused_with_a_code(pl_rubric, url):
    with pytest.raises(ExportError, match=r"\[E022\]"):
        rubric_achievement(pl_rubric, base_url=url)


def test_released_decision_becomes_a_valid_credential(pl_rubric, schema):
    decision = _decision(pl_rubric, detail_statuses={**{d.id: "met" for _, d in pl_rubric.details()}, "1.3": "weak"},
                         comment="Strong plan; see EO 1 comment.")
    cred = decision_credential(decision, pl_rubric, base_url=BASE, issuer=ISSUER)
    assert credential_problems(cred, schema) == []
    validate_credential(cred, schema)
    assert cred["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert "proof" not in cred  # unsigned for now
    assert cred["validFrom"] == "2026-03-02T21:30:00Z"
    subject = cred["credentialSubject"]
    results = {r["resultDescription"].rsplit("/", 2)[-2] + "/" + r["resultDescription"].rsplit("/", 1)[-1]:
               r["achievedLevel"].rsplit("/", 1)[-1] for r in subject["result"]}
    assert results["eo/1"] == "demonstrated" and results["details/1.3"] == "weak" and results["details/1.1"] == "met"
    assert len(subject["result"]) == len(pl_rubric.essential_outcomes) + len(pl_rubric.details())
    assert subject["result"][0]["assessorComment"] == "Norms and follow-through are well documented."
    assert subject["assessedBy"] == ["assessor-7", "assessor-12"]
    # the candidate appears only as a salted hash
    ident = subject["identifier"][0]
    assert ident["hashed"] is True and ident["identityType"] == "emailAddress"
    assert decision.recipient.matches(EMAIL) and not decision.recipient.matches("someone@example.org")
    text = json.dumps(cred).lower()
    assert EMAIL.lower() not in text and "whitcomb" not in text
    assert cred["@context"][2] == EXTENSION_CONTEXT


def test_machine_report_goes_only_in_the_namespaced_extension(pl_rubric, schema):
    advisory = AdvisorySummary(report_schema_version="1.1", generated_at=datetime(2026, 2, 20, tzinfo=timezone.utc),
                               tool_version="0.1.0", detail_statuses={d.id: "weak" for _, d in pl_rubric.details()},
                               flag_counts={"weak_evidence": 13})
    cred = decision_credential(_decision(pl_rubric, advisory=advisory), pl_rubric, base_url=BASE, issuer=ISSUER)
    assert credential_problems(cred, schema) == []
    ext = cred["screeningAdvisory"]
    assert ext["flag_counts"] == {"weak_evidence": 13} and "advisory" in ext["note"].lower()
    assert EXTENSION_CONTEXT["screeningAdvisory"]["@type"] == "@json"
    # the results are the assessors' (met), not the machine's (weak)
    detail_levels = {r["achievedLevel"].rsplit("/", 1)[-1] for r in cred["credentialSubject"]["result"]
                     if "/details/" in r["resultDescription"]}
    assert detail_levels == {"met"}


def test_invalid_credentials_fail_with_precise_messages(pl_rubric, schema):
    good = decision_credential(_decision(pl_rubric), pl_rubric, base_url=BASE, issuer=ISSUER)

    no_issuer = copy.deepcopy(good)
    del no_issuer["issuer"]
    assert credential_problems(no_issuer, schema) == ["(document): 'issuer' is a required property"]

    foreign_level = copy.deepcopy(good)
    rd = foreign_level["credentialSubject"]["result"][0]["resultDescription"]
    foreign_level["credentialSubject"]["result"][0]["achievedLevel"] = f"{rd}/levels/excellent"
    assert credential_problems(foreign_level, schema) == [
        f"credentialSubject.result[0].achievedLevel: '{rd}/levels/excellent' is not a level of result description "
        f"'{rd}' (levels: {rd}/levels/demonstrated, {rd}/levels/progressing, {rd}/levels/not_yet)"]

    no_level = copy.deepcopy(good)
    del no_level["credentialSubject"]["result"][2]["achievedLevel"]
    [problem] = credential_problems(no_level, schema)
    assert problem.startswith("credentialSubject.result[2]: 'achievedLevel' is missing")

    unknown_rd = copy.deepcopy(good)
    unknown_rd["credentialSubject"]["result"][1]["resultDescription"] = f"{BASE}/elsewhere"
    assert credential_problems(unknown_rd, schema) == [
        f"credentialSubject.result[1].resultDescription: '{BASE}/elsewhere' is not a result description of the achievement"]

    bad_date = copy.deepcopy(good)
    bad_date["validFrom"] = "2 March 2026"
    assert credential_problems(bad_date, schema) == ["validFrom: '2 March 2026' is not a 'date-time'"]

    bad_identity = copy.deepcopy(good)
    bad_identity["credentialSubject"]["identifier"][0]["email"] = EMAIL
    [problem] = credential_problems(bad_identity, schema)
    assert problem.startswith("credentialSubject.identifier[0]: Additional properties are not allowed ('email'")

    with pytest.raises(ExportError, match=r"\[E027\] The credential is not valid Open Badges 3.0:\n  - \(document\): 'issuer'"):
        validate_credential(no_issuer, schema)


def test_invalid_achievement_fails_with_precise_messages(pl_rubric, schema):
    doc = rubric_achievement(pl_rubric, base_url=BASE)
    del doc["criteria"]
    doc["resultDescription"][0]["requiredLevel"] = "nowhere"
    doc["resultDescription"][1]["resultType"] = "Stars"
    problems = achievement_problems(doc, schema)
    assert "(document): 'criteria' is a required property" in problems
    assert "resultDescription[0].requiredLevel: 'nowhere' is not one of its rubricCriterionLevel ids" in problems
    assert any(p.startswith("resultDescription[1].resultType: 'Stars'") for p in problems)
    with pytest.raises(ExportError, match=r"\[E027\] The achievement"):
        validate_achievement(doc, schema)


def test_schema_path_is_required_and_checked(pl_rubric, tmp_path):
    doc = rubric_achievement(pl_rubric, base_url=BASE)
    with pytest.raises(ExportError, match=r"\[E026\]"):
        validate_achievement(doc, tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ExportError, match=r"\[E019\]"):
        validate_achievement(doc, bad)


def test_decision_must_be_on_the_same_rubric_version(pl_rubric):
    edited = pl_rubric.model_copy(update={"version": "2026.2", "content_hash": "sha256:" + "0" * 64})
    with pytest.raises(ExportError, match=r"\[E023\] The decision dec-0042 was made on rubric mo-il-professional-learning 2026.1"):
        decision_credential(_decision(pl_rubric), edited, base_url=BASE, issuer=ISSUER)


def test_decision_that_does_not_fit_the_rubric_is_refused(pl_rubric):
    levels = {eo.id: "demonstrated" for eo in pl_rubric.essential_outcomes}
    statuses = {d.id: "met" for _, d in pl_rubric.details()}
    bad = _decision(pl_rubric, eo_levels={**levels, "2": "excellent", "9": "demonstrated"},
                    detail_statuses={k: v for k, v in statuses.items() if k != "4.3"})
    with pytest.raises(ExportError) as info:
        decision_credential(bad, pl_rubric, base_url=BASE, issuer=ISSUER)
    message = info.value.message
    assert message.startswith("[E024]")
    assert "EO 2: level 'excellent' is not one of the rubric's levels (demonstrated, progressing, not_yet)" in message
    assert "EO '9' is not in the rubric" in message and "detail 4.3 has no confirmed status" in message


def test_decision_below_the_required_level_gets_no_credential(pl_rubric):
    levels = {eo.id: "demonstrated" for eo in pl_rubric.essential_outcomes} | {"3": "progressing"}
    with pytest.raises(ExportError, match=r"\[E025\].*required level 'demonstrated' for EO 3"):
        decision_credential(_decision(pl_rubric, eo_levels=levels), pl_rubric, base_url=BASE, issuer=ISSUER)


def test_decision_model_guards_its_inputs(pl_rubric):
    with pytest.raises(ValidationError, match="time zone"):
        _decision(pl_rubric, released_at=datetime(2026, 3, 2, 12, 0))
    with pytest.raises(ValidationError):
        _decision(pl_rubric, assessors=())
    with pytest.raises(ValidationError):
        _decision(pl_rubric, detail_statuses={"1.1": "excellent"})
    r = Recipient.from_email("  X@Example.org ")
    assert r.matches("x@example.org") and len(r.salt) == 32 and r.identity_hash.startswith("sha256$")


def test_cli_exports_a_valid_achievement(tmp_path, schema, capsys):
    out = tmp_path / "pl.ob3.json"
    assert main(["export-rubric", "mo-il-professional-learning", "--format", "ob3", "--base-url", BASE,
                 "--schema", str(schema), "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert achievement_problems(doc, schema) == [] and doc["id"].startswith(BASE)
    assert main(["export-rubric", "mo-il-professional-learning", "--format", "ob3", "--schema",
                 str(tmp_path / "none.json")]) == 2
    assert "[E026]" in capsys.readouterr().err
    assert main(["export-rubric", "mo-il-professional-learning", "--format", "ob3", "--base-url", "nope"]) == 2
    assert "[E022]" in capsys.readouterr().err
