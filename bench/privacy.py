"""Precision and recall of the student-privacy detector on a labelled list of lines.

The list, ``tests/fixtures/privacy/labelled.txt``, was written for this project: positives of
every kind (labelled fields, rosters, names with student cues in prose, IDs, birth dates,
contact details) and hard negatives (staff, cited authors, meeting dates, percentages, years,
counts, page numbers, the school's name). A finding counts as a true positive when it has the
expected kind and overlaps the expected span. ``tests/fixtures/privacy/heldout.txt`` was written after the detector was tuned
and is reported separately. Where the shared CEReD data is present (real student teachers'
diary sentences, no labels for personal data), the bench also counts the sentences flagged, by
index and reason only, for reading by hand. Run: ``python -m bench.privacy``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from screening.models import spacy_entity_pipeline
from screening.privacy import KINDS, Finding, detect_many
from screening.settings import Settings

from .results import commit as current_commit

REPO = Path(__file__).resolve().parents[1]
LABELLED = REPO / "tests" / "fixtures" / "privacy" / "labelled.txt"
HELDOUT = REPO / "tests" / "fixtures" / "privacy" / "heldout.txt"
CERED = REPO.parent / "shared" / "data" / "cered" / "train" / "sentences.tsv"
TODAY = date(2026, 1, 15)  # birth years are judged against a fixed day, so results repeat
_MARK = re.compile(r"\[\[(?P<kind>[a-z_]+):(?P<text>.+?)\]\]")


@dataclass(frozen=True)
class Item:
    line: int
    text: str
    truth: tuple[tuple[str, int, int], ...]  # (kind, start, end)


def load(path: Path = LABELLED) -> list[Item]:
    items: list[Item] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        raw = raw.replace("\\n", "\n")
        text, truth, pos = [], [], 0
        length = 0
        for m in _MARK.finditer(raw):
            text.append(raw[pos : m.start()])
            length += m.start() - pos
            truth.append((m.group("kind"), length, length + len(m.group("text"))))
            text.append(m.group("text"))
            length += len(m.group("text"))
            pos = m.end()
        text.append(raw[pos:])
        unknown = {k for k, _, _ in truth} - set(KINDS)
        if unknown:
            raise ValueError(f"{path}:{number}: unknown kind(s) {sorted(unknown)}")
        items.append(Item(number, "".join(text), tuple(truth)))
    return items


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(items: list[Item], found: list[list[Finding]]) -> tuple[dict[str, Tally], list[str]]:
    """Per-kind tallies, and a line per error for reading."""
    tallies = {k: Tally() for k in KINDS}
    errors: list[str] = []
    for item, findings in zip(items, found):
        matched: set[int] = set()
        for f in findings:
            hit = next(
                (i for i, (k, s, e) in enumerate(item.truth) if k == f.kind and s < f.char_end and f.char_start < e), None
            )
            if hit is None:
                tallies[f.kind].fp += 1
                errors.append(f"line {item.line}: false {f.kind} ({f.reason})")
            else:
                if hit not in matched:
                    tallies[f.kind].tp += 1
                matched.add(hit)
        for i, (k, _, _) in enumerate(item.truth):
            if i not in matched:
                tallies[k].fn += 1
                errors.append(f"line {item.line}: missed {k}")
    return tallies, errors


def run(path: Path = LABELLED, min_confidence: float | None = None) -> tuple[dict[str, Tally], list[str], int]:
    settings = Settings()
    threshold = settings.privacy.min_confidence if min_confidence is None else min_confidence
    items = load(path)
    nlp = spacy_entity_pipeline(settings.models)
    found = detect_many([i.text for i in items], nlp, today=TODAY)
    found = [[f for f in fs if f.confidence >= threshold] for fs in found]
    tallies, errors = score(items, found)
    return tallies, errors, len(items)


def _table(path: Path) -> None:
    tallies, errors, n = run(path)
    total = Tally(sum(t.tp for t in tallies.values()), sum(t.fp for t in tallies.values()), sum(t.fn for t in tallies.values()))
    print(f"### {path.relative_to(REPO)}: {n} lines")
    print()
    print("| kind | expected | found | true positives | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, t in [*tallies.items(), ("all", total)]:
        print(f"| {kind} | {t.tp + t.fn} | {t.tp + t.fp} | {t.tp} | {t.precision:.2f} | {t.recall:.2f} |")
    print()
    for e in errors:
        print(f"- {e}")
    print()


def _cered() -> None:
    import csv

    if not CERED.is_file():
        print(f"(CEReD not found at {CERED}; skipped)")
        return
    with CERED.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    settings = Settings()
    found = detect_many([r["sentence"] for r in rows], spacy_entity_pipeline(settings.models), today=TODAY)
    flagged = [(r["idx"], f) for r, fs in zip(rows, found) for f in fs if f.confidence >= settings.privacy.min_confidence]
    print(f"### CEReD train: {len(rows)} real diary sentences; {len({i for i, _ in flagged})} with findings")
    print()
    for idx, f in flagged:
        print(f"- idx {idx}: {f.kind} ({f.reason})")
    print()


def main() -> None:
    commit = current_commit()
    print(f"student-privacy detector, {date.today().isoformat()}, commit {commit or '?'}, "
          f"min_confidence {Settings().privacy.min_confidence}")
    print()
    _table(LABELLED)
    _table(HELDOUT)
    _cered()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
