"""The labelled micro-credential passage set (``bench/data/mc_passages.yaml``): load, validate, count.

The set benchmarks two things: the rubric-echo check (``echo`` passages should be flagged,
``vocab_evidence`` passages must not be) and the evidence mapping (each ``evidence`` or
``vocab_evidence`` passage names the EO details it evidences; ``echo`` and ``nothing`` passages
evidence none). See docs/labelled-set.md.

``load()`` validates every entry against the rubrics and raises ``MCSetError`` listing every
problem, each naming its entry id. ``coverage_problems()`` says which details lack the minimum
passages the set promises. Run ``python -m bench.mcset`` for counts per rubric x label and per
detail.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from screening.rubric import Rubric, RubricCatalogue

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PATH = REPO / "bench" / "data" / "mc_passages.yaml"

SOURCES = ("narrative", "reflection", "artifact", "transcript")
LABELS = ("evidence", "vocab_evidence", "echo", "nothing")
ECHO_STYLES = ("verbatim", "paraphrase", "filler", "promise")
# Labels whose passages evidence nothing, so their ``details`` must be empty.
NO_DETAIL_LABELS = ("echo", "nothing")
MIN_WORDS, MAX_WORDS = 15, 70

# What every detail of every rubric must have (label -> minimum passages), and how many distinct
# sources its ``evidence`` passages must come from.
MIN_PER_DETAIL = {"evidence": 2, "vocab_evidence": 1, "echo": 1}
MIN_EVIDENCE_SOURCES = 2

_REQUIRED = ("id", "rubric", "source", "label", "details", "text")
_OPTIONAL = ("echoes", "style")


class MCSetError(ValueError):
    """The passage file is unreadable or has invalid entries; the message lists every problem."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class LabelledPassage:
    id: str
    rubric: str
    source: str
    label: str
    details: tuple[str, ...]
    text: str
    echoes: str | None = None  # echo only: the detail (or whole EO) the passage restates
    style: str | None = None  # echo only: how it restates it (see ECHO_STYLES)

    @property
    def words(self) -> int:
        return len(self.text.split())


def _rubrics(catalogue: RubricCatalogue | None) -> dict[str, Rubric]:
    catalogue = catalogue or RubricCatalogue([REPO / "rubrics"])
    return {r.id: r for r in catalogue.list()}


def _eo_ids(rubric: Rubric) -> set[str]:
    return {eo.id for eo in rubric.essential_outcomes}


def _check_entry(n: int, entry: Any, rubrics: dict[str, Rubric], seen: set[str]) -> tuple[LabelledPassage | None, list[str]]:
    """One entry's problems, each prefixed with the entry's id (or its position when it has none)."""
    if not isinstance(entry, dict):
        return None, [f"entry #{n}: is a {type(entry).__name__}, expected a mapping of fields"]
    pid = entry.get("id")
    name = f"entry '{pid}'" if isinstance(pid, str) and pid else f"entry #{n} (no id)"
    problems: list[str] = []

    def bad(msg: str) -> None:
        problems.append(f"{name}: {msg}")

    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        bad("missing field(s) " + ", ".join(missing))
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        bad("unknown field(s) " + ", ".join(map(str, unknown)) + f"; allowed: {', '.join(_REQUIRED + _OPTIONAL)}")
    if missing:
        return None, problems

    if not isinstance(pid, str) or not pid.strip():
        bad("id must be a non-empty string")
    elif pid in seen:
        bad("duplicate id (ids must be unique)")
    else:
        seen.add(pid)

    rubric = rubrics.get(entry["rubric"]) if isinstance(entry["rubric"], str) else None
    if rubric is None:
        bad(f"unknown rubric {entry['rubric']!r}; known: {', '.join(sorted(rubrics))}")
    if entry["source"] not in SOURCES:
        bad(f"source {entry['source']!r} is not one of {', '.join(SOURCES)}")
    label = entry["label"]
    if label not in LABELS:
        bad(f"label {label!r} is not one of {', '.join(LABELS)}")

    details = entry["details"]
    if not isinstance(details, list) or not all(isinstance(d, str) for d in details):
        bad('details must be a list of detail ids written as strings, e.g. ["2.1"]')
        details = []
    else:
        if len(set(details)) != len(details):
            bad(f"details repeat an id: {details}")
        if label in NO_DETAIL_LABELS and details:
            bad(f"label {label!r} evidences nothing, so details must be []; got {details}")
        if label in ("evidence", "vocab_evidence") and not details:
            bad(f"label {label!r} must name at least one detail it evidences")
        if rubric is not None:
            for d in details:
                if rubric.detail(d) is None:
                    bad(f"detail {d!r} does not exist in rubric {rubric.id}")

    echoes, style = entry.get("echoes"), entry.get("style")
    if label == "echo":
        if not isinstance(echoes, str):
            bad('an echo must say what it restates: echoes: "<detail or EO id>" (a string)')
        elif rubric is not None and rubric.detail(echoes) is None and echoes not in _eo_ids(rubric):
            bad(f"echoes {echoes!r} is not a detail or EO of rubric {rubric.id}")
        if style not in ECHO_STYLES:
            bad(f"an echo needs style, one of {', '.join(ECHO_STYLES)}; got {style!r}")
    else:
        if echoes is not None or style is not None:
            bad(f"echoes and style are only for label 'echo', not {label!r}")

    text = entry["text"]
    if not isinstance(text, str) or not text.strip():
        bad("text must be a non-empty string")
    else:
        words = len(text.split())
        if not MIN_WORDS <= words <= MAX_WORDS:
            bad(f"text has {words} words; passages must have {MIN_WORDS}-{MAX_WORDS}")

    if problems:
        return None, problems
    return LabelledPassage(
        id=pid, rubric=entry["rubric"], source=entry["source"], label=label, details=tuple(details),
        text=" ".join(text.split()), echoes=echoes, style=style,
    ), []


def validate(data: Any, rubrics: dict[str, Rubric], path: Path) -> list[LabelledPassage]:
    """Passages from parsed YAML, or ``MCSetError`` listing every problem found."""
    if not isinstance(data, dict) or not isinstance(data.get("passages"), list):
        raise MCSetError(path, ["top level must be a mapping with a 'passages' list"])
    out: list[LabelledPassage] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, entry in enumerate(data["passages"], start=1):
        passage, entry_problems = _check_entry(n, entry, rubrics, seen)
        problems.extend(entry_problems)
        if passage is not None:
            out.append(passage)
    if problems:
        raise MCSetError(path, problems)
    return out


def load(path: Path | str | None = None, catalogue: RubricCatalogue | None = None) -> list[LabelledPassage]:
    """Load and validate the passage set (default ``bench/data/mc_passages.yaml``)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MCSetError(path, [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise MCSetError(path, [f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"]) from None
    return validate(data, _rubrics(catalogue), path)


def detail_counts(passages: Iterable[LabelledPassage]) -> Counter[tuple[str, str, str]]:
    """(rubric, detail, label) -> passages; an echo counts for the detail it ``echoes``."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for p in passages:
        if p.label == "echo" and p.echoes:
            counts[(p.rubric, p.echoes, "echo")] += 1
        for d in p.details:
            counts[(p.rubric, d, p.label)] += 1
    return counts


def coverage_problems(passages: list[LabelledPassage], catalogue: RubricCatalogue | None = None) -> list[str]:
    """Details of every rubric that lack the minimum passages (MIN_PER_DETAIL, MIN_EVIDENCE_SOURCES)."""
    counts = detail_counts(passages)
    problems = []
    for rubric in _rubrics(catalogue).values():
        for _, detail in rubric.details():
            for label, minimum in MIN_PER_DETAIL.items():
                have = counts[(rubric.id, detail.id, label)]
                if have < minimum:
                    problems.append(f"{rubric.id} {detail.id}: {have} {label} passage(s), need {minimum}")
            sources = {p.source for p in passages
                       if p.rubric == rubric.id and p.label == "evidence" and detail.id in p.details}
            if len(sources) < MIN_EVIDENCE_SOURCES:
                problems.append(f"{rubric.id} {detail.id}: evidence from {len(sources)} source kind(s), "
                                f"need {MIN_EVIDENCE_SOURCES}")
    return problems


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary(passages: list[LabelledPassage], catalogue: RubricCatalogue | None = None) -> str:
    """Markdown: passages per rubric x label, per rubric x source, and per detail."""
    rubrics = _rubrics(catalogue)
    by_label = Counter((p.rubric, p.label) for p in passages)
    by_source = Counter((p.rubric, p.source) for p in passages)
    multi = Counter(p.rubric for p in passages if len(p.details) > 1)
    used = list(dict.fromkeys(p.rubric for p in passages))  # in file order
    rows = [[r, *(by_label[(r, lab)] for lab in LABELS), multi[r], sum(by_label[(r, lab)] for lab in LABELS)]
            for r in used]
    rows.append(["**all**", *(sum(by_label[(r, lab)] for r in used) for lab in LABELS),
                 sum(multi.values()), len(passages)])
    out = ["## Passages per rubric and label", "",
           _table(["rubric", *LABELS, "two+ details", "total"], rows), ""]
    out += ["## Passages per rubric and source", "",
            _table(["rubric", *SOURCES], [[r, *(by_source[(r, s)] for s in SOURCES)] for r in used]), ""]
    counts = detail_counts(passages)
    detail_rows = [[r, d.id, *(counts[(r, d.id, lab)] for lab in ("evidence", "vocab_evidence", "echo"))]
                   for r in used for _, d in rubrics[r].details()]
    out += ["## Passages per detail (an echo counts for the detail it restates)", "",
            _table(["rubric", "detail", "evidence", "vocab_evidence", "echo"], detail_rows), ""]
    echo_styles = Counter(p.style for p in passages if p.label == "echo")
    eo_echoes = sum(1 for p in passages if p.label == "echo" and rubrics[p.rubric].detail(p.echoes or "") is None)
    out += ["Echo styles: " + ", ".join(f"{s} {echo_styles[s]}" for s in ECHO_STYLES)
            + f". Echoes of a whole EO rather than a detail: {eo_echoes}."]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mcset", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH, help="passage file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        passages = load(args.path)
    except MCSetError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(summary(passages))
    gaps = coverage_problems(passages)
    if gaps:
        print("\nDetails below the set's minimums:\n" + "\n".join(f"  - {g}" for g in gaps))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
