"""A released human decision: the only thing that may become a credential.

The service builds a ``ReleasedDecision`` when assessors release their judgment; the Open Badges
export turns it into an ``AchievementCredential``. Everything here is what people decided, except
``advisory``, a summary of the machine report the decision was made beside: it is exported only in
a namespaced extension, never as a result. The candidate appears only as a salted hash of their
email address (``Recipient``), never by name.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from ..report.model import Report

DetailStatus = Literal["met", "weak", "missing"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Recipient(_Frozen):
    """The credential's subject as an OB 3.0 ``IdentityObject``: a salted SHA-256 of the email."""

    identity_hash: str = Field(pattern=r"^sha256\$[0-9a-f]{64}$", description="'sha256$' + hex digest of email + salt.")
    salt: str = Field(min_length=8)
    identity_type: Literal["emailAddress"] = "emailAddress"

    @classmethod
    def from_email(cls, email: str, salt: str | None = None) -> "Recipient":
        """Hash an email address (trimmed, lower-cased) with ``salt`` (default: 16 random bytes, hex)."""
        salt = salt if salt is not None else secrets.token_hex(16)
        normalised = email.strip().lower()
        digest = hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()
        return cls(identity_hash=f"sha256${digest}", salt=salt)

    def matches(self, email: str) -> bool:
        return Recipient.from_email(email, self.salt).identity_hash == self.identity_hash


class AdvisorySummary(_Frozen):
    """What the machine report said, kept beside the human decision for program designers."""

    report_schema_version: str
    generated_at: datetime
    tool_version: str
    detail_statuses: dict[str, DetailStatus]
    flag_counts: dict[str, int] = Field(description="Number of flags per flag code.")

    @classmethod
    def from_report(cls, report: "Report") -> "AdvisorySummary":
        counts: dict[str, int] = {}
        for flag in report.flags:
            counts[flag.code] = counts.get(flag.code, 0) + 1
        return cls(
            report_schema_version=report.schema_version,
            generated_at=report.generated_at,
            tool_version=report.tool.version,
            detail_statuses={d.id: d.status for d in report.details},
            flag_counts=dict(sorted(counts.items())),
        )


class ReleasedDecision(_Frozen):
    """One released decision on one submission, against the exact rubric version it was made on."""

    decision_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._~-]+$", description="Stable id (URL-safe).")
    rubric_id: str
    rubric_version: str
    rubric_hash: str = Field(description="content_hash of the rubric the decision was made on.")
    recipient: Recipient
    eo_levels: dict[str, str] = Field(description="Proficiency level id per EO id.")
    eo_comments: dict[str, str] = Field(default_factory=dict, description="Assessors' comment per EO id.")
    detail_statuses: dict[str, DetailStatus] = Field(description="Confirmed evidence status per detail id.")
    detail_comments: dict[str, str] = Field(default_factory=dict)
    comment: str = Field("", description="Overall comment for the candidate.")
    released_at: datetime
    assessors: tuple[str, ...] = Field(min_length=1, description="Assessor pseudonyms, never names.")
    advisory: AdvisorySummary | None = None

    @field_validator("released_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("released_at must carry a time zone (OB 3.0 validFrom is a DateTimeZ)")
        return value
