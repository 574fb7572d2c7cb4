"""Precision and recall of each citation check on self-analyses with planted problems.

Bases, each a real submission screened once (ingest, passages, mapping), with the truth of where
each detail's evidence is:
- ``examples/professional-learning`` (13 details, 3 artifacts of 4-5 pages; truth: the answer key);
- ``tests/fixtures/pl_by_eo.yaml`` rendered (13 details, one artifact page per EO).

From each base's correct self-analysis, ``--variants`` self-analyses are generated with a fixed
seed. Each row is kept (sometimes with its location written another way, or the artifact name
misspelt in a way a person would still recognise; both must raise nothing) or gets one planted
problem: an absent file, a page past the end, a page that does not hold the detail's evidence, a
location that is not a location, an explanation too short or restating the detail, or the row
dropped. The citation check runs on each variant against the base's screening (the
self-analysis does not change the mapping). Every flag is matched to its row (or, for a missing
row, its detail) and counted as a true or false positive; every planted problem not flagged is a
false negative.

Run: ``python -m bench.citations [--variants N] [--seed S] [--no-write]``.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from screening.checks.base import ScreeningContext
from screening.checks.citations import Citations
from screening.pipeline import screen
from screening.rubric import Rubric, RubricCatalogue
from screening.selfanalysis import read_self_analysis
from screening.settings import Settings
from screening.submission import SubmissionFile, from_folder

from .results import PR_HEADER, append_section, pr_row

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.fixtures.pl_by_eo import write_submission  # noqa: E402

COLUMNS = ["EO detail", "Artifact", "Location", "Explanation"]
CODES = ("citation_missing_row", "citation_missing_artifact", "citation_page_out_of_range",
         "citation_wrong_location", "citation_unparsed", "explanation_too_short")
ABSENT_FILES = ["pl-budget-2025.pdf", "walkthrough-summary.pdf", "staff-survey-results.pdf", "coaching-notes.docx",
                "video-pd-session-3.mp4", "Monitoring dashboard.pdf"]
VAGUE = ["see above", "the last part", "appendix", "various", "near the end", "end of the document",
         "see attached"]
SHORT = ["See page.", "Shows this.", "", "As cited.", "Evidence of the detail above.", "Meeting notes."]
GOOD_EXPLANATION = ("The page records what staff did, when they did it and what changed as a result for "
                    "teachers and students.")


@dataclass
class Base:
    name: str
    rubric: Rubric
    ctx: ScreeningContext
    rows: list[dict[str, str]]
    truth: dict[str, set[tuple[str, int]]]  # detail -> (artifact file name, page) holding its evidence
    pages: dict[str, int]  # artifact file name (as cited) -> page count


def _example_base(settings: Settings, rubric: Rubric) -> Base:
    folder = REPO / "examples" / "professional-learning"
    ctx = screen(from_folder(folder), rubric, settings).context
    key = yaml.safe_load((REPO / "examples" / "professional-learning.answer-key.yaml").read_text())
    truth = {str(d): {(Path(e["file"]).name, int(e["page"])) for e in entries if "page" in e}
             for d, entries in key["details"].items()}
    with (folder / "self-analysis.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pages = {Path(d.name).name: d.page_count for f, d in ctx.files if f.role == "artifact" and d.page_count}
    return Base("example", rubric, ctx, rows, truth, pages)


def _fixture_base(settings: Settings, rubric: Rubric, tmp: Path) -> Base:
    layout = write_submission(tmp / "pl_by_eo")
    ctx = screen(from_folder(layout.folder), rubric, settings).context
    rows, truth = [], {}
    for eo, d in rubric.details():
        page = layout.page_of_eo[eo.id]
        rows.append({"EO detail": d.id, "Artifact": "evidence.pdf", "Location": f"p. {page}",
                     "Explanation": GOOD_EXPLANATION})
        truth[d.id] = {("evidence.pdf", page)}
    return Base("pl_by_eo", rubric, ctx, rows, truth, {"evidence.pdf": len(layout.page_of_eo)})


def _pages_of(location: str) -> list[int]:
    import re

    nums = [int(n) for n in re.findall(r"\d+", location)]
    if "-" in location or "–" in location:
        return list(range(nums[0], nums[-1] + 1))
    return nums


def _reformat(pages: list[int], rng: random.Random) -> str:
    if len(pages) == 1:
        n = pages[0]
        return rng.choice([f"page {n}", f"p. {n}", f"pg. {n}", f"p.{n}", f"Page {n}", f"pp. {n}"])
    a, b = pages[0], pages[-1]
    if pages == list(range(a, b + 1)) and len(pages) > 2:
        return rng.choice([f"pages {a}-{b}", f"pp. {a}–{b}", f"pp. {a}-{b}", f"Pages {a} to {b}"])
    return rng.choice([f"pp. {', '.join(map(str, pages))}", f"pages {' and '.join(map(str, pages))}",
                       f"p. {pages[0]}, p. {pages[-1]}"])


def _misspell(name: str, rng: random.Random) -> str:
    stem = name.rsplit(".", 1)[0]
    return rng.choice([stem, stem.replace("-", " "), stem.replace("-", "_") + ".pdf", name.upper(),
                       stem.replace("-", " ").title() + ".pdf"])


def plant(base: Base, rng: random.Random) -> tuple[list[dict[str, str]], dict[tuple[str, str], str]]:
    """A variant of the base's rows and its truth: {(code, row number or detail id): kind}."""
    rows: list[dict[str, str]] = []
    truth: dict[tuple[str, str], str] = {}
    for original in base.rows:
        row = dict(original)
        detail = row["EO detail"]
        artifact = Path(row["Artifact"]).name
        kind = rng.choices(
            ["ok", "missing_artifact", "out_of_range", "wrong_page", "unparsed", "short", "restated", "drop"],
            weights=[45, 8, 8, 12, 8, 7, 5, 7],
        )[0]
        number = str(len(rows) + 2)  # the header is row 1
        if kind == "ok":
            if rng.random() < 0.5:
                row["Location"] = _reformat(_pages_of(row["Location"]), rng)
            if rng.random() < 0.2:
                row["Artifact"] = _misspell(artifact, rng)
        elif kind == "missing_artifact":
            row["Artifact"] = rng.choice(ABSENT_FILES)
            truth[("citation_missing_artifact", number)] = kind
        elif kind == "out_of_range":
            row["Location"] = f"p. {base.pages[artifact] + rng.randint(1, 6)}"
            truth[("citation_page_out_of_range", number)] = kind
        elif kind == "wrong_page":
            right = {p for f, p in base.truth.get(detail, set()) if f == artifact}
            others = [p for p in range(1, base.pages[artifact] + 1) if p not in right]
            if not others or not base.truth.get(detail):
                continue_ok = True
            else:
                continue_ok = False
                row["Location"] = f"p. {rng.choice(others)}"
                truth[("citation_wrong_location", number)] = kind
            if continue_ok:
                kind = "ok"
        elif kind == "unparsed":
            row["Location"] = rng.choice(VAGUE)
            truth[("citation_unparsed", number)] = kind
        elif kind == "short":
            row["Explanation"] = rng.choice(SHORT)
            truth[("explanation_too_short", number)] = kind
        elif kind == "restated":
            text = base.rubric.detail(detail).text  # type: ignore[union-attr]
            row["Explanation"] = rng.choice([text, f"This shows that {text[0].lower()}{text[1:]}"])
            truth[("explanation_too_short", number)] = kind
        elif kind == "drop":
            truth[("citation_missing_row", detail)] = kind
            continue
        rows.append(row)
    return rows, truth


def _flag_key(flag) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    if flag.code == "citation_missing_row":
        return flag.code, str(flag.detail_id)
    return flag.code, str(flag.params.get("row"))


def evaluate(bases: list[Base], variants: int, seed: int, tmp: Path) -> tuple[Counter, Counter, Counter, list[str], int]:
    rng = random.Random(seed)
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    fp_examples: list[str] = []
    n_rows = 0
    check = Citations()
    for base in bases:
        for v in range(variants):
            rows, truth = plant(base, rng)
            n_rows += len(base.rows)
            path = tmp / f"{base.name}-{v}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(rows)
            analysis = read_self_analysis(path, base.rubric)
            ctx = replace(base.ctx, self_analyses=((SubmissionFile(path, "self_analysis", path.name), analysis),))
            flagged = {_flag_key(f) for f in check.run(ctx) if f.code in CODES}
            for key in flagged:
                if key in truth:
                    tp[key[0]] += 1
                else:
                    fp[key[0]] += 1
                    if len(fp_examples) < 12:
                        row = next((r for i, r in enumerate(rows) if str(i + 2) == key[1]), None)
                        fp_examples.append(f"{base.name} v{v} {key[0]} row {key[1]}: {row}")
            for key in truth:
                if key not in flagged:
                    fn[key[0]] += 1
    return tp, fp, fn, fp_examples, n_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=40, help="self-analyses generated per base")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args()
    settings = Settings()
    rubric = RubricCatalogue(settings.rubric_dirs).get("mo-il-professional-learning")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bases = [_example_base(settings, rubric), _fixture_base(settings, rubric, tmp)]
        tp, fp, fn, examples, n_rows = evaluate(bases, args.variants, args.seed, tmp)
    lines = [
        f"Self-analyses: {args.variants} per base × {len(bases)} bases ({', '.join(b.name for b in bases)}), "
        f"{n_rows} rows, seed {args.seed}; settings: citations {settings.citations.model_dump()}.",
        "",
        *PR_HEADER,
        *[pr_row(code, tp[code], fp[code], fn[code]) for code in CODES],
        pr_row("all citation checks", sum(tp.values()), sum(fp.values()), sum(fn.values())),
    ]
    if examples:
        lines += ["", "False positives (first few):", "", *[f"- {e}" for e in examples]]
    print("\n".join(lines))
    if not args.no_write:
        append_section("Citation checks: precision and recall on planted self-analyses", lines)


if __name__ == "__main__":
    main()
