"""The common result record of every quality evaluator, and its Markdown table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..results import commit


@dataclass
class Result:
    """One method measured on one dataset: what the harness writes to bench/RESULTS.md."""

    dataset: str
    method: str
    kind: str  # "baseline" | "zero-shot" | "calibrated" | "mapping"
    metrics: dict[str, float]
    primary: str  # the key of ``metrics`` the evaluator ranks by
    model: str
    settings: dict[str, Any] = field(default_factory=dict)
    fit_s: float | None = None  # wall-clock seconds to fit (calibrated methods), rough
    note: str = ""
    date: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    commit: str = field(default_factory=commit)

    @property
    def score(self) -> float:
        return self.metrics[self.primary]


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if value != value:  # NaN: no predictions or no positives
        return "n/a"
    return f"{value:.3f}"


def table(results: list[Result], metrics: list[str], with_fit: bool = True) -> list[str]:
    """Markdown rows: method, kind, the named metrics, fit time, settings, note."""
    head = ["method", "kind", *metrics] + (["fit s"] if with_fit else []) + ["settings", "note"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(metrics) + with_fit) + "---|---|"]
    for r in results:
        cells = [r.method, r.kind, *(_fmt(r.metrics.get(m)) for m in metrics)]
        if with_fit:
            cells.append("" if r.fit_s is None else f"{r.fit_s:.1f}")
        cells.append(", ".join(f"{k}={v}" for k, v in r.settings.items()))
        cells.append(r.note)
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines
