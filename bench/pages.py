"""Server time of the web pages on the example data, and the assessor's queue at 2,000 submissions.

1. The example submission (examples/professional-learning) is drafted, uploaded, self-checked
   and submitted through the API and screened for real; an assessor claims it, a designer and an
   admin exist. Each page is then requested ``--repeat`` times (after two warm-up requests) and
   its server time read from the ``Server-Timing`` header the app sets; ``GET /api/auth/me`` in
   the same run is the baseline (the cheapest authenticated request).
2. 2,000 submitted, screened submissions (the example's report, stored 2,000 times) are added
   and the queue page (first page, default sort) and ``GET /api/queue`` are timed the same way.

In-process (Starlette's TestClient): no network, one request at a time; SQLite on local disk.
Run: ``python -m bench.pages [--repeat 20] [--no-write]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from .results import append_section

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "professional-learning"
PASSWORD = "bench password 123"
RUBRIC = "mo-il-professional-learning"


def _server_ms(response: Any) -> float:
    m = re.search(r"app;dur=([0-9.]+)", response.headers.get("server-timing", ""))
    if m is None:
        raise SystemExit(f"{response.request.url}: no Server-Timing header")
    return float(m.group(1))


def _time(client: Any, url: str, repeat: int, headers: dict[str, str] | None = None) -> list[float]:
    out = []
    for i in range(repeat + 2):
        r = client.get(url, headers=headers or {}, follow_redirects=False)
        if r.status_code != 200:
            raise SystemExit(f"GET {url}: {r.status_code} {r.text[:200]}")
        if i >= 2:
            out.append(_server_ms(r))
    return out


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _files() -> list[tuple[str, Path]]:
    """(part, path) of each file of the example submission, as the folder reader assigns them."""
    from screening.submission import from_folder

    return [(f.role, f.path) for f in from_folder(EXAMPLE).files]


def main() -> None:
    from fastapi.testclient import TestClient

    from screening.cpu import cpu_flags
    from screening.settings import Settings
    from service.app import create_app
    from service.auth import create_user
    from service.models import Job, ReportRow, Submission, utcnow
    from service.worker import Worker

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--queue-size", type=int, default=2000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows: list[tuple[str, list[float]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        settings = Settings(cache_dir=Path(tmp) / "cache", rubric_dirs=[REPO / "rubrics"],
                            service={"data_dir": Path(tmp) / "svc", "worker": "none"})
        with TestClient(create_app(settings)) as client:
            state = client.app.state.service  # type: ignore[attr-defined]
            with state.sessions() as s:
                for name, role in (("cand", "candidate"), ("ass", "assessor"), ("des", "program_designer"),
                                   ("adm", "admin")):
                    create_user(s, f"{name}@example.org", PASSWORD, role, "Casey Candidate" if name == "cand" else None)
                s.commit()

            def token(name: str) -> dict[str, str]:
                r = client.post("/api/auth/token", json={"email": f"{name}@example.org", "password": PASSWORD})
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            cand = token("cand")
            sub = client.post("/api/submissions", json={"rubric_id": RUBRIC}, headers=cand).json()["id"]
            file_ids = []
            for part, path in _files():
                r = client.post(f"/api/submissions/{sub}/files", headers=cand,
                                files={"file": (path.name, path.read_bytes())}, data={"part": part})
                assert r.status_code == 201, r.text
                file_ids.append((r.json()["id"], r.json()["kind"]))
            worker = Worker(state.sessions, state.storage, state.settings)
            check = client.post(f"/api/submissions/{sub}/self-checks", headers=cand).json()["id"]
            started = time.perf_counter()
            assert worker.claim(check) == "claimed" and worker.run(check) == "done"
            print(f"self-check screened in {time.perf_counter() - started:.0f} s", flush=True)
            job = client.post(f"/api/submissions/{sub}/submit", headers=cand).json()["job"]["id"]
            assert worker.claim(job) == "claimed" and worker.run(job) == "done"
            ass = token("ass")
            assert client.post(f"/api/queue/{sub}/claim", headers=ass).status_code == 200
            pdf = next(fid for fid, kind in file_ids if kind == "pdf")

            def pages_as(name: str, urls: list[str]) -> None:
                client.cookies.clear()
                r = client.post("/login", data={"email": f"{name}@example.org", "password": PASSWORD},
                                follow_redirects=False)
                assert r.status_code == 303, r.text
                for url in urls:
                    label = url.replace(sub, "{submission}").replace(check, "{job}").replace(pdf, "{file}")
                    rows.append((f"`{label}` ({name})", _time(client, url, args.repeat)))
                    print(rows[-1][0], f"{statistics.median(rows[-1][1]):.1f} ms", flush=True)

            rows.append(("`GET /api/auth/me` (baseline)", _time(client, "/api/auth/me", args.repeat, cand)))
            pages_as("cand", ["/my", "/my/new", f"/my/submissions/{sub}", f"/my/submissions/{sub}/reports/{check}",
                              f"/view/{sub}/{pdf}?page=2"])
            pages_as("ass", ["/queue", f"/review/{sub}", f"/view/{sub}/{pdf}/panel?page=2"])
            pages_as("des", ["/designer"])
            pages_as("adm", ["/admin", "/admin/users", "/admin/rubrics"])

            # The queue at scale: the example's report stored for N more submitted submissions.
            with state.sessions() as s:
                report = s.get(ReportRow, job).report_json
                cand_id = s.get(Submission, sub).candidate_id
                now = utcnow()
                for _ in range(args.queue_size):
                    extra = Submission(candidate_id=cand_id, rubric_id=RUBRIC, status="submitted", submitted_at=now)
                    s.add(extra)
                    s.flush()
                    j = Job(submission_id=extra.id, purpose="screening", state="done", finished_at=now)
                    s.add(j)
                    s.flush()
                    s.add(ReportRow(job_id=j.id, report_json=report))
                s.commit()
            client.cookies.clear()
            client.post("/login", data={"email": "ass@example.org", "password": PASSWORD}, follow_redirects=False)
            n = args.queue_size + 1
            rows.append((f"`/queue` with {n:,} submissions (assessor)", _time(client, "/queue", args.repeat)))
            rows.append((f"`GET /api/queue` with {n:,} submissions", _time(client, "/api/queue", args.repeat, ass)))
            rows.append((f"`GET /api/auth/me` with {n:,} submissions (baseline)",
                         _time(client, "/api/auth/me", args.repeat, cand)))
    base = statistics.median(rows[0][1])
    simd = sorted(f for f in cpu_flags() if f.startswith(("avx", "amx", "fma"))) or ["none"]
    lines = [f"{os.cpu_count()} CPUs, SIMD flags: {' '.join(simd)}. Server time from `Server-Timing`, "
             f"{args.repeat} requests per row after 2 warm-up requests, in-process (TestClient), SQLite.", "",
             "| Request | median ms | p95 ms | × baseline |", "|---|---:|---:|---:|"]
    for name, values in rows:
        med = statistics.median(values)
        lines.append(f"| {name} | {med:.1f} | {_p95(values):.1f} | {med / base:.1f} |")
    print("\n".join(lines))
    if not args.no_write:
        append_section("Server time per page (bench.pages)", lines)


if __name__ == "__main__":
    main()
