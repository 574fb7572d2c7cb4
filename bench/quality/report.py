"""Markdown sections for bench/RESULTS.md from the evaluators' result records."""

from __future__ import annotations

from typing import Any

from .cered import LABELS
from .record import Result, table

TARGETS = {"zero-shot macro-F1": 0.30, "calibrated accuracy": 0.72, "calibrated macro-F1": 0.55}


def _best(results: list[Result], kind: str, metric: str) -> Result | None:
    pool = [r for r in results if r.kind == kind]
    return max(pool, key=lambda r: r.metrics[metric]) if pool else None


def cered_section(results: list[Result], info: dict[str, Any], env: str, quick: bool) -> tuple[str, list[str]]:
    title = "Quality: CEReD, sentences to the annotation manual's criteria" + (" (--quick smoke run)" if quick else "")
    lines = [
        f"Produced by `{info.get('command', 'python -m bench.quality')}` (docs/quality.md). Model `{info['model']}`; "
        f"train {info['train']} sentences, val {info['val']}; {env}; whole run {info.get('wall_s', 0):.0f} s "
        "(embeddings cached on disk by text, so a re-run is cheaper than the first).",
        "",
        "Criterion text: read from `annotation_manual.pdf` at run time; statements per category: "
        + ", ".join(f"{k} {v}" for k, v in info["criteria"].items()) + ".",
        "Zero-shot methods read no label (z-normalisation uses the *text* of the training sentences); the majority "
        "class reads the training labels' counts; calibrated methods fit on train. All figures on val.",
        "",
        f"Columns `train_*`: zero-shot methods scored on the {info['train']:,} training sentences too (they read no label), the "
        "larger set their variants were compared on.",
        "",
        *table(results, ["accuracy", "macro_f1", "train_accuracy", "train_macro_f1"]),
        "",
        "F1 per category, best method of each kind (val support: "
        + ", ".join(f"{k} {v}" for k, v in info["val_support"].items())
        + "; categories with a handful of val sentences make macro-F1 jumpy):",
        "",
        "| method | " + " | ".join(LABELS) + " |",
        "|---|" + "---:|" * len(LABELS),
    ]
    picks = [r for r in (_best(results, k, "macro_f1") for k in ("baseline", "zero-shot", "calibrated")) if r]
    for r in picks:
        lines.append(f"| {r.method} | " + " | ".join(f"{r.metrics[f'f1_{c}']:.2f}" for c in LABELS) + " |")
    zs, cal = _best(results, "zero-shot", "macro_f1"), _best(results, "calibrated", "macro_f1")
    cal_acc = _best(results, "calibrated", "accuracy")
    if quick:
        return title, lines
    lines += ["", "Targets (issue 8, CEReD val):"]
    if zs:
        lines.append(f"- zero-shot macro-F1 ≥ {TARGETS['zero-shot macro-F1']:.2f}: best {zs.metrics['macro_f1']:.3f} "
                     f"({zs.method}) — {'met' if zs.metrics['macro_f1'] >= 0.30 else 'not met'}")
    if cal and cal_acc:
        lines.append(f"- calibrated accuracy ≥ 0.72: best {cal_acc.metrics['accuracy']:.3f} ({cal_acc.method}) — "
                     f"{'met' if cal_acc.metrics['accuracy'] >= 0.72 else 'not met'}")
        lines.append(f"- calibrated macro-F1 ≥ 0.55: best {cal.metrics['macro_f1']:.3f} ({cal.method}) — "
                     f"{'met' if cal.metrics['macro_f1'] >= 0.55 else 'not met'}")
    return title, lines


def mc_section(results: list[Result], info: dict[str, Any], env: str, quick: bool) -> tuple[str, list[str]]:
    title = "Quality: the labelled MC set through the mapping" + (" (--quick smoke run)" if quick else "")
    lines = [
        f"Produced by `{info.get('command', 'python -m bench.quality')}` (method in bench/quality/mcmap.py and "
        f"docs/quality.md). {info['passages']} passages of {', '.join(info['rubric' + 's'])}; model `{info['model']}`; "
        f"thresholds weak {info['weak_threshold']}, met {info['met_threshold']}; {env}.",
        "",
        "Links: passage → detail, predicted when the (echo-masked, competed) score reaches the weak threshold. "
        "Statuses: per detail, over each rubric's full set and each EO left out in turn. "
        "Echo: planted `echo` passages with any predicted link (target 0). Left-out EOs: every detail missing (target all).",
        "",
        "| configuration | kind | link P | link R | evidenced P | evidenced R | evidenced F1 | missing P | missing R "
        "| evidenced details met / weak | echo counted as evidence | left-out EO all missing | settings |",
        "|---|---|" + "---:|" * 10 + "---|",
    ]
    for r in results:
        m = r.metrics
        lines.append(
            f"| {r.method} | {r.kind} | {m['link_precision']:.3f} | {m['link_recall']:.3f} | "
            f"{m['status_precision_evidenced']:.3f} | {m['status_recall_evidenced']:.3f} | {m['status_f1_evidenced']:.3f} | "
            f"{m['status_precision_missing']:.3f} | {m['status_recall_missing']:.3f} | "
            f"{m['evidenced_details_met']:.0f} / {m['evidenced_details_weak']:.0f} | "
            f"{m['echo_counted_as_evidence']:.0f} of {m['echo_passages']:.0f} | "
            f"{m['left_out_eo_all_missing']:.0f} of {m['left_out_eos']:.0f} | "
            + ", ".join(f"{k}={v}" for k, v in r.settings.items()) + " |")
    return title, lines
