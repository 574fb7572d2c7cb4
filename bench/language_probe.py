"""Fit the acoustic language probe (screening/media/acoustic.py) and say how well it separates.

Training windows (5 s of detected speech, one every second), each labelled English or not:

- the language set's ``dev``, ``held-out-1`` and ``held-out-2`` clips (bench/language_set.py:
  English in several voices, speeds and under noise; French, Spanish, German, Italian, Portuguese,
  Dutch). Held-out-2 joined on 2026-12-07 (seventeenth session), after it had been measured: the
  probe fitted without it heard one of its English voices at up to 0.87 and one Dutch clip at only
  0.68, too unsure either way to decide alone; a fresh held-out-3, written blind, measures the
  refitted probe;
- recordings of the independent corpus's batches the probe was fitted on (``TRAINED``: dev and
  test to test89): a recording whose truth plants ``language`` gives its Spanish stretch (windows
  inside the planted time range) and its English (windows clear of it); every other recording is
  English. Later batches are held out for the corpus benchmark and never trained on.

Never trained on: the language set's ``held-out-3`` clips, the shared real
clips, and the corpus batches outside ``TRAINED``. Those are only predicted (held-out-3 only with
``--held-out``, so it stays unseen until it is measured).

Cross-validated on the training windows (5 folds, grouped by recording, and language-set clips by
voice, so one voice's two passages never sit on both sides), the recording-level rule of
``screening.media.checks`` is scored as it would decide: a recording is flagged when a stretch of
windows at ``media.acoustic_other_min`` or more covers ``media.acoustic_other_s`` seconds.

``python -m bench.language_probe`` writes ``models/language_probe/probe-<fingerprint>.json``
(``--no-write`` only reports) and appends a section to bench/RESULTS.md. Features are cached
per file under ``out/language-probe/`` (keyed by the audio's SHA-256 and the model).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from .language import AUDIO, SHARED
from .language_set import build
from .results import append_section

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "bench" / "independent"
# The batches the first probe was fitted on (2026-12-07 02:56): every later one is held out.
TRAINED = re.compile(r"dev\d*|test([1-8]?\d)?")
MEDIA = {".ogg", ".mp3", ".wav", ".m4a", ".mp4", ".flac", ".aiff"}
C = 0.1  # inverse L2 strength: the probe has 768 inputs and a few thousand correlated windows


def _secs(t: str) -> float:
    m, s = t.split(":")
    return int(m) * 60 + float(s)


def corpus_recordings() -> list[tuple[Path, str, str, list[tuple[float, float]]]]:
    """(path, 'en' or 'mixed', batch, planted non-English ranges) for every trainable recording."""
    out = []
    for batch in sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and re.fullmatch(r"(dev|test)\d*", p.name)):
        if not TRAINED.fullmatch(batch):
            continue
        for truth_file in sorted((CORPUS / batch).glob("*.truth.yaml")):
            truth = yaml.safe_load(truth_file.read_text(encoding="utf-8"))
            folder = CORPUS / batch / truth["id"] / "artifacts"
            if not folder.is_dir():
                continue
            planted = [p for p in truth.get("planted") or [] if p.get("kind") == "language"]
            for rec in sorted(folder.iterdir()):
                if rec.suffix.lower() not in MEDIA:
                    continue
                rel = str(rec.relative_to(folder.parent))
                mine = [p for p in planted if p.get("file") == rel]
                ranges = [tuple(map(_secs, str(p["place"]).split("-"))) for p in mine if "-" in str(p.get("place") or "")]
                if mine and not ranges:
                    continue  # planted without a time range: no window can be labelled
                out.append((rec, "mixed" if mine else "en", batch, ranges))
    return out


def features(paths: list[Path], cache: Path) -> dict[str, list[tuple[float, float, list[float]]]]:
    from screening.hashing import file_sha256
    from screening.media import acoustic
    from screening.media.decode import check_limits, decode
    from screening.media.model import whisper_info, whisper_model
    from screening.settings import MediaSettings

    settings = MediaSettings()
    label = whisper_info(settings).label
    cache.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[tuple[float, float, list[float]]]] = {}
    with whisper_model(settings, settings.cpu_threads) as model:
        for path in paths:
            key = hashlib.sha256(f"{file_sha256(path)}:{label}".encode()).hexdigest()[:24]
            f = cache / f"{key}.json"
            if f.is_file():
                out[str(path)] = json.loads(f.read_text())
                continue
            meta, problem = check_limits(path, settings)
            rows: list[tuple[float, float, list[float]]] = []
            if problem is None and meta is not None:
                audio = decode(path, settings, meta.audio_s or meta.duration_s)
                rows = [(a, b, [round(float(v), 5) for v in x]) for a, b, x in acoustic.pooled_features(model, audio)]
            f.write_text(json.dumps(rows))
            out[str(path)] = rows
    return out


def label(kind: str, ranges: list[tuple[float, float]], a: float, b: float) -> bool | None:
    """True: not English; False: English; None: a window straddling a planted range's edge."""
    if kind == "en":
        return False
    if kind != "mixed":
        return True
    if any(a >= r0 - 0.5 and b <= r1 + 0.5 for r0, r1 in ranges):
        return True
    if any(a < r1 and b > r0 for r0, r1 in ranges):
        return None
    return False


def longest_stretch(ws: list[tuple[float, float, float]], threshold: float) -> float:
    best, cur = 0.0, None
    for a, b, p in sorted(ws):
        if p < threshold:
            continue
        if cur and a <= cur[1]:
            cur[1] = max(cur[1], b)
        else:
            cur = [a, b]
        best = max(best, cur[1] - cur[0])
    return best


def cost(n: int, repeats: int) -> list[str]:
    """What the probe adds to a transcription: recognise() with the probe on and off, interleaved,
    on ``n`` corpus recordings (the first of every few, in order), one model instance, medians."""
    import statistics

    from screening.cpu import cpu_flags
    from screening.media.decode import check_limits, decode
    from screening.media.recognise import recognise
    from screening.settings import MediaSettings

    recs = corpus_recordings()
    picked = [r[0] for r in recs[:: max(1, len(recs) // n)]][:n]
    on, off = MediaSettings(), MediaSettings(acoustic_probe=False)
    audios = []
    for path in picked:
        meta, _ = check_limits(path, on)
        audios.append((decode(path, on, meta.audio_s or meta.duration_s), meta.duration_s))
    recognise(audios[0][0], on, on.cpu_threads, audios[0][1])  # load and warm up outside the timings
    times: dict[str, list[float]] = {"probe on": [], "probe off": []}
    for i in range(repeats):
        for name, settings in (("probe on", on), ("probe off", off))[:: 1 if i % 2 == 0 else -1]:
            start = time.perf_counter()
            for audio, duration in audios:
                recognise(audio, settings, settings.cpu_threads, duration)
            times[name].append(time.perf_counter() - start)
    speech = sum(a.size for a, _ in audios) / 16000
    flags = " ".join(sorted(f for f in cpu_flags() if f.startswith(("avx", "amx", "fma", "f16c"))))
    m_on, m_off = statistics.median(times["probe on"]), statistics.median(times["probe off"])
    return [
        f"CPU flags: {flags}. {len(audios)} corpus recordings, {speech:.0f} s of audio, recognise() with "
        f"{on.cpu_threads} threads, float32, decoded audio in memory; {repeats} repeats interleaved, medians.",
        "",
        "| variant | median s (min–max) | real-time factor |",
        "|---|---:|---:|",
        f"| probe off (baseline) | {m_off:.1f} ({min(times['probe off']):.1f}–{max(times['probe off']):.1f}) | {m_off / speech:.4f} |",
        f"| probe on (default) | {m_on:.1f} ({min(times['probe on']):.1f}–{max(times['probe on']):.1f}) | {m_on / speech:.4f} |",
        "",
        f"The probe adds {100 * (m_on / m_off - 1):.0f} % to recognition time.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=REPO / "out" / "language-set")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--cost", type=int, metavar="N", help="only measure what the probe costs on N recordings")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--held-out", action="store_true",
                        help="also predict the language set's held-out-3 clips (off while fitting, so they stay unseen)")
    args = parser.parse_args()
    if args.cost:
        lines = cost(args.cost, args.repeats)
        print("\n".join(lines))
        if not args.no_write:
            append_section("What the acoustic language probe costs (bench.language_probe --cost)", lines)
        return

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from screening.cpu import cpu_flags
    from screening.media.model import whisper_info
    from screening.settings import MediaSettings

    started = time.perf_counter()
    media = MediaSettings()
    items: list[tuple[Path, str, str, list[tuple[float, float]]]] = []
    voice_of: dict[str, str] = {}
    for c in build(args.folder):
        if c.split == "held-out-3" and not args.held_out:
            continue
        items.append((args.folder / c.file, c.language, c.split, []))
        voice_of[str(args.folder / c.file)] = f"{c.voice}@{c.speed}"
    for name, lang in SHARED.items():
        if (AUDIO / name).is_file():
            items.append((AUDIO / name, lang, "shared", []))
    items += corpus_recordings()
    feats = features([p for p, *_ in items], REPO / "out" / "language-probe")

    rows: list[dict[str, Any]] = []
    for path, kind, split, ranges in items:
        for a, b, x in feats[str(path)]:
            rows.append({"path": str(path), "split": split, "y": label(kind, ranges, a, b), "a": a, "b": b, "x": x,
                         "kind": kind})
    X = np.array([r["x"] for r in rows], dtype=np.float64)
    y = np.array([bool(r["y"]) for r in rows])
    groups = np.array([voice_of.get(r["path"], r["path"]) for r in rows])
    train = np.array([r["y"] is not None and r["split"] not in ("held-out-3", "shared") for r in rows])
    idx = np.where(train)[0]

    def model() -> Any:
        return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000, class_weight="balanced"))

    p = np.full(len(rows), np.nan)
    for tr, te in GroupKFold(5).split(idx, groups=groups[idx]):
        p[idx[te]] = model().fit(X[idx[tr]], y[idx[tr]]).predict_proba(X[idx[te]])[:, 1]
    final = model().fit(X[idx], y[idx])
    rest = np.where(~train)[0]
    p[rest] = final.predict_proba(X[rest])[:, 1]

    threshold, stretch = media.acoustic_other_min, media.acoustic_other_s
    per_rec: dict[str, list[tuple[float, float, float]]] = {}
    meta: dict[str, tuple[str, str]] = {}
    for r, q in zip(rows, p):
        per_rec.setdefault(r["path"], []).append((r["a"], r["b"], float(q)))
        meta[r["path"]] = (r["split"], r["kind"])

    def group(split: str) -> str:
        if split in ("dev", "held-out-1"):
            return "language set dev + held-out-1 (cross-validated)"
        if split == "held-out-2":
            return "language set held-out-2, now dev (cross-validated)"
        if split in ("held-out-3", "shared"):
            return {"held-out-3": "language set held-out-3 (never trained on)",
                    "shared": "shared real clips (never trained on)"}[split]
        return "corpus recordings (cross-validated)"

    counts: Counter[tuple[str, str, bool]] = Counter()
    worst: dict[tuple[str, str], tuple[float, str]] = {}
    wrong: list[str] = []
    for path, ws in per_rec.items():
        split, kind = meta[path]
        other = kind != "en"
        got = longest_stretch(ws, threshold)
        flagged = got >= stretch
        g = group(split)
        counts[(g, "other" if other else "English", flagged)] += 1
        top = max(q for *_, q in ws)
        # margin: for English the top window's distance under the threshold; for other speech,
        # the longest stretch's excess over the minimum (negative: decided wrongly)
        m = (threshold - top) if not other else (got - stretch)
        key = (g, "other" if other else "English")
        if key not in worst or m < worst[key][0]:
            worst[key] = (m, Path(path).name)
        if flagged != other:
            wrong.append(f"{Path(path).name} ({split}, {'not English' if other else 'English'}): longest stretch "
                         f"{got:.0f} s at p ≥ {threshold}, top window p {top:.3f}")

    info = whisper_info(media)
    probe_path = REPO / "models" / "language_probe" / f"probe-{info.fingerprint}.json"
    scaler, lr = final.named_steps["standardscaler"], final.named_steps["logisticregression"]
    if not args.no_write:
        probe_path.parent.mkdir(parents=True, exist_ok=True)
        probe_path.write_text(json.dumps({
            "model": info.label, "features": "mean and standard deviation of encoder states over 5 s of detected speech",
            "trained_on": {"windows": int(train.sum()), "other": int(y[idx].sum()),
                           "recordings": len({rows[i]["path"] for i in idx})},
            "C": C, "mean": scaler.mean_.round(6).tolist(), "scale": scaler.scale_.round(6).tolist(),
            "coef": lr.coef_[0].round(6).tolist(), "intercept": round(float(lr.intercept_[0]), 6),
        }) + "\n")

    flags = " ".join(sorted(f for f in cpu_flags() if f.startswith(("avx", "amx", "fma", "f16c"))))
    lines = [
        f"CPU flags: {flags}. Model {info.label} (float32 encoder). Probe: logistic regression (C={C}) over the mean "
        f"and standard deviation of encoder states, 5 s windows of detected speech every second; trained on "
        f"{int(train.sum())} windows ({int(y[idx].sum())} not English) of {len({rows[i]['path'] for i in idx})} recordings. "
        f"Recording rule: flagged when windows at p ≥ {threshold} cover a stretch of {stretch:g} s or more. "
        f"Run in {time.perf_counter() - started:.0f} s.",
        "",
        "| Recordings | Kind | Recordings | Flagged by the probe | Worst margin (clip) |",
        "|---|---|---:|---:|---|",
    ]
    for g, kind in sorted({(g, k) for g, k, _ in counts}):
        n = counts[(g, kind, True)] + counts[(g, kind, False)]
        m, clip = worst[(g, kind)]
        lines.append(f"| {g} | {kind} | {n} | {counts[(g, kind, True)]} | {m:+.2f} ({clip}) |")
    lines += ["", "Margin: English, the threshold minus the top window's probability; other speech, the longest "
              "stretch minus the minimum (s). Negative: decided wrongly.", ""]
    if wrong:
        lines += ["Decided wrongly:", ""] + [f"- {w}" for w in wrong]
    print("\n".join(lines))
    if not args.no_write:
        append_section("Acoustic language probe (bench.language_probe)", lines)


if __name__ == "__main__":
    sys.exit(main())
