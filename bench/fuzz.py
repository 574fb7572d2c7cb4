"""Fuzzing the readers of untrusted files: ingest, self-analysis parsing and cleaning for assessors.

Real files (PDFs from ../shared/data/pdf, the example submission's Word document, self-analysis
table and Markdown reflection) are mutated by Hypothesis (bytes flipped, cut short, inserted,
repeated, spliced from another file) and fed to:

- ``ingest_file`` (in the isolated extraction worker, as the service runs it): it must return a
  Document, with problems named by known flag codes, and never raise;
- ``read_self_analysis``: it must return, never raise;
- ``service.redact.clean`` (what assessors download): it must return bytes or refuse with
  ``CannotClean``, never anything else.

tests/test_fuzz.py runs a few dozen examples per target in CI; ``python -m bench.fuzz`` runs
many more and appends the count of examples and of failures to bench/RESULTS.md. Any failure
found becomes a test of its own.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
SHARED_PDF = REPO.parent / "shared" / "data" / "pdf"
EXAMPLE = REPO / "examples" / "professional-learning"
# Small, varied PDFs: a text document, an encrypted one, a broken one, a scan, a form.
PDFS = ("crazyones.pdf", "helloworld-bad.pdf", "invalid.pdf", "empty.pdf", "crazyones-encrypted-256.pdf",
        "002-trivial-libre-office-writer.pdf", "issue-297-example.pdf", "google-doc-document.pdf")


def seeds() -> dict[str, bytes]:
    files = {"narrative.docx": EXAMPLE / "narrative.docx", "self-analysis.csv": EXAMPLE / "self-analysis.csv",
             "reflection.md": EXAMPLE / "reflection.md"}
    for name in PDFS:
        if (SHARED_PDF / name).exists():
            files[name] = SHARED_PDF / name
    return {name: path.read_bytes() for name, path in files.items()}


class Chooser(Protocol):
    """Where a mutation's choices come from: Hypothesis (shrinkable) or a seeded random.Random."""

    def integer(self, lo: int, hi: int) -> int: ...
    def choice(self, options: Sequence[str]) -> str: ...
    def blob(self, lo: int, hi: int) -> bytes: ...


def mutate(data: bytes, corpus: dict[str, bytes], pick: Chooser) -> bytes:
    """``data`` with 1-4 mutations: bytes flipped, cut short, inserted, repeated, zeroed, or the
    rest spliced from another seed."""
    out = bytearray(data)
    for _ in range(pick.integer(1, 4)):
        if not out:
            break
        op = pick.choice(["flip", "cut", "insert", "repeat", "splice", "zero"])
        at = pick.integer(0, len(out) - 1)
        if op == "flip":
            out[at] ^= pick.integer(1, 255)
        elif op == "cut":
            del out[at:]
        elif op == "insert":
            out[at:at] = pick.blob(1, 64)
        elif op == "repeat":
            size = pick.integer(1, 4096)
            out[at:at] = out[at:at + size] * pick.integer(2, 8)
        elif op == "splice":
            other = corpus[pick.choice(sorted(corpus))]
            start = pick.integer(0, max(0, len(other) - 1))
            out[at:] = other[start:start + pick.integer(1, 8192)]
        else:
            size = pick.integer(1, 512)
            out[at:at + size] = bytes(min(size, len(out) - at))
    return bytes(out)


@dataclass
class _Drawn:
    draw: st.DrawFn

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def choice(self, options: Sequence[str]) -> str:
        return self.draw(st.sampled_from(options))

    def blob(self, lo: int, hi: int) -> bytes:
        return self.draw(st.binary(min_size=lo, max_size=hi))


@dataclass
class Seeded:
    rng: random.Random

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, options: Sequence[str]) -> str:
        return self.rng.choice(list(options))

    def blob(self, lo: int, hi: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(lo, hi))


@st.composite
def mutated(draw: st.DrawFn, corpus: dict[str, bytes]) -> tuple[str, bytes]:
    """A seed file with a few mutations; the name keeps the seed's extension."""
    name = draw(st.sampled_from(sorted(corpus)))
    return name, mutate(corpus[name], corpus, _Drawn(draw))


@dataclass
class Targets:
    """The three readers, each on a file written to ``work``; each raises AssertionError when a
    property fails."""

    work: Path

    def _write(self, name: str, data: bytes) -> Path:
        path = self.work / name
        path.write_bytes(data)
        return path

    def ingest(self, name: str, data: bytes) -> None:
        from screening.ingest import ingest_file
        from screening.settings import LimitSettings

        from screening.flags import CODES

        doc = ingest_file(self._write(name, data), LimitSettings(ingest_timeout_s=20, ingest_memory_mb=1024))
        unknown = {p.code for p in doc.problems} - set(CODES)
        assert not unknown, f"unknown problem codes {unknown}"

    def self_analysis(self, name: str, data: bytes) -> None:
        from screening.rubric import RubricCatalogue
        from screening.selfanalysis import read_self_analysis

        rubric = RubricCatalogue([REPO / "rubrics"]).get("mo-il-professional-learning")
        got = read_self_analysis(self._write(name, data), rubric)
        assert got is not None

    def clean(self, name: str, data: bytes) -> None:
        from screening.ingest.sniff import sniff
        from service.anonymise import Scrubber
        from service.redact import CannotClean, clean

        kind = sniff(self._write(name, data)).kind.value
        try:
            out = clean(kind, data, Scrubber(names={}, person=["Casey Candidate", "casey@example.org"]))
        except CannotClean:
            return
        assert isinstance(out, bytes)

    def all(self) -> dict[str, Callable[[str, bytes], None]]:
        return {"ingest": self.ingest, "self-analysis": self.self_analysis, "cleaning": self.clean}


def run(examples: int, seconds: float) -> dict[str, tuple[int, list[str]]]:
    """Each target on up to ``examples`` mutated files (or until ``seconds`` pass): (examples run,
    failures as "target: file: error")."""
    from hypothesis import HealthCheck, given, settings

    corpus = seeds()
    out: dict[str, tuple[int, list[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        targets = Targets(Path(tmp))
        for label, target in targets.all().items():
            count, failures = 0, []
            deadline = time.monotonic() + seconds

            @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                      suppress_health_check=list(HealthCheck))
            @given(mutated(corpus))
            def check(case: tuple[str, bytes]) -> None:
                nonlocal count
                if time.monotonic() > deadline:
                    return
                count += 1
                try:
                    target(*case)
                except Exception as exc:  # noqa: BLE001 - every failure is recorded, not raised
                    failures.append(f"{label}: {case[0]} ({len(case[1])} bytes): {type(exc).__name__}: {exc}"[:300])

            check()
            out[label] = (count, failures)
    return out


def main() -> None:
    from .results import append_section

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=400, help="mutated files per target")
    parser.add_argument("--seconds", type=float, default=600, help="time limit per target")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    results = run(args.examples, args.seconds)
    lines = [f"Seeds: {', '.join(sorted(seeds()))}. Up to {args.examples} mutated files per target, "
             f"{args.seconds:.0f} s each; {time.perf_counter() - started:.0f} s in all.", "",
             "| Target | Files tried | Failures |", "|---|---:|---:|"]
    for label, (count, failures) in results.items():
        lines.append(f"| {label} | {count} | {len(failures)} |")
    for label, (_, failures) in results.items():
        lines.extend(f"- {f}" for f in failures[:20])
    print("\n".join(lines))
    if not args.no_write:
        append_section("Fuzzing the file readers (bench.fuzz)", lines)


if __name__ == "__main__":
    main()
