"""Appending a dated section to bench/RESULTS.md, with the commit it was measured on."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "RESULTS.md"


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    sha = git("rev-parse", "--short", "HEAD") or "unknown"
    # this file itself is not a change to what was measured (a run may append several sections)
    if git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/RESULTS.md"):
        sha += " (with uncommitted changes)"
    return sha


def append_section(title: str, lines: list[str]) -> None:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(f"\n## {title} — {stamp}\n\nCommit {commit()}.\n\n" + "\n".join(lines) + "\n")


def pr_row(name: str, tp: int, fp: int, fn: int) -> str:
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return f"| {name} | {tp + fn} | {tp} | {fp} | {fn} | {precision:.2f} | {recall:.2f} |"


PR_HEADER = ["| Check | Planted | TP | FP | FN | Precision | Recall |", "|---|---:|---:|---:|---:|---:|---:|"]
