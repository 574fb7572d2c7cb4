"""Readiness counts of one screening report: detail statuses (met / weak / missing), flags by
severity and the flag codes present. Read once, when the report is stored, and kept beside it
(``reports`` columns and ``report_flag_codes`` rows) so the assessors' queue never parses reports.
Pure: no database, no models (the models' insert hook and migration 0005 both use it)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

STATUSES = ("met", "weak", "missing")
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Counts:
    """What the queue needs from one report: detail statuses and flags (by severity, by code)."""

    details: dict[str, int]
    flags: dict[str, int]
    flag_codes: dict[str, int]

    @property
    def flag_total(self) -> int:
        return sum(self.flags.values())

    def columns(self) -> dict[str, int]:
        """The ``reports`` columns that hold these counts."""
        return {**self.details, **{f"flags_{k}": v for k, v in self.flags.items()}}


def counts_of(report: dict[str, Any]) -> Counts:
    summary = report.get("summary") or {}
    codes = Counter(str(f.get("code", "")) for f in report.get("flags") or [] if isinstance(f, dict))
    return Counts(details={k: int(summary.get(k, 0) or 0) for k in STATUSES},
                  flags={k: int((summary.get("flags") or {}).get(k, 0) or 0) for k in SEVERITIES},
                  flag_codes=dict(sorted((c[:64], n) for c, n in codes.items())))


def counts_of_json(text: str) -> Counts:
    try:
        report = json.loads(text)
    except ValueError:
        report = {}
    return counts_of(report if isinstance(report, dict) else {})
