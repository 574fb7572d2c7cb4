"""Open Badges 3.0: a completed stack or pathway of a program as an ``AchievementCredential``.

Built like an MC's credential (screening/exports/openbadges.py): the same contexts, issuer
profile and recipient (a salted email hash); unsigned here (the service signs it). The
``Achievement`` is the stack: its ``criteria`` name every MC of the stack and how many must be
earned; ``evidence`` points at the MC credentials (released decisions) that completed it. What
the stack yields outside this service (a recommendation, a designation) is told in the
description, never claimed as granted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ..programs import Program, Stack
from . import ids
from .decision import Recipient
from .openbadges import OB_CONTEXT, VC_CONTEXT, Issuer, _iso

ACHIEVEMENT_TYPES = {"stack": "ext:MicroCredentialStack", "pathway": "ext:MicroCredentialPathway",
                     "program": "LearningProgram"}


@dataclass(frozen=True)
class EarnedMc:
    """One MC of the stack earned by a released decision."""

    mc_id: str
    title: str
    rubric_id: str
    decision_id: str
    released_at: datetime


def stack_achievement_id(program: Program, stack: Stack, base: str) -> str:
    return f"{base}/ob3/programs/{quote(program.id, safe='')}/{quote(program.version, safe='')}/stacks/{quote(stack.id, safe='')}"


def stack_criteria(program: Program, stack: Stack) -> str:
    """Markdown: what earns the stack, naming each of its MCs."""
    need = (f"all {len(stack.mcs)}" if stack.needed == len(stack.mcs) else f"any {stack.needed} of the {len(stack.mcs)}")
    lines = [f"Earned when assessors have released decisions earning {need} micro-credentials of the "
             f"{stack.title} ({program.title}):", ""]
    for mc_id in stack.mcs:
        mc = program.mc(mc_id)
        lines.append(f"- {mc.title if mc else mc_id}" + (f" ({mc.rubric})" if mc and mc.rubric else ""))
    return "\n".join(lines) + "\n"


def stack_achievement(program: Program, stack: Stack, *, base_url: str) -> dict[str, Any]:
    base = ids.normalise_base_url(base_url)
    yields = [y.text + ("" if y.established else " (not established)") for y in stack.yields if y.kind != "credential"]
    description = stack.description or stack.title
    if yields:
        description += " Completing it can lead to: " + " ".join(yields)
    return {
        "id": stack_achievement_id(program, stack, base),
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES[stack.kind],
        "name": stack.title,
        "description": description,
        "criteria": {"narrative": stack_criteria(program, stack)},
        "humanCode": f"{program.id}/{stack.id}",
        "version": program.version,
        "inLanguage": "en",
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": f"{program.id}/{stack.id}", "identifierType": "identifier"},
            {"type": "IdentifierEntry", "identifier": program.content_hash, "identifierType": "ext:contentHash"},
        ],
        "specialization": program.title,
    }


def stack_credential(program: Program, stack: Stack, earned: list[EarnedMc], recipient: Recipient, *,
                     credential_id: str, base_url: str, issuer: Issuer) -> dict[str, Any]:
    """The completed stack as an unsigned OB 3.0 ``AchievementCredential``, valid from the
    release of the last decision that completed it."""
    base = ids.normalise_base_url(base_url)
    if not earned or len(earned) < stack.needed:
        raise ValueError(f"stack {stack.id} is not complete: {len(earned)} of {stack.needed} MCs earned")
    completed = max(e.released_at for e in earned)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "hashed": True, "identityHash": recipient.identity_hash,
                        "identityType": recipient.identity_type, "salt": recipient.salt}],
        "achievement": stack_achievement(program, stack, base_url=base),
    }
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"{base}/ob3/stack-credentials/{quote(credential_id, safe='')}",
        "type": ["VerifiableCredential", "AchievementCredential"],
        "name": stack.title,
        "issuer": issuer.profile(),
        "validFrom": _iso(completed),
        "awardedDate": _iso(completed),
        "credentialSubject": subject,
        "evidence": [{"id": f"{base}/ob3/credentials/{quote(e.decision_id, safe='')}", "type": ["Evidence"],
                      "name": e.title, "description": f"{e.title} ({e.rubric_id}), earned {_iso(e.released_at)}"}
                     for e in earned],
    }
