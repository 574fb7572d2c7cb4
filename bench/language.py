"""Does the language check hold on every CPU? The spoken-language set under every instruction set.

The bundled tiny.en runs on CTranslate2 int8 kernels that differ by CPU (AVX2, AVX-512, ...), and
on speech the model cannot follow, a last-digit difference sends greedy decoding down another
path. ``CT2_FORCE_CPU_ISA`` makes CTranslate2 use the kernels of an older instruction set, so one
machine can show what several CPU kinds would transcribe: each ISA up to the CPU's own runs in a
child process, and every clip's flags and evidence score are compared across them.

Clips: bench/language_set.py (espeak-ng: six languages besides English, several voices; English
in six voices, and under pink noise) and ../shared/data/audio (real English, one real French
clip). ``dev`` clips were looked at while the check's scales were set; ``held-out`` clips were
made afterwards and only measured.

Reported: misses (a non-English clip without ``language``), false flags (an English clip with
it), and each clip's worst margin from the decision boundary over the ISAs (evidence score minus
``media.language_evidence_min`` for other languages, the reverse for English).

Run: ``python -m bench.language [--folder out/language-set] [--isa GENERIC,AVX,AVX2]``; appends a
section to bench/RESULTS.md unless ``--no-write``.
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

from .language_set import Clip, build, clips, espeak_version
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
    """In the child: raw transcripts (before any flag is judged) of each path."""
    from screening.media.decode import check_limits, decode
    from screening.media.recognise import recognise
    from screening.settings import MediaSettings

    settings = MediaSettings()
    out: dict[str, Any] = {}
    for p in paths:
        meta, problem = check_limits(Path(p), settings)
        if problem is not None or meta is None:
            out[Path(p).name] = {"problem": problem.code if problem else "unreadable"}
            continue
        audio = decode(Path(p), settings, meta.audio_s or meta.duration_s)
        out[Path(p).name] = recognise(audio, settings, settings.cpu_threads, meta.duration_s).to_json()
    return out


def run_isa(isa: str, paths: list[Path], cache: Path) -> tuple[dict[str, Any], float]:
    """Raw transcripts under one ISA, from a child process (the variable is read when CTranslate2
    loads). Cached per ISA and file list; pass a fresh folder to transcribe again."""
    key = cache / f"raw-{isa}.json"
    names = sorted(p.name for p in paths)
    if key.is_file():
        data = json.loads(key.read_text())
        if sorted(data["raw"]) == names:
            return data["raw"], data["seconds"]
    env = {**os.environ, "CT2_FORCE_CPU_ISA": isa, "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.language", "--child", *map(str, paths)],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    )
    seconds = time.perf_counter() - start
    raw = json.loads(proc.stdout.strip().splitlines()[-1])
    key.write_text(json.dumps({"raw": raw, "seconds": seconds}))
    return raw, seconds


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


def previous_rule(raw: dict[str, Any]) -> bool:
    """The check this one replaced (before 2026-12-05), as the same-run baseline: a segment is not
    English when it is a stock phrase decoded below the low-confidence log-probability, or when
    fewer than half its words are English words; the recording is flagged when such segments
    hold at least ``language_min_probability`` (60 %) of the transcribed time."""
    from screening.media import english
    from screening.media.transcript import RawTranscript
    from screening.settings import MediaSettings

    if "problem" in raw:
        return False
    settings = MediaSettings()
    rt = RawTranscript.from_json(raw)
    segs = [x for x in rt.segments if english.words(x.text)]
    if rt.speech_s < settings.min_speech_s or not segs:
        return False  # no_speech came first

    def not_english(x: Any) -> bool:
        if " ".join(english.words(x.text)) in english.STOCK_PHRASES:
            return x.avg_logprob < settings.low_confidence_logprob
        share = english.english_word_share(x.text)
        return share is not None and share < 0.5

    def span(xs: list[Any]) -> float:
        return sum(max(0.0, x.end_s - x.start_s) for x in xs)

    foreign = [x for x in segs if not_english(x)]
    total = span(segs)
    return bool(foreign) and total > 0 and span(foreign) / total >= settings.language_min_probability \
        and span(foreign) >= settings.min_speech_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=REPO / "out" / "language-set")
    parser.add_argument("--isa", help="comma-separated ISAs (default: every one up to this CPU's)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(transcribe_child(args.child)))
        return

    from screening.settings import MediaSettings

    made: list[Clip] = build(args.folder)
    truth = {c.file: (c.language, c.split, c.noise) for c in made}
    paths = [args.folder / c.file for c in made]
    for name, lang in SHARED.items():
        if (AUDIO / name).is_file():
            paths.append(AUDIO / name)
            truth[name] = (lang, "dev", 0.0)
    flags = cpu_flags()
    isas = args.isa.split(",") if args.isa else available_isas(flags)
    threshold = MediaSettings().language_evidence_min

    per_isa: dict[str, dict[str, tuple[list[str], float | None, str]]] = {}
    before: dict[str, dict[str, bool]] = {}
    seconds: dict[str, float] = {}
    for isa in isas:
        raw, secs = run_isa(isa, paths, args.folder)
        per_isa[isa] = {name: judge(r) for name, r in raw.items()}
        before[isa] = {name: previous_rule(r) for name, r in raw.items()}
        seconds[isa] = secs
        print(f"{isa}: {len(raw)} clips in {secs:.0f} s", flush=True)

    rows = []
    summary: dict[tuple[str, str], dict[str, Any]] = {}
    for name in sorted(truth):
        lang, split, noise = truth[name]
        english_clip = lang == "en"
        margins, misses, false, old_misses, old_false = [], 0, 0, 0, 0
        for isa in isas:
            codes, score, _ = per_isa[isa][name]
            flagged = "language" in codes
            misses += (not english_clip) and not flagged
            false += english_clip and flagged
            old_misses += (not english_clip) and not before[isa][name]
            old_false += english_clip and before[isa][name]
            if score is not None:
                margins.append((threshold - score) if english_clip else (score - threshold))
            elif english_clip == (not flagged):
                margins.append(float("inf"))  # decided without a score (no words at all), rightly
            else:
                margins.append(float("-inf"))
        kind = "English" + (" + noise" if noise else "") if english_clip else "other language"
        s = summary.setdefault((split, kind), {"clips": 0, "misses": 0, "false": 0, "old_misses": 0, "old_false": 0,
                                               "worst": float("inf"), "worst_clip": ""})
        s["clips"] += 1
        s["misses"] += misses
        s["false"] += false
        s["old_misses"] += old_misses
        s["old_false"] += old_false
        if min(margins) < s["worst"]:
            s["worst"], s["worst_clip"] = min(margins), name
        scores = [per_isa[i][name][1] for i in isas]
        codes_by_isa = ["+".join(per_isa[i][name][0]) or "—" for i in isas]
        rows.append(f"| {name} | {lang} | {split} | " + " | ".join(
            f"{'—' if sc is None else f'{sc:.2f}'} {c}" for sc, c in zip(scores, codes_by_isa)) + " |")

    def fmt(x: float) -> str:
        return "no score (no words)" if x == float("inf") else f"{x:+.2f}"

    flag_list = sorted(f for f in flags if f.startswith(("avx", "amx", "fma", "f16c", "sse4")))
    lines = [
        f"CPU flags: {' '.join(flag_list)}. ISAs run (CT2_FORCE_CPU_ISA): {', '.join(isas)}. "
        f"espeak-ng: {espeak_version()}. Threshold media.language_evidence_min = {threshold:g}. "
        f"Transcription time per ISA (all clips, one child process, model load included): "
        + ", ".join(f"{i} {seconds[i]:.0f} s" for i in isas) + ".",
        "",
        "Counts are clip × ISA decisions. Margin: evidence score minus the threshold for other languages, "
        "threshold minus score for English; the worst over every ISA.",
        "",
        "| Split | Clips | Kind | Decisions | Misses | False `language` | Worst margin (clip) | Previous rule: misses | Previous rule: false |",
        "|---|---:|---|---:|---:|---:|---|---:|---:|",
    ]
    for (split, kind), s in sorted(summary.items()):
        lines.append(f"| {split} | {s['clips']} | {kind} | {s['clips'] * len(isas)} | {s['misses']} | {s['false']} | "
                     f"{fmt(s['worst'])} ({s['worst_clip']}) | {s['old_misses']} | {s['old_false']} |")
    lines += ["", "Previous rule: the check this one replaced (stock phrase below −1.0, or under half English words, "
              "over 60 % of the time), judged on the same transcripts: the same-run baseline."]
    lines += ["", "<details><summary>Every clip: evidence score and flags per ISA</summary>", "",
              "| Clip | Language | Split | " + " | ".join(isas) + " |", "|---|---|---|" + "---|" * len(isas), *rows,
              "", "</details>"]
    print("\n".join(lines))
    if not args.no_write:
        append_section("Language check across CPU instruction sets (bench.language)", lines)


if __name__ == "__main__":
    main()
