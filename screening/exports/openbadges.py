"""Open Badges 3.0: a rubric as an ``Achievement``, a released decision as an ``AchievementCredential``.

Shape (docs/exports.md has the reasons):

- One ``ResultDescription`` per essential outcome, whose ``rubricCriterionLevel`` list is the
  rubric's proficiency levels (highest first) and whose ``requiredLevel`` is the rubric's
  ``required_level``: the rubric sets its requirement per EO, and assessors give a level per EO.
- One ``ResultDescription`` per EO detail, whose levels are the evidence statuses assessors confirm
  per detail (met, weak, missing). These carry no ``requiredLevel``: the rubric format has no
  per-detail requirement, and inventing one would put a rule in the badge the program never set.
- The credential is unsigned (no ``proof``): signing belongs to the issuing service.
- Only human judgments become ``Result``s. The machine report's summary travels in the namespaced
  ``screeningAdvisory`` extension (a JSON literal under our own JSON-LD context), marked advisory.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import Errors, ExportError
from ..rubric import Rubric
from . import ids
from .decision import ReleasedDecision

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXTENSION_NAMESPACE = "https://mc-screening.example/ns/ob3-ext/v1#"
# Inline, so a credential carries the definitions of its extension terms and nothing is fetched.
EXTENSION_CONTEXT: dict[str, Any] = {
    "@version": 1.1,
    "mcs": EXTENSION_NAMESPACE,
    "screeningAdvisory": {"@id": "mcs:screeningAdvisory", "@type": "@json"},
    "assessorComment": "mcs:assessorComment",
    "assessedBy": {"@id": "mcs:assessedBy", "@container": "@set"},
}
ADVISORY_NOTE = (
    "Advisory: what an automated pre-screening of the submission found, kept for program designers. "
    "It is not part of the assessment; the results above are the assessors' judgments."
)

# Evidence statuses an assessor confirms per detail, best first (the report's vocabulary).
DETAIL_LEVELS: tuple[tuple[str, str, str], ...] = (
    ("met", "Met", "The assessors found clear evidence of this detail."),
    ("weak", "Weak", "The assessors found evidence that shows this detail only in part."),
    ("missing", "Missing", "The assessors found no evidence of this detail."),
)


class Issuer(BaseModel):
    """The issuing organisation as an OB 3.0 ``Profile``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="URL or DID of the issuer profile.")
    name: str = Field(min_length=1)
    url: str | None = None
    email: str | None = None

    def profile(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name}
        if self.url:
            out["url"] = self.url
        if self.email:
            out["email"] = self.email
        return out


def _eo_name(eo) -> str:  # type: ignore[no-untyped-def]
    head = f"EO {eo.id} {eo.title}" if eo.title else f"EO {eo.id}"
    return f"{head}: {eo.text}"


def criteria_narrative(rubric: Rubric) -> str:
    """Markdown: what earns the achievement, from the rubric's own EO and detail wording."""
    levels = [lvl.label for lvl in rubric.proficiency_levels]
    required = next(lvl.label for lvl in rubric.proficiency_levels if lvl.id == rubric.required_level)
    lines = [
        f"Earned when assessors judge every essential outcome at **{required}** or above "
        f"(levels, highest first: {', '.join(levels)}), on the evidence of the submission's "
        f"{', '.join(p.title for p in rubric.parts)}.",
        "",
    ]
    for eo in rubric.essential_outcomes:
        lines.append(f"**{_eo_name(eo)}**")
        lines.append("")
        lines.extend(f"- {d.id} {d.text}" for d in eo.details)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _levels(rd_id: str, levels: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [
        {"id": ids.level_id(rd_id, lid), "type": ["RubricCriterionLevel"], "name": name, "level": lid,
         **({"description": text} if text else {})}
        for lid, name, text in levels
    ]


def rubric_achievement(rubric: Rubric, *, base_url: str) -> dict[str, Any]:
    """The rubric as an OB 3.0 ``Achievement`` (ids stable per rubric id + version + element id)."""
    base = ids.normalise_base_url(base_url)
    aid = ids.achievement_id(rubric, base)
    proficiency = [(lvl.id, lvl.label, lvl.description) for lvl in rubric.proficiency_levels]
    results: list[dict[str, Any]] = []
    for eo in rubric.essential_outcomes:
        eo_rd = ids.eo_result_id(rubric, base, eo.id)
        results.append({
            "id": eo_rd, "type": ["ResultDescription"], "name": _eo_name(eo),
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": _levels(eo_rd, proficiency),
            "requiredLevel": ids.level_id(eo_rd, rubric.required_level),
        })
        for d in eo.details:
            d_rd = ids.detail_result_id(rubric, base, d.id)
            criterion = ids.case_uuid(rubric, "criterion", d.id)
            results.append({
                "id": d_rd, "type": ["ResultDescription"], "name": f"{d.id} {d.text}",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": _levels(d_rd, list(DETAIL_LEVELS)),
                # The same criterion in the CASE export of this rubric version (screening/exports/case.py).
                "alignment": [{
                    "type": ["Alignment"], "targetName": f"{rubric.title}, detail {d.id}",
                    "targetUrl": ids.case_uri(base, "CFRubricCriteria", criterion),
                    "targetType": "CFRubricCriterion", "targetCode": d.id,
                }],
            })
    return {
        "id": aid,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": rubric.title,
        "description": rubric.overview or rubric.title,
        "criteria": {"narrative": criteria_narrative(rubric)},
        "humanCode": rubric.id,
        "version": rubric.version,
        "inLanguage": "en",
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": rubric.id, "identifierType": "identifier"},
            {"type": "IdentifierEntry", "identifier": rubric.content_hash, "identifierType": "ext:contentHash"},
        ],
        **({"specialization": rubric.program} if rubric.program else {}),
        "resultDescription": results,
    }


# ---------------------------------------------------------------------------------------------
# Credential


def decision_problems(decision: ReleasedDecision, rubric: Rubric) -> list[str]:
    """Ways the decision does not fit the rubric (empty when it fits). Rubric identity is checked apart."""
    problems: list[str] = []
    level_ids = [lvl.id for lvl in rubric.proficiency_levels]
    eo_ids = [eo.id for eo in rubric.essential_outcomes]
    detail_ids = [d.id for _, d in rubric.details()]
    for eo_id in eo_ids:
        if eo_id not in decision.eo_levels:
            problems.append(f"EO {eo_id} has no level")
    for eo_id, level in decision.eo_levels.items():
        if eo_id not in eo_ids:
            problems.append(f"EO '{eo_id}' is not in the rubric (EOs: {', '.join(eo_ids)})")
        elif level not in level_ids:
            problems.append(f"EO {eo_id}: level '{level}' is not one of the rubric's levels ({', '.join(level_ids)})")
    for detail_id in detail_ids:
        if detail_id not in decision.detail_statuses:
            problems.append(f"detail {detail_id} has no confirmed status")
    for detail_id in decision.detail_statuses:
        if detail_id not in detail_ids:
            problems.append(f"detail '{detail_id}' is not in the rubric")
    for eo_id in decision.eo_comments:
        if eo_id not in eo_ids:
            problems.append(f"comment for EO '{eo_id}', which is not in the rubric")
    for detail_id in decision.detail_comments:
        if detail_id not in detail_ids:
            problems.append(f"comment for detail '{detail_id}', which is not in the rubric")
    return problems


def _check_decision(decision: ReleasedDecision, rubric: Rubric) -> None:
    if (decision.rubric_id, decision.rubric_version, decision.rubric_hash) != (
            rubric.id, rubric.version, rubric.content_hash):
        raise ExportError(Errors.E023.format(
            decision_id=decision.decision_id, decision_rubric=decision.rubric_id,
            decision_version=decision.rubric_version, decision_hash=decision.rubric_hash,
            rubric=rubric.id, version=rubric.version, hash=rubric.content_hash))
    problems = decision_problems(decision, rubric)
    if problems:
        raise ExportError(Errors.E024.format(
            decision_id=decision.decision_id, rubric=rubric.id, version=rubric.version,
            problems="\n".join(f"  - {p}" for p in problems)))
    rank = {lvl.id: i for i, lvl in enumerate(rubric.proficiency_levels)}  # 0 is the highest
    below = [eo.id for eo in rubric.essential_outcomes
             if rank[decision.eo_levels[eo.id]] > rank[rubric.required_level]]
    if below:
        raise ExportError(Errors.E025.format(
            decision_id=decision.decision_id, required=rubric.required_level, eos=", ".join(below)))


def _iso(dt) -> str:  # type: ignore[no-untyped-def]
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def decision_credential(decision: ReleasedDecision, rubric: Rubric, *, base_url: str, issuer: Issuer
                        ) -> dict[str, Any]:
    """A released decision as an unsigned OB 3.0 ``AchievementCredential``.

    Refuses (``ExportError``) a decision made on another rubric version, one that does not cover
    every EO and detail with values from the rubric, and one below the required level: a
    credential says the achievement was earned.
    """
    base = ids.normalise_base_url(base_url)
    _check_decision(decision, rubric)
    results: list[dict[str, Any]] = []
    for eo in rubric.essential_outcomes:
        eo_rd = ids.eo_result_id(rubric, base, eo.id)
        result: dict[str, Any] = {"type": ["Result"], "resultDescription": eo_rd,
                                  "achievedLevel": ids.level_id(eo_rd, decision.eo_levels[eo.id])}
        if decision.eo_comments.get(eo.id):
            result["assessorComment"] = decision.eo_comments[eo.id]
        results.append(result)
        for d in eo.details:
            d_rd = ids.detail_result_id(rubric, base, d.id)
            result = {"type": ["Result"], "resultDescription": d_rd,
                      "achievedLevel": ids.level_id(d_rd, decision.detail_statuses[d.id])}
            if decision.detail_comments.get(d.id):
                result["assessorComment"] = decision.detail_comments[d.id]
            results.append(result)
    r = decision.recipient
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "hashed": True, "identityHash": r.identity_hash,
                        "identityType": r.identity_type, "salt": r.salt}],
        "achievement": rubric_achievement(rubric, base_url=base),
        "result": results,
        "assessedBy": list(decision.assessors),
    }
    if decision.comment:
        subject["assessorComment"] = decision.comment
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT, EXTENSION_CONTEXT],
        "id": f"{base}/ob3/credentials/{decision.decision_id}",
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": rubric.title,
        "issuer": issuer.profile(),
        "validFrom": _iso(decision.released_at),
        "awardedDate": _iso(decision.released_at),
        "credentialSubject": subject,
    }
    if decision.advisory is not None:
        credential["screeningAdvisory"] = {"note": ADVISORY_NOTE,
                                           **decision.advisory.model_dump(mode="json")}
    return credential
