"""Readable renderings of a ``Report``: Markdown and self-contained HTML.

Both are made from the report model alone. Candidates' text is escaped in HTML (autoescape).
Wording is advisory: what was found and where, never a verdict.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..locations import mmss
from .model import Evidence, FileEntry, Report

STATUS_WORDS = {
    "met": "passages found",
    "weak": "only loosely addressed",
    "missing": "no passage found",
}


def location_label(ev: Evidence) -> str:
    if ev.start_s is not None and ev.end_s is not None:
        return f"{mmss(ev.start_s)}–{mmss(ev.end_s)}"
    if ev.page is not None:
        return f"p. {ev.page}"
    return f"¶ {ev.paragraph}"


def extent(f: FileEntry) -> str:
    """Pages of a document, or length and speech of a recording."""
    if f.media is not None:
        length = mmss(f.media.duration_s) if f.media.duration_s is not None else "?"
        lang = f", {f.media.language}" if f.media.language else ""
        return f"{length} ({mmss(f.media.speech_s)} speech{lang})"
    return "" if f.pages is None else f"{f.pages} pp."


def _quote(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def status_method(r: Report) -> str:
    c = r.calibration
    if c.method == "thresholds":
        return "the mapping's thresholds (no calibration used: " + c.reason + ")"
    return f"calibration {c.file} (fitted on {c.n} judged details)"


def to_markdown(report: Report) -> str:
    r = report
    s = r.summary
    lines = [
        f"# Advisory screening report: {r.rubric.title}",
        "",
        f"> {r.advisory}",
        "",
        f"Rubric `{r.rubric.id}` version {r.rubric.version} (`{r.rubric.content_hash[:19]}…`), "
        f"generated {r.generated_at.isoformat()} by {r.tool.name} {r.tool.version}.",
        f"Statuses decided by {status_method(r)}.",
        "",
        "## Readiness",
        "",
        f"- EO details: {r.readiness.details_strong} with passages found, {r.readiness.details_weak} loosely "
        f"addressed, {r.readiness.details_missing} with no passage found.",
        f"- Citation problems: {r.readiness.citation_problems}; word-minimum problems: "
        f"{r.readiness.word_minimum_problems}; privacy warnings: {r.readiness.privacy_warnings}; "
        f"passages restating the rubric: {r.readiness.echo_passages}; file problems: {r.readiness.file_problems}.",
        "",
        *(["Fixes most worth making first:", ""] if r.readiness.fixes else ["No fixes suggested.", ""]),
        *[f"{fx.priority}. {fx.text}" for fx in r.readiness.fixes],
        *([f"\n…and {r.readiness.more_fixes} more kinds of fix: see the flags below."] if r.readiness.more_fixes else []),
        *([""] if r.readiness.fixes else []),
        "## Summary",
        "",
        f"- EO details: {s.details}: passages found for {s.met}, loosely addressed {s.weak}, "
        f"no passage found for {s.missing}.",
        f"- Flags: {s.flags.get('error', 0)} errors, {s.flags.get('warning', 0)} warnings, {s.flags.get('info', 0)} notes.",
        f"- Files: {s.files}" + (f" ({s.files_unreadable} could not be read)" if s.files_unreadable else "") + ".",
        "",
        "## Words per part",
        "",
        "| Part | Files | Words | Minimum | Reached |",
        "|---|---|---:|---:|---|",
    ]
    for p in r.parts:
        reached = "—" if p.meets_minimum is None else ("yes" if p.meets_minimum else "**no**")
        lines.append(
            f"| {p.title} | {', '.join(p.files) or '(none)'} | {p.words:,} | "
            f"{'' if p.minimum is None else f'{p.minimum:,}'} | {reached} |"
        )
    lines += ["", "## Flags", ""]
    if not r.flags:
        lines.append("No flags were raised.")
    for f in r.flags:
        where = ", ".join(x for x in (f.file, f.location.label if f.location else None) if x)
        lines.append(f"- **{f.severity}** `{f.code}`" + (f" ({where})" if where else "") + f": {f.message}")
        lines.append(f"  - What you could do: {f.hint}")
    lines += ["", "## Evidence by essential outcome", ""]
    details = {d.id: d for d in r.details}
    for eo in r.eos:
        lines += [f"### EO {eo.id}" + (f": {eo.title}" if eo.title else ""), "", f"_{eo.text}_", ""]
        for did in eo.details:
            d = details[did]
            derived = " (derived detail)" if d.derived else ""
            score = "" if d.best_score is None else f", best score {d.best_score:.2f}"
            lines.append(f"#### {d.id} {d.text}{derived}")
            lines.append("")
            lines.append(f"Status: **{d.status}**: {STATUS_WORDS[d.status]}{score}.")
            lines.append("")
            for ev in d.evidence:
                lines.append(f"- {ev.file}, {location_label(ev)} (score {ev.score:.2f}): “{_quote(ev.text)}”")
            if d.evidence:
                lines.append("")
    lines += ["## Files", "", "| File | Part | Type | Extent | Words | SHA-256 |", "|---|---|---|---:|---:|---|"]
    for f in r.files:
        lines.append(f"| {f.name} | {f.part} | {f.kind} | {extent(f)} | {f.words:,} | `{f.sha256[:12]}` |")
    lines.append("")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("screening.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["location"] = location_label
    env.filters["extent"] = extent
    env.filters["quote"] = _quote
    env.globals["STATUS_WORDS"] = STATUS_WORDS
    return env


def to_html(report: Report) -> str:
    details = {d.id: d for d in report.details}
    return _env().get_template("report.html.j2").render(r=report, details=details, status_method=status_method)


def write(report: Report, *, json_path: Path | None = None, md_path: Path | None = None,
          html_path: Path | None = None) -> list[Path]:
    """Write the requested renderings; returns the paths written."""
    written: list[Path] = []
    for path, render in (
        (json_path, lambda: report.model_dump_json(indent=2) + "\n"),
        (md_path, lambda: to_markdown(report)),
        (html_path, lambda: to_html(report)),
    ):
        if path is None:
            continue
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(render(), encoding="utf-8")
        tmp.replace(path)  # never leave a half-written report behind
        written.append(path)
    return written
