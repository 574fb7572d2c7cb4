"""Write an analysis as a folder: ``report.html`` (self-contained: no scripts, no external
styles; its plots are PNG files in ``plots/`` beside it) and ``findings.json``."""

from __future__ import annotations

import math
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..errors import Errors, UsageError
from ..pilot import PilotData
from . import plots
from .run import Analysis

ADVISORY = (
    "This report describes how the rubric and the marking behaved in a pilot: how clearly each EO detail "
    "reads, how often the screener's advice was borne out, and how closely markers agreed. Markers appear under "
    "pseudonyms. Nothing here judges a candidate or a person; every figure comes with its interval and the rule "
    "that raised each finding."
)


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def write_analysis(analysis: Analysis, data: PilotData, out: Path, source: str = "") -> list[Path]:
    if out.exists() and not out.is_dir():
        raise UsageError(Errors.E041.format(path=out))
    (out / "plots").mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    figures: dict[str, dict[str, str]] = {}
    for i, r in enumerate(analysis.rubrics, 1):
        subs = [s for s in data.submissions if (s.rubric_id, s.rubric_version) == (r.rubric_id, r.rubric_version)]
        f = {
            "rates": plots.rates_plot(r, out / "plots" / f"{i}-rates.png"),
            "agreement": plots.agreement_plot(r, out / "plots" / f"{i}-agreement.png"),
            "severity": plots.severity_plot(r, out / "plots" / f"{i}-severity.png"),
            "pairs": plots.pairs_plot(r, out / "plots" / f"{i}-pairs.png"),
            "size": plots.size_plot(r, out / "plots" / f"{i}-size.png", subs),
        }
        written += f.values()
        figures[f"{r.rubric_id} {r.rubric_version}"] = {k: str(p.relative_to(out)) for k, p in f.items()}
    env = Environment(loader=PackageLoader("screening.analysis", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.filters["f"] = _fmt
    html = env.get_template("analysis.html.j2").render(
        analysis=analysis, figures=figures, advisory=ADVISORY, source=source, isnan=lambda x: x != x)
    (out / "report.html").write_text(html, encoding="utf-8")
    (out / "findings.json").write_text(analysis.dumps(), encoding="utf-8")
    return [out / "report.html", out / "findings.json", *written]
