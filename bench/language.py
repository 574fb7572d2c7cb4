"""Does the language check hold on every CPU? The spoken-language set under every instruction set.

The bundled tiny.en runs on CTranslate2 int8 kernels that differ by CPU (AVX2, AVX-512, ...), and
on speech the model cannot follow, a last-digit difference sends greedy decoding down another
path. ``CT2_FORCE_CPU_ISA`` makes CTranslate2 use the kernels of an older instruction set, so one
machine can show what several CPU kinds would transcribe: each ISA up to the CPU's own runs in a
child process, and every clip's flags and evidence score are compared across them.

Clips: bench/language_set.py (espeak-ng: six languages besides English, several voices; English
in several voices, and under pink noise) and ../shared/data/audio (real English, one real French
clip). ``dev`` clips were looked at while the check was made; ``held-out-1`` clips were measured
once and then studied (dev now); ``held-out-2`` clips were written and frozen
(bench/language_held_out_2.json), measured once and then studied when the probe was refitted (dev
now); ``held-out-3`` clips were written by a helper that never saw the check and frozen
(bench/language_held_out_3_frozen.json) before it was measured on them.

Reported: misses (a non-English clip without ``language``), false flags (an English clip with
it), and each clip's worst margin from the decision boundary over the ISAs (evidence score minus
``media.language_evidence_min`` for other languages, the reverse for English), beside the rules
the check replaced, judged on the same transcripts (bench/language_previous.py).

Transcripts are cached per clip in the folder, keyed by the clip's SHA-256, the model, its compute type and the
ISA: a run transcribes only clips it has not transcribed before (pass a fresh folder to
transcribe everything again). ``--split dev`` measures the dev clips alone (while tuning, so the
held-out clips stay unseen).

Run: ``python -m bench.language [--folder out/language-set] [--isa GENERIC,AVX,AVX2]
[--split dev]``; appends a section to bench/RESULTS.md unless ``--no-write``.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from screening.cpu import cpu_flags  # also what tests ask this module for

from . import language_previous
from .language_set import Clip, build, espeak_version, frozen_check, sha256
from .results import append_section

REPO = Path(__file__).resolve().parents[1]
AUDIO = REPO.parent / "shared" / "data" / "audio"
SHARED = {  # ../shared/data/README.md
    "jfk.flac": "en", "english.wav": "en", "audio-mono-8-bit-44100Hz.wav": "en",
    "audio-stereo-24-bit-44100Hz.flac": "en", "stereo_diarization.wav": "en", "hotwords.mp3": "en",
    "french.aiff": "fr",
}


def available_isas(flags: frozenset[str]) -> list[str]:
    isas = ["GENERIC"]
    if "avx" in flags:
        isas.append("AVX")
    if "avx2" in flags:
        isas.append("AVX2")
    if {"avx512f", "avx512bw"} <= flags:
        isas.append("AVX512")
    return isas


def transcribe_child(paths: list[str]) -> dict[str, Any]:
    """In the child: raw transcripts (before any flag is judged) of each path, with the seconds
    each took (the first includes loading the model)."""
    from screening.media.decode import check_limits, decode
    from screening.media.recognise import recognise
    from screening.settings import MediaSettings

    settings = MediaSettings()
    out: dict[str, Any] = {}
    for p in paths:
        start = time.perf_counter()
        meta, problem = check_limits(Path(p), settings)
        if problem is not None or meta is None:
            raw: dict[str, Any] = {"problem": problem.code if problem else "unreadable"}
        else:
            audio = decode(Path(p), settings, meta.audio_s or meta.duration_s)
            raw = recognise(audio, settings, settings.cpu_threads, meta.duration_s).to_json()
        out[p] = {"raw": raw, "seconds": time.perf_counter() - start}
    return out


def model_label() -> str:
    from screening.media.model import whisper_info
    from screening.settings import MediaSettings

    from screening.media.recognise import probe_for

    settings = MediaSettings()
    probe = probe_for(settings)
    return f"{whisper_info(settings).label} ({settings.compute_type}; acoustic probe {probe.name if probe else 'none'})"


def run_isa(isa: str, paths: list[Path], cache: Path) -> tuple[dict[str, Any], int, float]:
    """Raw transcripts by file name under one ISA: (transcripts, clips transcribed now, seconds
    that took). Clips already transcribed under this ISA by the same model (same audio bytes)
    come from ``cache/transcripts-ISA.json``; the rest are transcribed in a child process (the
    variable is read when CTranslate2 loads)."""
    store = cache / f"transcripts-{isa}.json"
    known: dict[str, Any] = json.loads(store.read_text()) if store.is_file() else {}
    label = model_label()
    keys = {p: f"{sha256(p)}:{label}" for p in paths}
    todo = [p for p in paths if keys[p] not in known]
    seconds = 0.0
    if todo:
        env = {**os.environ, "CT2_FORCE_CPU_ISA": isa, "HF_HUB_OFFLINE": "1"}
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "bench.language", "--child", *map(str, todo)],
            cwd=REPO, env=env, capture_output=True, text=True, check=True,
        )
        seconds = time.perf_counter() - start
        done = json.loads(proc.stdout.strip().splitlines()[-1])
        for p in todo:
            known[keys[p]] = {"name": p.name, **done[str(p)]}
        store.write_text(json.dumps(known))
    return {p.name: known[keys[p]]["raw"] for p in paths}, len(todo), seconds


def judge(raw: dict[str, Any]) -> tuple[list[str], float | None, str]:
    """(flag codes, evidence score or None, transcript) under today's settings."""
    from screening.media import checks, english
    from screening.media.transcript import RawTranscript
    from screening.settings import MediaSettings

    if "problem" in raw:
        return [raw["problem"]], None, ""
    rt = RawTranscript.from_json(raw)
    _, problems = checks.judge(rt, MediaSettings())
    found = english.evidence(rt.segments, rt.speech_s, rt.duration_s)
    score = english.file_score(found) if found else None
    return [p.code for p in problems], score, " ".join(s.text for s in rt.segments)


def previous(raw: dict[str, Any]) -> tuple[bool, float | None, bool]:
    """(flagged by the transcript's signs alone, the acoustic probe off; their score; flagged by the
    first rule)."""
    from screening.media import checks, english
    from screening.media.transcript import RawTranscript
    from screening.settings import MediaSettings

    if "problem" in raw:
        return False, None, False
    settings = MediaSettings(acoustic_probe=False)
    rt = RawTranscript.from_json(raw)
    flagged = any(p.code == "language" for p in checks.judge(rt, settings)[1])
    found = english.evidence(rt.segments, rt.speech_s, rt.duration_s)
    return flagged, (english.file_score(found) if found else None), language_previous.first_rule(rt, settings)


def probe_margin(raw: dict[str, Any], english_clip: bool) -> float | None:
    """How far the acoustic probe is from deciding this clip the wrong way by itself: for English,
    acoustic_other_min minus the loudest window (how near one window is to flagging it); for other
    speech, the loudest window minus acoustic_english_max (how near the probe is to overruling the
    signs as English). None without windows."""
    from screening.settings import MediaSettings

    windows = raw.get("acoustic") or []
    if not windows:
        return None
    top = max(p for _, _, p in windows)
    settings = MediaSettings()
    return (settings.acoustic_other_min - top) if english_clip else (top - settings.acoustic_english_max)


SPLIT_NAMES = {"dev": "dev", "held-out-1": "held-out-1 (now dev)", "held-out-2": "held-out-2 (now dev)",
               "held-out-3": "held-out-3"}


def margin(english_clip: bool, flagged: bool, score: float | None, threshold: float) -> float:
    """Distance from the decision boundary on the right side (positive) or the wrong one."""
    if score is not None:
        return (threshold - score) if english_clip else (score - threshold)
    return float("inf") if english_clip == (not flagged) else float("-inf")  # decided without a score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=REPO / "out" / "language-set")
    parser.add_argument("--isa", help="comma-separated ISAs (default: every one up to this CPU's)")
    parser.add_argument("--split", choices=["dev", "all"], default="all",
                        help="dev: the dev clips alone (dev, held-out-1 and -2), for tuning; all: every clip")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(transcribe_child(args.child)))
        return

    from screening.media.wer import wer
    from screening.settings import MediaSettings

    made: list[Clip] = build(args.folder)
    if args.split == "dev":
        made = [c for c in made if c.split != "held-out-3"]
    truth = {c.file: (c.language, c.split, c.noise) for c in made}
    passage = {c.file: c.text for c in made}
    paths = [args.folder / c.file for c in made]
    for name, lang in SHARED.items():
        if (AUDIO / name).is_file():
            paths.append(AUDIO / name)
            truth[name] = (lang, "dev", 0.0)
    flags = cpu_flags()
    isas = args.isa.split(",") if args.isa else available_isas(flags)
    threshold = MediaSettings().language_evidence_min

    per_isa: dict[str, dict[str, tuple[list[str], float | None, str]]] = {}
    before: dict[str, dict[str, tuple[bool, float | None, bool]]] = {}
    transcribed: dict[str, tuple[int, float]] = {}
    raw_by_isa: dict[str, dict[str, Any]] = {}
    for isa in isas:
        raw, count, secs = run_isa(isa, paths, args.folder)
        per_isa[isa] = {name: judge(r) for name, r in raw.items()}
        raw_by_isa[isa] = raw
        before[isa] = {name: previous(r) for name, r in raw.items()}
        transcribed[isa] = (count, secs)
        print(f"{isa}: {len(raw)} clips, {count} transcribed now in {secs:.0f} s", flush=True)

    rows = []
    summary: dict[tuple[str, str], dict[str, Any]] = {}
    for name in sorted(truth):
        lang, split, noise = truth[name]
        english_clip = lang == "en"
        kind = "English" + (" + noise" if noise else "") if english_clip else "other language"
        s = summary.setdefault((split, kind), {"clips": 0, "misses": 0, "false": 0, "worst": float("inf"), "worst_clip": "",
                                               "p_misses": 0, "p_false": 0, "p_worst": float("inf"), "p_worst_clip": "",
                                               "f_misses": 0, "f_false": 0})
        s["clips"] += 1
        for isa in isas:
            codes, score, _ = per_isa[isa][name]
            flagged = "language" in codes
            p_flagged, p_score, f_flagged = before[isa][name]
            s["misses"] += (not english_clip) and not flagged
            s["false"] += english_clip and flagged
            s["p_misses"] += (not english_clip) and not p_flagged
            s["p_false"] += english_clip and p_flagged
            s["f_misses"] += (not english_clip) and not f_flagged
            s["f_false"] += english_clip and f_flagged
            pm_raw = probe_margin(raw_by_isa[isa][name], english_clip)
            m = pm_raw if pm_raw is not None else margin(english_clip, flagged, score, threshold)
            if m < s["worst"]:
                s["worst"], s["worst_clip"] = m, f"{name}, {isa}"
            pm = margin(english_clip, p_flagged, p_score, threshold)
            if pm < s["p_worst"]:
                s["p_worst"], s["p_worst_clip"] = pm, f"{name}, {isa}"
        scores = [per_isa[i][name][1] for i in isas]
        codes_by_isa = ["+".join(per_isa[i][name][0]) or "—" for i in isas]
        tops = [max((w[2] for w in raw_by_isa[i][name].get("acoustic") or []), default=None) for i in isas]
        prev = ["language" if before[i][name][0] else "—" for i in isas]
        rows.append(f"| {name} | {lang} | {split} | " + " | ".join(
            f"{'—' if sc is None else f'{sc:.2f}'} {c} (probe {'—' if t is None else f'{t:.2f}'})"
            for sc, c, t in zip(scores, codes_by_isa, tops)) + " | " + " / ".join(prev) + " |")

    def fmt(x: float) -> str:
        return "no score (no words)" if x == float("inf") else f"{x:+.2f}"

    order = {"dev": 0, "held-out-1": 1, "held-out-2": 2, "held-out-3": 3}
    flag_list = sorted(f for f in flags if f.startswith(("avx", "amx", "fma", "f16c", "sse4")))
    total_new = sum(c for c, _ in transcribed.values())
    lines = [
        f"CPU flags: {' '.join(flag_list)}. ISAs run (CT2_FORCE_CPU_ISA): {', '.join(isas)}. "
        f"espeak-ng: {espeak_version()}. Model: {model_label()}. Threshold media.language_evidence_min = {threshold:g}. "
        f"Clips: {len(truth)} ({'dev clips only' if args.split == 'dev' else 'every split'}). "
        + f"Held-out-2: {frozen_check(args.folder, 'held-out-2')}. "
        + (f"Held-out-3: {frozen_check(args.folder, 'held-out-3')}. " if args.split == "all" else "")
        + "Transcribed in this run (one child process per ISA, model load included): "
        + ", ".join(f"{i} {transcribed[i][0]} clips in {transcribed[i][1]:.0f} s" for i in isas)
        + ("; the other transcripts came from the folder's cache, made by the same model and ISA from the same audio bytes."
           if total_new < len(truth) * len(isas) else "."),
        "",
        "Counts are clip × ISA decisions. The check: the transcript's signs and the acoustic probe "
        "(docs/media.md). Its margin: the probe's (English: media.acoustic_other_min minus the loudest window; other "
        "speech: the loudest window minus media.acoustic_english_max); the worst over every ISA (negative: the probe "
        "alone would decide it wrongly). Signs only: the same check with the probe off (the previous default), "
        "margin = evidence score minus the threshold for other languages, threshold minus score for English.",
        "",
        "| Split | Clips | Kind | Decisions | Misses | False `language` | Worst margin (clip, ISA) | "
        "Signs only: misses | Signs only: false | Signs only: worst margin (clip, ISA) | First rule: misses | First rule: false |",
        "|---|---:|---|---:|---:|---:|---|---:|---:|---|---:|---:|",
    ]
    for (split, kind), s in sorted(summary.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1])):
        lines.append(f"| {SPLIT_NAMES.get(split, split)} | {s['clips']} | {kind} | {s['clips'] * len(isas)} | {s['misses']} | "
                     f"{s['false']} | {fmt(s['worst'])} ({s['worst_clip']}) | {s['p_misses']} | {s['p_false']} | "
                     f"{fmt(s['p_worst'])} ({s['p_worst_clip']}) | {s['f_misses']} | {s['f_false']} |")
    lines += ["", "English clips of the set, by how well tiny.en transcribed them (word error rate against the "
              "passage read, per clip × ISA decision): whether the check tells a language from English the model "
              "cannot follow.", "", "| Split | English decisions | flagged `language` | WER of the flagged: least | "
              "WER of the others: median | WER of the others: most |", "|---|---:|---:|---:|---:|---:|"]
    for split in sorted({t[1] for t in truth.values()}, key=lambda x: order.get(x, 9)):
        flagged_wer, other_wer = [], []
        for name, (lang, sp, _) in truth.items():
            if lang != "en" or sp != split or name not in passage:
                continue
            for isa in isas:
                codes, _, text = per_isa[isa][name]
                (flagged_wer if "language" in codes else other_wer).append(wer(passage[name], text))
        if not flagged_wer and not other_wer:
            continue
        other_wer.sort()
        lines.append(f"| {SPLIT_NAMES.get(split, split)} | {len(flagged_wer) + len(other_wer)} | {len(flagged_wer)} | "
                     + (f"{min(flagged_wer):.2f}" if flagged_wer else "—") + " | "
                     + (f"{other_wer[len(other_wer) // 2]:.2f} | {other_wer[-1]:.2f}" if other_wer else "— | —") + " |")
    lines += ["", "Signs only: the check with `media.acoustic_probe` off, the default until 2026-12-07. First rule: "
              "the check before the evidence score (stock phrase below −1.0, or under half English words, over 60 % of "
              "the time; bench/language_previous.py). Both judged the same transcripts in the same run: the same-run "
              "baselines."]
    lines += ["", "<details><summary>Every clip: evidence score, flags and the probe's loudest window per ISA, and the score with the probe off</summary>", "",
              "| Clip | Language | Split | " + " | ".join(isas) + " | Signs only (" + " / ".join(isas) + ") |",
              "|---|---|---|" + "---|" * len(isas) + "---|", *rows, "", "</details>"]
    print("\n".join(lines))
    if not args.no_write:
        title = "Language check across CPU instruction sets (bench.language)"
        append_section(title + (", dev clips only" if args.split == "dev" else ""), lines)


if __name__ == "__main__":
    main()
