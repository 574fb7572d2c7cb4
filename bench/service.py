"""The service under load, on this machine.

1. Requests per second and p50/p99 latency of the status (GET /api/jobs/{id}) and list
   (GET /api/submissions) endpoints under 50 concurrent clients, against one uvicorn process on
   SQLite (the embedded defaults, with the worker off so screening does not compete).
2. Submissions screened per minute with one and with two worker processes
   (`python -m service worker`), each submission distinct (no cache hits), models loaded first.

Run: ``python -m bench.service`` (appends a dated section to bench/RESULTS.md; ``--no-write`` to
only print).
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import asyncio
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from . import mcset
from .results import append_section

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 123"
RUBRIC = "mo-il-professional-learning"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data: Path, **service: str) -> dict[str, str]:
    env = {**os.environ, "SCREENING_SERVICE__DATA_DIR": str(data / "svc"), "SCREENING_CACHE_DIR": str(data / "cache")}
    env.update({f"SCREENING_SERVICE__{k.upper()}": v for k, v in service.items()})
    return env


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _candidate(c: httpx.Client) -> dict[str, str]:
    admin = c.post("/auth/token", json={"email": "admin@example.org", "password": PASSWORD}).json()
    c.post("/users", json={"email": "cand@example.org", "password": PASSWORD, "role": "candidate"},
           headers={"Authorization": f"Bearer {admin['access_token']}"}).raise_for_status()
    tok = c.post("/auth/token", json={"email": "cand@example.org", "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {tok['access_token']}"}


def _submission(i: int) -> list[tuple[str, str, bytes]]:
    """A distinct, realistic text-only submission: a narrative of about 1,000 words and a reflection
    of about 500, drawn (seeded by ``i``) from the labelled MC passages of the rubric, so each
    screening embeds new text and maps real evidence, echo and filler."""
    rng = random.Random(i)
    pool = [p for p in mcset.load() if p.rubric == RUBRIC]

    def text(sources: tuple[str, ...], words: int) -> bytes:
        chosen = [p for p in pool if p.source in sources]
        rng.shuffle(chosen)
        out, n = [f"Submission {i}, written for cohort {i % 13} in school year {2020 + i % 6}."], 0
        for p in chosen * 3:  # a passage may repeat in a long part; the paragraphs around it differ
            if n >= words:
                break
            out.append(p.text)
            n += p.words
        return "\n\n".join(out).encode()

    return [("narrative", "narrative.txt", text(("narrative", "artifact", "transcript"), 1000)),
            ("reflection", "reflection.md", text(("reflection",), 500))]


def _draft(c: httpx.Client, h: dict[str, str], i: int) -> str:
    """A draft holding submission ``i``'s files, ready to submit."""
    sub = c.post("/submissions", json={"rubric_id": RUBRIC}, headers=h).json()["id"]
    for part, name, body in _submission(i):
        c.post(f"/submissions/{sub}/files", params={"part": part, "filename": name}, content=body,
               headers=h).raise_for_status()
    return sub  # type: ignore[no-any-return]


def _submit(c: httpx.Client, h: dict[str, str], sub: str) -> str:
    r = c.post(f"/submissions/{sub}/submit", headers=h)
    r.raise_for_status()
    return r.json()["job"]["id"]  # type: ignore[no-any-return]


async def _load(base: str, h: dict[str, str], paths: list[str], clients: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=h, limits=limits, timeout=30) as c:

        async def client(k: int) -> None:
            n = k
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = await c.get(paths[n % len(paths)])
                latencies.append(time.perf_counter() - t)
                if r.status_code != 200:
                    raise SystemExit(f"{paths[n % len(paths)]}: HTTP {r.status_code}")
                n += 1

        await asyncio.gather(*(client(k) for k in range(clients)))
    return latencies


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_http(tmp: Path, clients: int, seconds: float) -> list[dict[str, object]]:
    env = _env(tmp, worker="none")
    subprocess.run([sys.executable, "-m", "service", "create-admin", "--email", "admin@example.org",
                    "--password-stdin"], input=PASSWORD + "\n", text=True, cwd=REPO, env=env, check=True,
                   capture_output=True)
    port = _port()
    base = f"http://127.0.0.1:{port}/api"
    server = _start([sys.executable, "-m", "uvicorn", "service.app:app", "--port", str(port), "--log-level",
                     "warning"], env, tmp / "server.log")
    rows = []
    try:
        _wait_up(base)
        with httpx.Client(base_url=base, timeout=30) as c:
            h = _candidate(c)
            jobs = [_submit(c, h, _draft(c, h, i)) for i in range(20)]
        for label, paths in (("baseline: GET /api/auth/me (token check only)", ["/auth/me"]),
                             ("GET /api/jobs/{id} (status)", [f"/jobs/{j}" for j in jobs]),
                             ("GET /api/submissions (list of 20)", ["/submissions"])):
            asyncio.run(_load(base, h, paths, clients, 2))  # warm up
            lat = asyncio.run(_load(base, h, paths, clients, seconds))
            rows.append({"endpoint": label, "requests": len(lat), "rps": len(lat) / seconds,
                         "p50_ms": 1000 * statistics.median(lat), "p99_ms": 1000 * _pct(lat, 0.99)})
    finally:
        _stop([server])
    return rows


def bench_workers(tmp: Path, workers: int, submissions: int, torch_threads: int | None) -> dict[str, object]:
    env = _env(tmp, worker="none", job_poll_s="0.2")
    if torch_threads is not None:
        env["SCREENING_MODELS__TORCH_THREADS"] = str(torch_threads)
    subprocess.run([sys.executable, "-m", "service", "create-admin", "--email", "admin@example.org",
                    "--password-stdin"], input=PASSWORD + "\n", text=True, cwd=REPO, env=env, check=True,
                   capture_output=True)
    port = _port()
    base = f"http://127.0.0.1:{port}/api"
    procs = [_start([sys.executable, "-m", "uvicorn", "service.app:app", "--port", str(port), "--log-level",
                     "warning"], env, tmp / "server.log")]
    try:
        _wait_up(base)
        procs += [_start([sys.executable, "-m", "service", "worker"], env, tmp / f"worker{i}.log")
                  for i in range(workers)]
        with httpx.Client(base_url=base, timeout=60) as c:
            h = _candidate(c)
            # Warm-up: one submission per worker, so every worker has loaded its models.
            warm = [_submit(c, h, _draft(c, h, 10_000 + i)) for i in range(workers)]
            _wait_done(c, h, warm)
            drafts = [_draft(c, h, i) for i in range(submissions)]  # uploads before the clock starts
            started = time.monotonic()
            jobs = [_submit(c, h, d) for d in drafts]
            _wait_done(c, h, jobs)
            elapsed = time.monotonic() - started
    finally:
        _stop(procs)
    return {"workers": workers, "threads": torch_threads or "default", "submissions": submissions, "seconds": elapsed,
            "per_minute": 60 * submissions / elapsed}


def _wait_done(c: httpx.Client, h: dict[str, str], jobs: list[str]) -> None:
    deadline = time.monotonic() + 1800
    pending = set(jobs)
    while pending:
        if time.monotonic() > deadline:
            raise SystemExit("jobs did not finish")
        for j in list(pending):
            state = c.get(f"/jobs/{j}", headers=h).json()["state"]
            if state == "failed":
                raise SystemExit(f"job {j} failed")
            if state == "done":
                pending.discard(j)
        time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--submissions", type=int, default=24)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as d:
        http_rows = bench_http(Path(d) / "http", args.clients, args.seconds)
    worker_rows = []
    for n, threads in ((1, None), (2, None), (2, 1)):
        with tempfile.TemporaryDirectory() as d:
            worker_rows.append(bench_workers(Path(d), n, args.submissions, threads))
    lines = [f"{os.cpu_count()} CPUs, Python {platform.python_version()}; one uvicorn process on SQLite (embedded "
             "defaults). Produced by `python -m bench.service`. The machine is shared with other sessions: load "
             f"average {load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after it; read ratios, not "
             "absolute figures.", "",
             f"### {args.clients} concurrent clients, {args.seconds:.0f} s per endpoint (after 2 s of warm-up)", "",
             "The baseline is the cheapest authenticated endpoint of the same server in the same run.", "",
             "| endpoint | requests | requests/s | × baseline | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|"]
    base_rps = http_rows[0]["rps"]
    for r in http_rows:
        lines.append(f"| {r['endpoint']} | {r['requests']} | {r['rps']:.0f} | {r['rps'] / base_rps:.2f} | "
                     f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")
    lines += ["", "### Submissions screened per minute", "",
              f"{args.submissions} distinct text-only submissions (a ~1,000-word narrative and a ~500-word "
              "reflection drawn from the labelled MC passages, bench/data/mc_passages.yaml), uploaded as drafts "
              "first, then submitted together and timed until the last screening is done, after every worker "
              "screened one (models loaded); "
              "`python -m service worker` processes polling the same SQLite database; each configuration has its "
              "own empty embedding cache. Threads per worker: the embedding library's default or "
              "`models.torch_threads`. The load generator and the server share the machine's 2 cores. "
              "Baseline: one worker.", "",
              "| workers | threads each | submissions | seconds | per minute | × one worker |",
              "|---:|---:|---:|---:|---:|---:|"]
    for r in worker_rows:
        lines.append(f"| {r['workers']} | {r['threads']} | {r['submissions']} | {r['seconds']:.1f} | "
                     f"{r['per_minute']:.1f} | {r['per_minute'] / worker_rows[0]['per_minute']:.2f} |")
    print("\n".join(lines))
    if not args.no_write:
        append_section("Service: HTTP load and screening throughput", lines)

if __name__ == "__main__":
    main()
