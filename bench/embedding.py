"""What embeddings cost, and what the content-hash cache buys, on this machine.

Three measurements, each repeated (``--repeats``, default 5) with medians reported, because the
machines this runs on are small and noisy (2 shared cores). Within a run the variants are
interleaved repeat by repeat, so slow spells hit baseline and cache alike and the ratios (always
against a baseline from the same run) stay meaningful.

1. Texts embedded per second: the example submission's passages and their sentences (as the
   mapping embeds them), plain ``SentenceTransformer.encode`` vs ``Embedder.encode`` with a cold
   cache, a warm disk cache (new instance) and a warm memory cache (same instance).
2. Seconds per text-only submission (narrative + reflection): the CLI as a cold and a warm
   process, ``screen()`` in process (first call, warm, warm models with a cold cache), an edited
   draft, and the full example with its PDFs; plus model-load times from a fresh process.
3. Peak memory (max RSS) of the cold and warm CLI runs.

Run: ``python -m bench.embedding`` (``make bench``). Prints Markdown tables and appends a dated
section to bench/RESULTS.md (``--no-write`` to skip).
"""

from __future__ import annotations

import os

# Before anything imports huggingface_hub: never touch the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import datetime as dt
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "professional-learning"
NARRATIVE = EXAMPLE / "narrative.docx"
REFLECTION = EXAMPLE / "reflection.md"
RUBRIC_ID = "mo-il-professional-learning"
RESULTS = REPO / "bench" / "RESULTS.md"
# The sentence the "edited draft" changes; the replacement keeps its word count, so passage
# boundaries stay put and only that sentence and its passage are new text.
EDIT_FROM = "because nothing else would hold without it."
EDIT_TO = "because nothing else would last without it (draft {n})."
BATCH_SIZES = (16, 32, 64, 128)


# ---------------------------------------------------------------------------------------------
# Timing helpers


@dataclass
class Samples:
    """Repeated measurements of one variant: seconds, plus anything else worth a median."""

    seconds: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)

    def add(self, seconds: float, **extra: float) -> None:
        self.seconds.append(seconds)
        for k, v in extra.items():
            self.extra.setdefault(k, []).append(v)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def med(self, key: str) -> float:
        return statistics.median(self.extra[key])

    @property
    def spread(self) -> str:
        return f"{min(self.seconds):.2f}–{max(self.seconds):.2f}"


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def fresh_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"bench-emb-{prefix}-"))


# ---------------------------------------------------------------------------------------------
# Child modes: measurements that need a fresh Python process (first model loads, first screen)


def child_load_models() -> dict[str, float]:
    """First calls of the two model loaders in a fresh process (imports of torch, spaCy and
    sentence-transformers included: that is what a new process pays)."""
    from screening.models import sentence_transformer, spacy_pipeline
    from screening.settings import Settings

    settings = Settings()
    spacy_s, _ = timed(lambda: spacy_pipeline(settings.models))
    st_s, _ = timed(lambda: sentence_transformer(settings.models))
    return {"spacy_s": spacy_s, "sentence_transformer_s": st_s}


def child_first_screen(cache_dir: str) -> dict[str, float]:
    """The first ``screen()`` of a process on an empty cache: both models load inside it."""
    from screening.embedding import get_embedder
    from screening.ingest import shutdown
    from screening.pipeline import screen

    settings, rubric, submission = text_only(Path(cache_dir))
    seconds, _ = timed(lambda: screen(submission, rubric, settings))
    computed = get_embedder(settings).stats["computed"]
    shutdown()
    return {"seconds": seconds, "computed": computed}


def run_child(mode: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.embedding", "--child", mode, *args],
        cwd=REPO, env=child_env(), capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", **extra)
    env.pop("SCREENING_CONFIG", None)  # the defaults, not whatever config the caller has
    return env


# ---------------------------------------------------------------------------------------------
# Inputs


def text_only(cache_dir: Path, narrative: Path = NARRATIVE):  # type: ignore[no-untyped-def]
    """Settings on ``cache_dir``, the rubric, and the narrative + reflection submission."""
    from screening.rubric import RubricCatalogue
    from screening.settings import Settings
    from screening.submission import from_files

    settings = Settings(cache_dir=cache_dir)
    rubric = RubricCatalogue(settings.rubric_dirs).get(RUBRIC_ID)
    return settings, rubric, from_files(narrative=[narrative], reflection=[REFLECTION], rubric_id=RUBRIC_ID)


def example_texts(settings) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    """The full example's passages plus the sentences the mapping scores on their own (those of
    multi-sentence passages; a one-sentence passage's sentence is its text), built exactly as
    ``screen()`` builds them. Returns the texts and the passage count."""
    from screening.models import spacy_pipeline
    from screening.passages import build_passages
    from screening.pipeline import ingest_submission
    from screening.submission import from_folder

    files = ingest_submission(from_folder(EXAMPLE), settings)
    readable = [(d, f.part) for f, d in files if d.readable and f.role != "self_analysis"]
    passages = build_passages(readable, spacy_pipeline(settings.models), settings.passages)
    sentences = [s for p in passages if len(p.sentences) > 1 for s in p.sentences]
    return [p.text for p in passages] + sentences, len(passages)


def edited_narrative(folder: Path, n: int) -> Path:
    """A copy of the narrative with one sentence changed (differently for each ``n``, so every
    repeat meets text the cache has not seen)."""
    import docx

    doc = docx.Document(str(NARRATIVE))
    for par in doc.paragraphs:
        for run in par.runs:
            if EDIT_FROM in run.text:
                run.text = run.text.replace(EDIT_FROM, EDIT_TO.format(n=n))
                out = folder / f"narrative-draft{n}.docx"
                doc.save(str(out))
                return out
    raise RuntimeError(f"the narrative no longer contains {EDIT_FROM!r}; update bench/embedding.py")


# ---------------------------------------------------------------------------------------------
# 1. Texts per second


def new_and_encode(settings, texts: list[str]):  # type: ignore[no-untyped-def]
    """A new Embedder (opens the SQLite file, as a new process would) and its first encode."""
    from screening.embedding import Embedder

    embedder = Embedder(settings)
    return embedder, embedder.encode(texts)


def bench_throughput(repeats: int) -> dict[str, object]:
    import numpy as np

    from screening.models import sentence_transformer
    from screening.settings import Settings

    probe_dir = fresh_dir("probe")
    settings = Settings(cache_dir=probe_dir)
    texts, n_passages = example_texts(settings)
    model = sentence_transformer(settings.models)  # loaded once, outside every timing
    model.encode(texts[:8])  # first-batch warm-up (allocator, thread pool) outside the timings

    rows = {k: Samples() for k in ("plain", "plain64", "cold", "disk", "memory")}
    sweep = {bs: Samples() for bs in BATCH_SIZES}
    dirs: list[Path] = [probe_dir]
    for _ in range(repeats):
        rows["plain"].add(timed(lambda: model.encode(texts))[0])
        rows["plain64"].add(timed(lambda: model.encode(texts, batch_size=64, normalize_embeddings=True))[0])

        # Cold: a fresh cache directory, so every text is hashed, computed and written to SQLite.
        # Construction is timed too: opening the SQLite file is part of what the cache costs.
        cache_dir = fresh_dir("cold")
        dirs.append(cache_dir)
        cold_settings = Settings(cache_dir=cache_dir)
        t_cold, (_, cold_vecs) = timed(lambda: new_and_encode(cold_settings, texts))
        # Warm disk: a new instance on the populated directory, as a new process would see it.
        t_disk, (disk, disk_vecs) = timed(lambda: new_and_encode(cold_settings, texts))
        # Warm memory: the same instance again.
        t_mem, _ = timed(lambda: disk.encode(texts))
        rows["cold"].add(t_cold)
        rows["disk"].add(t_disk, served_from_disk=disk.stats["disk"])
        rows["memory"].add(t_mem)
        assert np.allclose(cold_vecs, disk_vecs, atol=1e-6), "disk cache returned different vectors"

        for bs in BATCH_SIZES:  # why batch size 64 (the setting's default) is worth a look
            sweep[bs].add(timed(lambda: model.encode(texts, batch_size=bs, normalize_embeddings=True))[0])
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
    padded = {bs: padded_tokens(model, texts, bs) for bs in BATCH_SIZES}
    return {"rows": rows, "sweep": sweep, "padded": padded, "n_texts": len(texts), "n_unique": len(set(texts)),
            "n_passages": n_passages, "batch_size": settings.models.embed_batch_size}


def padded_tokens(model, texts: list[str], batch_size: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(real tokens, tokens after padding) for ``encode`` at ``batch_size``: sentence-transformers
    sorts texts by character length and pads each batch to its longest member, so the length
    spread inside a batch is work done on padding."""
    ordered = sorted(texts, key=len, reverse=True)
    real = padded = 0
    for i in range(0, len(ordered), batch_size):
        ids = model.tokenizer(ordered[i : i + batch_size], truncation=True, max_length=model.max_seq_length)["input_ids"]
        real += sum(len(x) for x in ids)
        padded += len(ids) * max(len(x) for x in ids)
    return real, padded


# ---------------------------------------------------------------------------------------------
# 2 and 3. Seconds per submission, peak memory


def cli_command(cache_out: Path) -> list[str]:
    exe = Path(sys.executable).parent / "screening"
    return [str(exe), "check", "--rubric", RUBRIC_ID, "--narrative", str(NARRATIVE),
            "--reflection", str(REFLECTION), "--out", str(cache_out / "report"), "--quiet"]


def run_cli(cache_dir: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one CLI run. ``os.wait4`` returns the same rusage that
    ``getrusage(RUSAGE_CHILDREN)`` would, but for this child alone (its ru_maxrss is the largest
    process of its tree: the CLI or its extraction worker)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cli_command(cache_dir), cwd=REPO, env=child_env(SCREENING_CACHE_DIR=str(cache_dir)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"screening check exited {proc.returncode}: {stderr.decode(errors='replace')}")
    return seconds, usage.ru_maxrss


def bench_submission(repeats: int) -> dict[str, Samples]:
    from screening.embedding import get_embedder
    from screening.pipeline import screen
    from screening.rubric import RubricCatalogue
    from screening.settings import Settings
    from screening.submission import from_folder

    rows = {k: Samples() for k in ("cli_cold", "cli_warm", "load", "first", "warm", "cold_cache", "edited", "full")}
    dirs: list[Path] = []

    # Fresh processes first, while this one holds no models (nothing of ours competes for RAM).
    for _ in range(repeats):
        cache_dir = fresh_dir("cli")
        dirs.append(cache_dir)
        seconds, rss = run_cli(cache_dir)
        rows["cli_cold"].add(seconds, rss_kib=rss)
        seconds, rss = run_cli(cache_dir)  # same cache: every vector is on disk now
        rows["cli_warm"].add(seconds, rss_kib=rss)
        load = run_child("load-models")
        rows["load"].add(load["spacy_s"] + load["sentence_transformer_s"], **load)
        first_dir = fresh_dir("first")
        dirs.append(first_dir)
        first = run_child("first-screen", str(first_dir))
        rows["first"].add(first["seconds"], computed=first["computed"])

    # In process: one warm-up screen loads the models and fills the cache of ``warm_dir``.
    warm_dir = fresh_dir("warm")
    dirs.append(warm_dir)
    settings, rubric, submission = text_only(warm_dir)
    screen(submission, rubric, settings)
    embedder = get_embedder(settings)
    full = from_folder(EXAMPLE)
    screen(full, rubric, settings)  # warms the full example too
    drafts = fresh_dir("drafts")
    dirs.append(drafts)
    for i in range(repeats):
        rows["warm"].add(timed(lambda: screen(submission, rubric, settings))[0])

        cold_dir = fresh_dir("coldcache")  # models stay loaded; the new directory gets a new Embedder
        dirs.append(cold_dir)
        cold_settings = Settings(cache_dir=cold_dir)
        rows["cold_cache"].add(timed(lambda: screen(submission, rubric, cold_settings))[0],
                               computed=get_embedder(cold_settings).stats["computed"])

        _, _, draft = text_only(warm_dir, narrative=edited_narrative(drafts, i))
        before = dict(embedder.stats)
        seconds, _ = timed(lambda: screen(draft, rubric, settings))
        rows["edited"].add(seconds, computed=embedder.stats["computed"] - before["computed"],
                           reused=(embedder.stats["memory"] - before["memory"]) + (embedder.stats["disk"] - before["disk"]))

        rows["full"].add(timed(lambda: screen(full, rubric, settings))[0])
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
    return rows


# ---------------------------------------------------------------------------------------------
# Report


def throughput_table(t: dict[str, object]) -> str:
    rows: dict[str, Samples] = t["rows"]  # type: ignore[assignment]
    n = t["n_texts"]
    base, base64 = rows["plain"].median, rows["plain64"].median
    labels = [
        ("plain", "baseline: `SentenceTransformer.encode(texts)` (defaults: batch 32)"),
        ("plain64", "baseline: `encode(texts, batch_size=64, normalize_embeddings=True)`"),
        ("cold", "`Embedder.encode`, empty cache (computes all, writes SQLite)"),
        ("disk", "`Embedder.encode`, warm disk cache (new instance)"),
        ("memory", "`Embedder.encode`, warm memory (same instance)"),
    ]
    lines = ["| variant | median s | min–max s | texts/s | × baseline (defaults) | × baseline (batch 64) |",
             "|---|---:|---:|---:|---:|---:|"]
    for key, label in labels:
        s = rows[key]
        lines.append(f"| {label} | {s.median:.3f} | {s.spread} | {n / s.median:,.0f} | "
                     f"{base / s.median:.2f} | {base64 / s.median:.2f} |")
    return "\n".join(lines)


def sweep_table(t: dict[str, object]) -> str:
    sweep: dict[int, Samples] = t["sweep"]  # type: ignore[assignment]
    n = t["n_texts"]
    padded: dict[int, tuple[int, int]] = t["padded"]  # type: ignore[assignment]
    ref = sweep[32].median
    lines = ["| `encode` batch_size (normalized) | median s | min–max s | texts/s | × batch 32 | tokens incl. padding (real) |",
             "|---:|---:|---:|---:|---:|---:|"]
    for bs, s in sweep.items():
        real, pad = padded[bs]
        lines.append(f"| {bs} | {s.median:.3f} | {s.spread} | {n / s.median:,.0f} | {ref / s.median:.2f} | "
                     f"{pad:,} ({real:,}) |")
    return "\n".join(lines)


def submission_table(r: dict[str, Samples]) -> str:
    base = r["cli_cold"].median
    labels = [
        ("cli_cold", "CLI, cold process, empty cache (wall, incl. Python start and model loads)"),
        ("cli_warm", "CLI, new process, warm disk cache"),
        ("first", "in process: first `screen()` (models load; empty cache)"),
        ("cold_cache", "in process: models loaded, empty cache"),
        ("warm", "in process: models loaded, warm cache"),
        ("edited", "in process: edited draft (one sentence changed), warm cache"),
        ("full", "in process: full example (narrative, reflection, 3 PDFs), warm"),
    ]
    lines = ["| text-only submission unless noted | median s | min–max s | × cold CLI | texts computed |",
             "|---|---:|---:|---:|---:|"]
    for key, label in labels:
        s = r[key]
        computed = f"{s.med('computed'):.0f}" if "computed" in s.extra else ""
        if key == "edited":
            computed += f" of {s.med('computed') + s.med('reused'):.0f} looked up"
        lines.append(f"| {label} | {s.median:.2f} | {s.spread} | {base / s.median:.2f} | {computed} |")
    load = r["load"]
    lines += [
        "",
        "| model load, first call in a fresh process (imports included) | median s | min–max s |",
        "|---|---:|---:|",
        f"| `spacy_pipeline()` | {load.med('spacy_s'):.2f} | {min(load.extra['spacy_s']):.2f}–{max(load.extra['spacy_s']):.2f} |",
        f"| `sentence_transformer()` | {load.med('sentence_transformer_s'):.2f} | "
        f"{min(load.extra['sentence_transformer_s']):.2f}–{max(load.extra['sentence_transformer_s']):.2f} |",
        f"| both | {load.median:.2f} | {load.spread} |",
        "",
        "| peak memory (max RSS of the process tree's largest process) | median MiB | min–max MiB |",
        "|---|---:|---:|",
    ]
    for key, label in (("cli_cold", "CLI, cold (both models load)"), ("cli_warm", "CLI, warm cache")):
        rss = [v / 1024 for v in r[key].extra["rss_kib"]]
        lines.append(f"| {label} | {statistics.median(rss):.0f} | {min(rss):.0f}–{max(rss):.0f} |")
    return "\n".join(lines)


def interpretation(t: dict[str, object], r: dict[str, Samples]) -> str:
    """Plain sentences built from this run's numbers (so a re-run never carries stale claims)."""
    rows: dict[str, Samples] = t["rows"]  # type: ignore[assignment]
    sweep: dict[int, Samples] = t["sweep"]  # type: ignore[assignment]
    padded: dict[int, tuple[int, int]] = t["padded"]  # type: ignore[assignment]
    cold, warm, load = r["cli_cold"].median, r["cli_warm"].median, r["load"].median
    embed = r["cold_cache"].median - r["warm"].median
    st = r["load"].med("sentence_transformer_s")
    edited = r["edited"]
    return (
        f"A cold CLI run of the text-only submission takes {cold:.1f} s: loading the models takes {load:.1f} s of it "
        f"in a fresh process ({st:.1f} s of that is torch + sentence-transformers), embedding the submission and "
        f"rubric about {embed:.1f} s (models loaded, empty vs warm cache), and the rest is Python start-up, "
        f"imports, extraction and report writing. "
        f"With a warm disk cache a new process takes {warm:.1f} s ({cold / warm:.1f}× faster) because the embedding "
        f"model is never loaded when every vector is on disk; in a long-lived process a repeat screen takes "
        f"{r['warm'].median:.2f} s and an edited draft computes {edited.med('computed'):.0f} new vectors (of "
        f"{edited.med('computed') + edited.med('reused'):.0f} looked up) in {edited.median:.2f} s. "
        f"On a miss, `Embedder.encode` runs at {rows['plain64'].median / rows['cold'].median:.2f}× the speed of the "
        f"equivalent plain `encode` (batch 64, normalized); a hit is "
        f"{rows['plain'].median / rows['disk'].median:,.0f}× (disk) to "
        f"{rows['plain'].median / rows['memory'].median:,.0f}× (memory) faster than computing. "
        f"Batch size moves throughput too: plain `encode` at batch 16 runs at "
        f"{sweep[64].median / sweep[16].median:.2f}× the speed of batch 64, as padding every batch to its longest "
        f"text grows the work from {padded[16][1]:,} to {padded[64][1]:,} tokens ({padded[64][0]:,} real)."
    )


def environment(model_key: str) -> dict[str, str]:
    import torch

    from .results import commit as current_commit

    commit = current_commit()
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "commit": commit,
        "cpus": str(os.cpu_count()),
        "torch_threads": str(torch.get_num_threads()),
        "model": model_key,
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5, help="measurements per variant (medians reported)")
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to bench/RESULTS.md")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "load-models":
        print(json.dumps(child_load_models()))
        return
    if args.child == "first-screen":
        print(json.dumps(child_first_screen(*args.child_args)))
        return

    started = time.perf_counter()
    from screening.embedding import Embedder
    from screening.settings import Settings

    env = environment(Embedder(Settings(use_cache=False)).model_key)  # at the start: the code measured
    print(f"repeats: {args.repeats}; fresh-process measurements first", file=sys.stderr)
    submission = bench_submission(args.repeats)
    print(f"throughput ({time.perf_counter() - started:.0f} s so far)", file=sys.stderr)
    throughput = bench_throughput(args.repeats)
    t = throughput
    section = "\n\n".join([
        f"## Embedding cost and cache — {env['date']}",
        f"Commit {env['commit']}; {env['cpus']} CPUs, torch threads {env['torch_threads']} "
        f"(torch {env['torch']}, Python {env['python']}); model `{env['model']}`; "
        f"{args.repeats} repeats per variant, medians, variants interleaved. Produced by `python -m bench.embedding`.",
        f"### Texts embedded per second\n\nThe full example's {t['n_passages']} passages plus the "
        f"{t['n_texts'] - t['n_passages']} sentences of its multi-sentence passages ({t['n_texts']} texts, "
        f"{t['n_unique']} distinct), as the mapping embeds them. `Embedder` batches by "
        f"`models.embed_batch_size` = {t['batch_size']} and normalizes.\n\n" + throughput_table(t),
        "Batch size, plain `encode` of the same texts:\n\n" + sweep_table(t),
        "### Seconds per submission\n\nText-only submission: narrative.docx + reflection.md of the example. "
        "Ratios are the cold CLI run's median over the row's median.\n\n" + submission_table(submission),
        "### Interpretation\n\n" + interpretation(t, submission),
    ])
    print(section)
    if not args.no_write:
        if RESULTS.exists() and RESULTS.stat().st_size:
            prefix = "\n"
        else:
            prefix = "# Benchmark results\n\nSections are appended by the bench scripts, newest last.\n\n"
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(prefix + section + "\n")
        print(f"\nappended to {RESULTS.relative_to(REPO)} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
