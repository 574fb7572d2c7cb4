"""Flags on submissions nobody here wrote: the independent corpus (bench/independent/).

Batches of submissions across the four Missouri MCs, each written by an author blind to the
screener (see its README), half clean and half with planted problems, each with a truth file at
EO level (kind, EO, file, place). The first sixteen were split once into ``dev`` and ``test``;
every later batch was assigned to dev (``dev2``, ``dev3`` …: looked at and tuned on) or test
(``test2``, ``test3`` …: run only to report) before it was written.

For each split and settings variant it reports, per flag kind:

- planted: truth entries of that kind; found: a flag of the kind in the right file (or, for a
  submission-level entry, anywhere); exact: found, and the flag also names the entry's EO (when
  the truth gives one) and its place (row, page or time overlapping the truth's, where the truth
  names one; a section or paragraph place is satisfied by the file);
- flags raised (error and warning, and info-level ones that match a planted entry), those
  matching no planted entry (false), precision and recall;

and the error- and warning-level flags on every clean submission, which should be none; and, for
`weak_evidence` and `missing_evidence` entries that name a detail, how many a flag of the kind
names at that detail itself (the loose matching above takes a neighbouring detail's flag too).

Variants (``--ablations``): the defaults, then each precision mechanism switched off one at a
time (echo filter, competition between details, sentence top-k, citation_wrong_location, privacy
names), so each shows what it buys on work it was not tuned on.

Run: ``python -m bench.corpus [--split dev|test] [--ablations] [--no-write] [--details]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .results import append_section

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "bench" / "independent"
ACTIONABLE = ("error", "warning")
DETAIL_KINDS = ("weak_evidence", "missing_evidence")

# Each ablation is a settings override (dotted path -> value) that switches one mechanism off.
VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "no echo filter": {"echo.enabled": False},
    "no narration rule for echo": {"echo.narration_min_past_verbs": None},
    "no competition": {"mapping.competition_margin": None},
    "sentence top-k 3 (the default until 2026-12)": {"mapping.sentence_top_details": 3},
    "no wrong-location rule": {"citations.wrong_location_max_cited": -1.0},
    "no explanation-to-page rule": {"citations.explanation_min_terms": 10_000},
    "no figures rule": {"citations.explanation_min_figures": None},
    "derived details flagged like published ones": {"mapping.derived_guidance_min_met": None},
    "no privacy names": {"privacy.kinds": ["student_id", "date_of_birth", "email", "phone"]},
    "no spoken-name rule": {"privacy.spoken_names": False},
    "no spoken wrong-location rule": {"citations.wrong_location_spoken_max_cited": -1.0},
    "no setting rule for echo": {"echo.setting_min_passages": None},
    "no cited support for derived details": {"mapping.derived_guidance_min_cited": None},
    "no short-generic-explanation rule": {"citations.explanation_min_content_words": None},
    "no general-evidence rule": {"mapping.general_evidence_weak": False},
    "no recording-opening rule": {"citations.spoken_opening_margin": None},
    "candidate headings scored as sentences": {"mapping.heading_sentences": True},
    "headings scored with their passage (the default until 2026-12-06)": {"mapping.heading_in_passage": True},
    "no explanation-on-page exemption": {"citations.explanation_on_page_min": None},
    "no described-place guidance": {"mapping.derived_guidance_min_described": None},
    "dated occurrences count as particulars": {"mapping.general_evidence_occurrences": False},
    "occasion clauses counted by the explanation-to-page rule": {"citations.explanation_occasion_terms": True},
    "headings lift a passage to weak": {"mapping.heading_lifts_to_weak": True},
    "general reflection counts as weak evidence": {"mapping.general_reflection_missing": False},
    "int8 transcription (the default until 2026-12-06)": {"media.compute_type": "int8"},
    "every echo a warning (the default until 2026-12-06, evening)": {"echo.warn_min_phrase_share": None},
    "general evidence judged at the met level": {"mapping.general_evidence_met_level": True},
    "no claimed-detail rule (missing whatever the self-analysis claims)": {"mapping.claimed_weak_min": None},
    "claimed details only by a passage more about them (the default until 2026-12-06, night)": {
        "mapping.claimed_weak_near_min": None},
    "no uncited-detail rule (met or weak on a passage about another detail)": {"mapping.unclaimed_missing_margin": None},
    "general rows of guidance-only details as warnings (the default until 2026-12-07)": {
        "citations.generic_explanation_guidance": False},
    "recordings sent elsewhere by similarity alone (the default until 2026-12-07)": {
        "citations.spoken_words_confirm": False},
    "file flags without the EO of the rows citing them (the default until 2026-12-07, twelfth session)": {
        "citations.file_flags_take_cited_eo": False},
    "title slides offered as the right place (the default until 2026-12-07, twelfth session)": {
        "citations.title_slide_never_found": False},
    "a particular keeps a detail met only in a passage about it (margin 0.05)": {
        "mapping.general_evidence_about_margin": 0.05},
    "dates without a day or year count as particulars (the default until 2026-12-07, thirteenth session)": {
        "mapping.general_evidence_when_is_general": False},
    "the rubric's abbreviations count as names (the default until 2026-12-07, thirteenth session)": {
        "mapping.general_evidence_rubric_acronyms": False},
    "no general-claim rule (the default until 2026-12-07, fourteenth session)": {"mapping.general_claim_min": None},
    "claimed details shown at the nearest passage (the default until 2026-12-07, fourteenth session)": {
        "mapping.claimed_location_min": None},
    "dated rows name a particular for the general-claim rule (the default until 2026-12-07, fourteenth session)": {
        "mapping.general_claim_dated_rows": False},
    "uncited-detail margin 0.03 (the default until 2026-12-07, fourteenth session)": {
        "mapping.unclaimed_missing_margin": 0.03},
    "the rubric's abbreviations name nothing in explanations": {"citations.explanation_rubric_acronyms": True},
    "explanation-to-page bounds 0.6/0.4/0.35 (the default until 2026-12-06, evening)": {
        "citations.explanation_elsewhere_min": 0.6, "citations.explanation_cited_max": 0.4,
        "citations.explanation_margin": 0.35},
    "student names read in stretches flagged as another language": {"privacy.other_language_names": True},
    "no misheard staff names in recordings": {"privacy.misheard_staff_names": False},
    "file names written loosely pass silently": {"citations.artifact_exact_name_min": None},
    "a recording's opening found by a row's words": {"citations.spoken_opening_never_found_by_words": False},
    "a concrete prose sentence keeps a general detail met only at the met threshold": {
        "mapping.general_evidence_prose_lends_min": 0.62},
}


@dataclass
class Planted:
    submission: str
    kind: str
    eo: str | None
    detail: str | None
    file: str | None
    place: str | None
    note: str = ""


@dataclass
class Outcome:
    planted: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    exact: Counter[str] = field(default_factory=Counter)
    raised: Counter[str] = field(default_factory=Counter)
    false: Counter[str] = field(default_factory=Counter)
    clean_flags: dict[str, list[str]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    false_list: list[str] = field(default_factory=list)
    inexact: list[str] = field(default_factory=list)
    # weak_evidence and missing_evidence entries naming a detail, and those a flag of the same
    # code names at that very detail: the loose matching takes any flag of the code in the file
    # or EO, so a neighbouring detail's flag "finds" an entry
    with_detail: Counter[str] = field(default_factory=Counter)
    at_detail: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def submissions(split: str) -> list[tuple[str, Path, dict[str, Any]]]:
    folder = CORPUS / split
    out = []
    for truth_file in sorted(folder.glob("*.truth.yaml")):
        truth = yaml.safe_load(truth_file.read_text(encoding="utf-8"))
        out.append((truth["id"], folder / truth["id"], truth))
    return out


def _eo(value: Any) -> str | None:
    if value is None:
        return None
    m = re.search(r"\d+", str(value))
    return m.group(0) if m else None


def _base(name: str | None) -> str | None:
    return None if not name else Path(str(name)).name.lower()


def _numbers(text: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", text)]


def _seconds(text: str) -> list[float]:
    out = []
    for m in re.finditer(r"(?:(\d+):)?(\d{1,2}):(\d{2})", text):
        h, mm, ss = m.group(1), int(m.group(2)), int(m.group(3))
        out.append((int(h) * 3600 if h else 0) + mm * 60 + ss)
    return out


def place_matches(place: str | None, flag: dict[str, Any]) -> bool:
    """Does the flag point where the truth says? Rows, pages/slides and times are compared;
    a section or paragraph of a text part is satisfied by naming the file."""
    if not place:
        return True
    loc = flag.get("location") or {}
    p = place.lower()
    if p.startswith("row"):
        return loc.get("row") in _numbers(p)
    if re.match(r"(p\.|pp\.|page|pages|slide|slides)\b", p):
        nums = _numbers(p)
        wanted = set(range(nums[0], nums[-1] + 1)) if "-" in p and len(nums) >= 2 else set(nums)
        pages = set(loc.get("pages") or []) | ({loc["page"]} if loc.get("page") else set())
        return bool(pages & wanted)
    times = _seconds(p)
    if times:
        a, b = times[0], times[-1]
        s, e = loc.get("start_s"), loc.get("end_s")
        if s is None:
            return False
        e = s if e is None else e
        return s <= b + 2 and e >= a - 2
    return True  # section / paragraph / whole-file places: the file is what can be checked


def _row_of(place: str | None) -> int | None:
    m = re.match(r"\s*row\s+(\d+)", place or "", re.I)
    return int(m.group(1)) if m else None


def flag_matches(entry: Planted, flag: dict[str, Any], exact: bool) -> bool:
    if flag["code"] != entry.kind:
        return False
    row = _row_of(entry.place)
    if row is not None and (flag.get("location") or {}).get("row") == row:
        # a self-analysis row's flag may name the cited artifact as its file (a time past the end
        # of the recording): the row identifies it
        pass
    elif entry.file and _base(flag.get("file")) != _base(entry.file):
        return False
    if not entry.file and entry.eo and _eo(flag.get("eo")) not in (None, entry.eo):
        return False
    if not exact:
        return True
    if entry.eo and _eo(flag.get("eo")) != entry.eo:
        return False
    return place_matches(entry.place, flag)


def settings_for(overrides: dict[str, Any], cache: Path):
    from screening.settings import Settings

    data: dict[str, Any] = {}
    for dotted, value in overrides.items():
        head, _, leaf = dotted.partition(".")
        data.setdefault(head, {})[leaf] = value
    return Settings(cache_dir=cache, rubric_dirs=[REPO / "rubrics"], **data)


def screen_one(folder: Path, settings) -> dict[str, Any]:
    from screening.pipeline import screen
    from screening.rubric import RubricCatalogue
    from screening.submission import from_folder

    sub = from_folder(folder)
    rubric = RubricCatalogue(settings.rubric_dirs).get(sub.rubric_id)
    return screen(sub, rubric, settings).report.model_dump(mode="json")


def evaluate(split: str, overrides: dict[str, Any], cache: Path) -> Outcome:
    out = Outcome()
    settings = settings_for(overrides, cache)
    start = time.perf_counter()
    for sid, folder, truth in submissions(split):
        report = screen_one(folder, settings)
        flags = report["flags"]
        planted = [Planted(sid, p["kind"], _eo(p.get("eo")), p.get("detail"), p.get("file"), p.get("place"),
                           str(p.get("note", ""))) for p in truth.get("planted") or []]
        for entry in planted:
            out.planted[entry.kind] += 1
            if entry.kind in DETAIL_KINDS and entry.detail:
                out.with_detail[entry.kind] += 1
                out.at_detail[entry.kind] += any(f["code"] == entry.kind and f.get("detail_id") == str(entry.detail)
                                                 for f in flags)
            loose = [f for f in flags if flag_matches(entry, f, exact=False)]
            if loose:
                out.found[entry.kind] += 1
                if any(flag_matches(entry, f, exact=True) for f in loose):
                    out.exact[entry.kind] += 1
                else:
                    f = loose[0]
                    out.inexact.append(f"{sid}: {entry.kind} (truth EO {entry.eo}, {entry.file}, {entry.place}) — flag EO "
                                       f"{f.get('eo')}, {f.get('file')}, {(f.get('location') or {}).get('label')}")
            else:
                out.misses.append(f"{sid}: {entry.kind} EO {entry.eo} {entry.file or ''} {entry.place or ''} — {entry.note[:90]}")
        for f in flags:
            matched = any(flag_matches(e, f, exact=False) for e in planted)
            if f["severity"] not in ACTIONABLE and not matched:
                continue  # info-level notes count when they find a planted problem, never against
            out.raised[f["code"]] += 1
            if not matched:
                out.false[f["code"]] += 1
                out.false_list.append(f"{sid}: {f['code']} ({f['severity']}) EO {f.get('eo')} {f.get('file') or ''} "
                                      f"{(f.get('location') or {}).get('label') or ''} — {f['message'][:110]}")
        if truth.get("clean"):
            out.clean_flags[sid] = [f["code"] for f in flags if f["severity"] in ACTIONABLE]
    out.seconds = time.perf_counter() - start
    return out


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "—"


def table(name: str, o: Outcome) -> list[str]:
    lines = [f"**{name}** ({o.seconds:.0f} s)", "",
             "| Kind | Planted | Found | Exact (EO, file, place) | Raised | False | Precision | Recall | Exact recall |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind in sorted(set(o.planted) | set(o.raised)):
        p, fd, ex, r, fa = o.planted[kind], o.found[kind], o.exact[kind], o.raised[kind], o.false[kind]
        lines.append(f"| `{kind}` | {p} | {fd} | {ex} | {r} | {fa} | {_ratio(r - fa, r)} | {_ratio(fd, p)} | {_ratio(ex, p)} |")
    tp, tf = sum(o.planted.values()), sum(o.found.values())
    lines.append(f"| all | {tp} | {tf} | {sum(o.exact.values())} | {sum(o.raised.values())} | {sum(o.false.values())} | "
                 f"{_ratio(sum(o.raised.values()) - sum(o.false.values()), sum(o.raised.values()))} | {_ratio(tf, tp)} | "
                 f"{_ratio(sum(o.exact.values()), tp)} |")
    clean = ", ".join(f"{sid}: {len(c)}" + (f" ({', '.join(f'{k}×{n}' for k, n in Counter(c).items())})" if c else "")
                      for sid, c in o.clean_flags.items())
    lines += ["", f"Error/warning flags on clean submissions: {clean}."]
    if o.with_detail:
        lines += ["", "Found at the planted detail itself: " + ", ".join(
            f"`{k}` {o.at_detail[k]} of {o.with_detail[k]}" for k in sorted(o.with_detail)) + "."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    batches = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and re.fullmatch(r"(dev|test)\d*", p.name))
    parser.add_argument("--split", default="dev", choices=batches)
    parser.add_argument("--ablations", action="store_true", help="also each precision mechanism switched off")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="only these variants (repeatable)")
    parser.add_argument("--details", action="store_true", help="list misses, false flags and inexact matches")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from screening.cpu import cpu_flags
    from screening.encoders import choose_backend
    from screening.settings import ModelSettings

    variants = VARIANTS if args.ablations else {"defaults": {}}
    if args.variant:
        variants = {k: v for k, v in VARIANTS.items() if k in args.variant}
    lines = [f"Split `{args.split}` ({len(submissions(args.split))} submissions). Embedding backend "
             f"`{choose_backend(ModelSettings()).backend}`; SIMD flags: "
             f"{' '.join(sorted(f for f in cpu_flags() if f.startswith(('avx', 'amx')))) or 'none'}. "
             "Flags counted: error and warning, and info-level ones that match a planted problem.", ""]
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        for name, overrides in variants.items():
            # one cache for every variant: only the embedding of unchanged texts is shared
            o = evaluate(args.split, overrides, Path(tmp))
            part = table(name + (f" ({', '.join(f'{k}={v}' for k, v in overrides.items())})" if overrides else ""), o)
            if args.details or name == "defaults":
                part += ["", "<details><summary>Misses, inexact matches and false flags</summary>", ""]
                part += [f"- miss: {m}" for m in o.misses] + [f"- inexact: {m}" for m in o.inexact]
                part += [f"- false: {m}" for m in o.false_list] + ["", "</details>"]
            print("\n".join(part), flush=True)
            lines += part + [""]
    if not args.no_write:
        append_section(f"Independent corpus, {args.split} split (bench.corpus)", lines)


if __name__ == "__main__":
    main()
