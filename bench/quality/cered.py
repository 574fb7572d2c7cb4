"""CEReD (teachers' reflective sentences, nine categories) and its criteria text.

Data: ``../shared/data/cered/`` (README in ``../shared/data/README.md``; never copied into the
repo). ``train/`` and ``val/sentences.tsv`` have columns ``idx, context, sentence, y,
confidence, y_requires_context``.

Criteria: read at run time from ``annotation_manual.pdf`` (one page, a table with one row per
category) with pdfplumber's table extraction. Each category yields its *indicator* (Ullmann's
one-line indicator), the sentences of its *description* and its *examples*: the criterion text
the zero-shot methods map sentences to. No labels are involved.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CERED = REPO.parent / "shared" / "data" / "cered"

# The dataset's labels, and how the manual's "Label for category" column spells them.
LABELS = ("Reflection", "Experience", "Feeling", "Belief", "Difficulty", "Perspective", "Learning", "Intention", "Other")
_MANUAL_LABEL = {"Reflection": "Reflection", "Experience": "Experience", "Feelings": "Feeling", "Beliefs": "Belief",
                 "Difficulties": "Difficulty", "Perspective": "Perspective", "Learning": "Learning",
                 "Intention": "Intention", "Others": "Other"}


class CeredMissing(FileNotFoundError):
    """The CEReD folder (or one of its files) is not where the harness reads it from."""


@dataclass(frozen=True)
class Example:
    sentence: str
    context: str
    label: str


@dataclass(frozen=True)
class Criterion:
    label: str
    indicator: str  # Ullmann's one-line indicator, e.g. "The writer describes his or her feelings"
    description: tuple[str, ...]  # the manual's description, one sentence per item, deduplicated
    examples: tuple[str, ...]  # the manual's example sentences

    @property
    def full_text(self) -> str:
        """Everything the manual says about the category, as one text (the baseline criterion)."""
        return " ".join((self.indicator + ".", *self.description, *self.examples))

    def statements(self, mention_filter: bool = True) -> list[str]:
        """The indicator, description sentences and examples as separate statements. With
        ``mention_filter``, description sentences naming *another* category are dropped: they draw
        a boundary ("...will be classified as the Perspective category") and would pull sentences
        of that other category towards this one."""
        others = [c.lower() for c in (*LABELS, *_MANUAL_LABEL) if _MANUAL_LABEL.get(c, c) != self.label]
        desc = [s for s in self.description
                if not (mention_filter and any(re.search(rf"\b{o}\b", s.lower()) for o in others))]
        return [self.indicator, *desc, *self.examples]


INDICATORS = REPO / "bench" / "data" / "cered_indicators.yaml"


def load_indicators(path: Path = INDICATORS) -> dict[str, list[str]]:
    """Hand-condensed indicator statements per category (quoted/condensed from the manual; see
    the file's header): label -> statements."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(data) != set(LABELS):
        raise ValueError(f"{path}: expected one list of statements for each of {', '.join(LABELS)}")
    return {label: [str(s) for s in data[label]] for label in LABELS}


def data_dir(root: Path | None = None) -> Path:
    root = root or CERED
    if not (root / "train" / "sentences.tsv").is_file():
        raise CeredMissing(f"CEReD not found at {root} (expected train/ and val/sentences.tsv; see ../shared/data/README.md)")
    return root


def load_split(split: str, root: Path | None = None) -> list[Example]:
    path = data_dir(root) / split / "sentences.tsv"
    if not path.is_file():
        raise CeredMissing(f"CEReD split not found: {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    out = [Example(r["sentence"].strip(), (r["context"] or r["sentence"]).strip(), r["y"].strip()) for r in rows]
    unknown = {e.label for e in out} - set(LABELS)
    if unknown:
        raise ValueError(f"{path}: unknown labels {sorted(unknown)}")
    return out


_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[\"'A-Z(])")


_ABBREV = re.compile(r"\b(i\.e|e\.g|etc)\.", re.IGNORECASE)
_LIST_MARK = re.compile(r"(?:^|(?<=\s))\d\.\s+")  # "1. A Reflection ..." numbered items


def _sentences(text: str) -> list[str]:
    flat = _ABBREV.sub(lambda m: m.group(1).replace(".", "\0") + "\0", " ".join(text.split()))
    flat = _LIST_MARK.sub(" ", flat)
    out = [s.strip().replace("\0", ".") for s in _SENT_END.split(flat)]
    return [s for s in out if len(s.split()) >= 3]


def load_criteria(root: Path | None = None) -> dict[str, Criterion]:
    """The nine criteria from the annotation manual's table, keyed by dataset label."""
    import pdfplumber

    pdf_path = data_dir(root) / "annotation_manual.pdf"
    if not pdf_path.is_file():
        raise CeredMissing(f"CEReD annotation manual not found: {pdf_path}")
    with pdfplumber.open(pdf_path) as pdf:
        rows = [row for page in pdf.pages for tbl in page.extract_tables() for row in tbl]
    header = [(c or "").replace("\n", " ") for c in rows[0]]
    col = {name: header.index(name) for name in ("Label for category", "Indicator by Ullmann (2019)",
                                                  "Description of category", "Example")}
    out: dict[str, Criterion] = {}
    for row in rows[1:]:
        label = _MANUAL_LABEL.get((row[col["Label for category"]] or "").strip())
        if label is None:
            continue
        indicator = " ".join((row[col["Indicator by Ullmann (2019)"]] or "").split()).rstrip(".")
        desc = list(dict.fromkeys(_sentences(row[col["Description of category"]] or "")))  # the manual repeats some
        examples = _sentences(row[col["Example"]] or "")
        out[label] = Criterion(label, indicator, tuple(desc), tuple(examples))
    missing = set(LABELS) - set(out)
    if missing:
        raise ValueError(f"{pdf_path}: no criterion found for {sorted(missing)}")
    return out
