"""Hostile files through the whole service: upload, screening and the assessor's download.

A real server (uvicorn, the in-process screening worker, SQLite) receives, from a candidate:
a decompression-bomb DOCX (1 MB packing 1 GiB of zeros), an executable named ``.pdf``, and
``--per-type`` mutated files of each seed type (bench/fuzz.py's mutations of real PDFs, a Word
document, a Markdown reflection and a CSV self-analysis). Drafts of up to 30 files are
self-checked and submitted; an assessor then downloads every file. Every answer must carry a
specific code (upload: 201, or 413/415/422 with a problem code; screening: a finished job;
download: 200 or 409 ``download_unavailable``): a 5xx or a failed job counts as a failure. The
server's peak resident memory (VmHWM) is read at the end and compared with ``--rss-bound-mb``.

tests/service/test_hostile_files.py runs a handful; ``python -m bench.hostile`` runs more and
appends a section to bench/RESULTS.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import io
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "hostile files 123"
RUBRIC = "mo-il-professional-learning"
PART_OF = {".pdf": "artifact", ".docx": "narrative", ".md": "reflection", ".csv": "self_analysis"}


def bomb_docx(zeros_mb: int = 1024) -> bytes:
    """The example's Word document with one more part: ``zeros_mb`` MB of zeros (packs to ~1 MB)."""
    buf = io.BytesIO((REPO / "examples" / "professional-learning" / "narrative.docx").read_bytes())
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z, z.open("word/media/zeros.bin", "w") as part:
        block = bytes(1 << 20)
        for _ in range(zeros_mb):
            part.write(block)
    return buf.getvalue()


def mutated_files(per_type: int, seed: int = 0) -> list[tuple[str, bytes]]:
    """``per_type`` mutated files of each seed type (bench/fuzz.py's mutations, seeded)."""
    from .fuzz import Seeded, mutate, seeds

    rng = random.Random(seed)
    corpus = seeds()
    by_ext: dict[str, list[str]] = {}
    for name in corpus:
        by_ext.setdefault(Path(name).suffix, []).append(name)
    out = []
    for ext, names in sorted(by_ext.items()):
        for i in range(per_type):
            out.append((f"m{i:04d}{ext}", mutate(corpus[rng.choice(names)], corpus, Seeded(rng))))
    return out


@dataclass
class Outcome:
    uploads: Counter[str] = field(default_factory=Counter)
    jobs: Counter[str] = field(default_factory=Counter)
    downloads: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    seconds: float = 0.0

    @property
    def files(self) -> int:
        return sum(self.uploads.values())


def _rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _code(r: httpx.Response) -> str:
    if r.status_code < 400:
        return str(r.status_code)
    try:
        return f"{r.status_code} {r.json().get('code')}"
    except ValueError:
        return f"{r.status_code} (no problem body)"


def run(files: list[tuple[str, bytes]], work: Path, per_draft: int = 30, timeout_s: float = 1800) -> Outcome:
    sys.path.insert(0, str(REPO))
    from tests.service.processes import free_port, server, service_env

    env = service_env(work, worker="thread", max_upload_bytes=str(8 * 1024 * 1024),
                      max_files_per_submission=str(per_draft + 5))
    env["SCREENING_RUBRIC_DIRS"] = f'["{REPO / "rubrics"}"]'
    port = free_port()
    proc = server(env, port, work / "server.log").start(timeout=120)
    base = f"http://127.0.0.1:{port}"
    out = Outcome()
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-m", "service", "create-admin", "--email", "root@example.org",
                        "--password-stdin"], input=PASSWORD + "\n", text=True, env=env, cwd=REPO, check=True,
                       capture_output=True)
        c = httpx.Client(base_url=base, timeout=600)
        root = {"Authorization": "Bearer " + c.post("/api/auth/token", json={"email": "root@example.org",
                                                                             "password": PASSWORD}).json()["access_token"]}
        for who, role in (("cand", "candidate"), ("ass", "assessor")):
            c.post("/api/users", headers=root, json={"email": f"{who}@example.org", "password": PASSWORD, "role": role})
        tok = {w: {"Authorization": "Bearer " + c.post("/api/auth/token", json={
            "email": f"{w}@example.org", "password": PASSWORD}).json()["access_token"]} for w in ("cand", "ass")}
        submitted: list[tuple[str, str]] = []
        for start in range(0, len(files), per_draft):
            sub = c.post("/api/submissions", headers=tok["cand"], json={"rubric_id": RUBRIC}).json()["id"]
            kept = 0
            for name, data in files[start:start + per_draft]:
                part = PART_OF.get(Path(name).suffix, "artifact")
                r = c.post(f"/api/submissions/{sub}/files", headers=tok["cand"],
                           files={"file": (name, data)}, data={"part": part})
                code = _code(r)
                out.uploads[code] += 1
                if r.status_code >= 500 or (r.status_code >= 400 and "(no problem body)" in code):
                    out.failures.append(f"upload {name}: {code}")
                kept += r.status_code == 201
            if not kept:
                continue
            job = c.post(f"/api/submissions/{sub}/submit", headers=tok["cand"]).json()["job"]["id"]
            submitted.append((sub, job))
        deadline = time.monotonic() + timeout_s
        for sub, job in submitted:
            while True:
                state = c.get(f"/api/jobs/{job}", headers=tok["cand"]).json()
                if state["state"] in ("done", "failed") or time.monotonic() > deadline:
                    break
                time.sleep(1)
            out.jobs[state["state"]] += 1
            if state["state"] != "done":
                out.failures.append(f"screening {sub}: {state['state']} {state.get('error_code')}")
                continue
            for f in c.get(f"/api/submissions/{sub}/files", headers=tok["ass"]).json():
                r = c.get(f"/api/submissions/{sub}/files/{f['id']}/content", headers=tok["ass"])
                code = _code(r)
                out.downloads[code] += 1
                if r.status_code not in (200, 409):
                    out.failures.append(f"download {f['name']}: {code}")
        out.peak_rss_mb = _rss_peak_mb(proc.pid)
    finally:
        proc.stop()
        out.seconds = time.perf_counter() - started
    return out


def hostile_set(per_type: int) -> list[tuple[str, bytes]]:
    return [("bomb.docx", bomb_docx()), ("plan.pdf", Path(sys.executable).resolve().read_bytes()[:200_000])] \
        + mutated_files(per_type)


def main() -> None:
    from .results import append_section

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-type", type=int, default=100, help="mutated files of each seed type")
    parser.add_argument("--rss-bound-mb", type=float, default=2500.0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    files = hostile_set(args.per_type)
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        out = run(files, Path(tmp))
    within = out.peak_rss_mb <= args.rss_bound_mb
    lines = [f"{out.files} files through one server in {out.seconds:.0f} s: a 1 GiB-unpacking DOCX bomb, an "
             f"executable named .pdf, and {args.per_type} mutated files of each seed type (bench.fuzz's seeds).", "",
             f"- Uploads: {dict(sorted(out.uploads.items()))}",
             f"- Screenings: {dict(sorted(out.jobs.items()))}",
             f"- Assessor downloads: {dict(sorted(out.downloads.items()))}",
             f"- Server peak RSS (VmHWM, models loaded): {out.peak_rss_mb:.0f} MB; bound {args.rss_bound_mb:.0f} MB: "
             f"{'within' if within else 'EXCEEDED'}",
             f"- Failures (5xx, failed jobs, answers without a code): {len(out.failures)}"]
    lines.extend(f"  - {f}" for f in out.failures[:20])
    print("\n".join(lines))
    if not args.no_write:
        append_section("Hostile files through the service (bench.hostile)", lines)


if __name__ == "__main__":
    main()
