"""Files in, ``Document``s out: limits, content sniffing, and isolation of the parsers.

Parsing runs in a worker subprocess (unless ``limits.isolate_ingest`` is off) with an
address-space limit and a CPU-time limit, because submissions are untrusted files: a crafted or huge PDF must
not hang or exhaust the screener, and one bad file must not stop the rest being screened.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Callable
from pathlib import Path

from ..documents import Document, FileKind, IngestProblem, Page
from ..hashing import file_sha256
from ..settings import LimitSettings, MediaSettings
from . import worker
from .sniff import Sniffed, extension_mismatch, sniff

READABLE = (FileKind.PDF, FileKind.DOCX, FileKind.TEXT, FileKind.MARKDOWN)
MEDIA = (FileKind.AUDIO, FileKind.VIDEO)


@dataclass(frozen=True)
class _Extracted:
    pages: tuple[Page, ...]
    page_count: int | None
    problems: tuple[IngestProblem, ...]
    encoding: str | None = None


def _human_bytes(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"


# ---------------------------------------------------------------------------------------------
# Extraction proper (runs in the child when isolated)


def _extract(path: str, kind: FileKind, limits: LimitSettings) -> _Extracted:
    from . import text as textmod

    p = Path(path)
    if kind == FileKind.PDF:
        from .pdf import extract_pdf

        got = extract_pdf(p, limits)
        return _Extracted(got.pages, got.page_count, got.problems)
    if kind == FileKind.DOCX:
        from .archive import ArchiveTooLarge
        from .docx import docx_text, open_checked

        try:
            open_checked(p, limits.archive_limits())
        except ArchiveTooLarge as exc:
            return _Extracted((), None, (IngestProblem("file_too_large", {
                "limit": exc.limit, "consequence": f"{exc.found}, so it was not opened"}),))
        except Exception:  # noqa: BLE001 - a damaged package: python-docx says how, below
            pass
        try:
            raw = docx_text(p)
        except Exception as exc:  # python-docx raises many types for damaged packages
            reason = f"the Word document is damaged ({type(exc).__name__}: {str(exc)[:120]})"
            return _Extracted((), None, (IngestProblem("file_unreadable", {"reason": reason}),))
        return _text_result(textmod.normalise(raw), None, limits)
    data = p.read_bytes()
    decoded = textmod.decode(data)
    body = decoded.text
    if textmod.looks_like_html(body):
        body = textmod.html_visible_text(body)  # counted and screened as a reader sees it
    elif kind == FileKind.MARKDOWN:
        body = textmod.strip_markdown(body)
    return _text_result(textmod.normalise(body), decoded.encoding, limits)


def _text_result(body: str, encoding: str | None, limits: LimitSettings) -> _Extracted:
    problems: list[IngestProblem] = []
    if len(body) > limits.max_text_chars:
        problems.append(
            IngestProblem(
                "file_too_large",
                {
                    "limit": f"{limits.max_text_chars:,} characters",
                    "consequence": f"only the first {limits.max_text_chars:,} of {len(body):,} were screened",
                },
            )
        )
        body = body[: limits.max_text_chars]
    return _Extracted((Page(None, body),), None, tuple(problems), encoding)


def extract_inline(path: str, kind: FileKind, limits: LimitSettings) -> _Extracted:
    """Extract in this process (what the isolated worker runs)."""
    return _extract(path, kind, limits)


def _unreadable(reason: str) -> _Extracted:
    return _Extracted((), None, (IngestProblem("file_unreadable", {"reason": reason}),))


def _worker_env() -> dict[str, str]:
    # The worker must import this very package, installed or not.
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class _Isolator:
    """One reusable worker subprocess with memory and CPU limits, replaced when a file kills or
    stalls it. It extracts text, or runs an allow-listed transformation (``run_isolated``)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._memory_mb: int | None = None
        self._lock = threading.Lock()

    def _get(self, memory_mb: int) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None or self._memory_mb != memory_mb:
            self.close()
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "screening.ingest.worker", str(memory_mb)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=_worker_env(),
            )
            self._memory_mb = memory_mb
        return self._proc

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.stdin.close()  # type: ignore[union-attr]
                proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()

    def request(self, message: object, memory_mb: int, cpu_s: float, what: str = "reading it") -> object:
        """Send ``message`` to the worker and return its answer; IsolationFailed (with a reason in
        plain words) when the worker overran its time or memory, or died."""
        with self._lock:
            proc = self._get(memory_mb)
            # The CPU limit normally stops a runaway parser; this wall-clock backstop covers a
            # worker that blocks without using CPU.
            deadline = cpu_s * 1.5 + 10
            try:
                worker.send(proc.stdin, message)  # type: ignore[arg-type]
                ready, _, _ = select.select([proc.stdout], [], [], deadline)
                if not ready:
                    proc.kill()
                    self.close()
                    raise IsolationFailed(f"{what} took longer than the {cpu_s:g} s allowed (setting limits.ingest_timeout_s)")
                result = worker.receive(proc.stdout)  # type: ignore[arg-type]
            except (EOFError, BrokenPipeError, OSError):
                code = proc.wait()
                self.close()
                if code == -signal.SIGXCPU:
                    raise IsolationFailed(f"{what} took more than the {cpu_s:g} s of processing allowed "
                                          "(setting limits.ingest_timeout_s)") from None
                raise IsolationFailed(f"the reader stopped while parsing it (exit status {code}): the file may be "
                                      f"malformed, or need more than the {memory_mb} MB allowed (setting "
                                      "limits.ingest_memory_mb)") from None
        if isinstance(result, MemoryError):
            raise IsolationFailed(f"{what} needed more than the {memory_mb} MB allowed (setting limits.ingest_memory_mb)")
        if isinstance(result, Exception):
            raise IsolationFailed(f"the reader failed on it ({result})")
        return result

    def run(self, path: Path, kind: FileKind, limits: LimitSettings) -> _Extracted:
        try:
            return self.request((str(path.resolve()), kind, limits), limits.ingest_memory_mb,  # type: ignore[return-value]
                                limits.ingest_timeout_s)
        except IsolationFailed as exc:
            return _unreadable(str(exc))


class IsolationFailed(Exception):
    """The isolated worker overran its limits or died; the message says which, in plain words."""


def run_isolated(target: str, args: tuple[object, ...], limits: LimitSettings, what: str) -> object:
    """``target(*args)`` (a function named in ingest/worker.py's allow-list) in a worker with the
    ingest limits: address space ``limits.ingest_memory_mb``, CPU ``limits.ingest_timeout_s``.
    Its own worker process, so a long transformation never waits behind screening's extraction."""
    return _TRANSFORMER.request(("call", target, args, limits.ingest_timeout_s), limits.ingest_memory_mb,
                                limits.ingest_timeout_s, what)


_ISOLATOR = _Isolator()
_TRANSFORMER = _Isolator()  # files transformed for readers (cleaning for assessors): not behind extraction
atexit.register(_ISOLATOR.close)
atexit.register(_TRANSFORMER.close)


# ---------------------------------------------------------------------------------------------
# Public entry point


@lru_cache(maxsize=1)
def _extractor_fingerprint() -> str:
    """Hash of the extraction code itself: a cached extraction is reused only by the same code."""
    h = hashlib.sha256()
    for f in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:16]


def _cache_path(cache_dir: Path, digest: str, kind: FileKind, limits: LimitSettings) -> Path:
    # One folder per file (its SHA-256), so every extraction of a file can be found and removed
    # (a candidate's data erased on request: forget_extractions).
    key = (f"{digest}:{kind.value}:{limits.max_pdf_pages}:{limits.max_text_chars}:{limits.max_archive_bytes}:"
           f"{limits.max_archive_ratio}:{limits.max_archive_entries}:{_extractor_fingerprint()}")
    return cache_dir / "extracted" / digest / (hashlib.sha256(key.encode()).hexdigest() + ".json")


def forget_extractions(cache_dir: Path, digest: str) -> int:
    """Remove every cached extraction of the file with this SHA-256 (whatever the limits and code
    that made it), and the entries of the older flat layout, which no code reads any more and
    which cannot be told apart. Returns how many files were removed."""
    import re
    import shutil

    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError(f"not a SHA-256: {digest!r}")
    root = cache_dir / "extracted"
    removed = 0
    folder = root / digest
    if folder.is_dir():
        removed += sum(1 for p in folder.iterdir() if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
    if root.is_dir():
        for old in root.glob("*.json"):  # the flat layout of earlier versions: unreachable now
            old.unlink(missing_ok=True)
            removed += 1
    return removed


def _load_cached(path: Path) -> _Extracted | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _Extracted(
            pages=tuple(Page(**p) for p in data["pages"]),
            page_count=data["page_count"],
            problems=tuple(IngestProblem(p["code"], p["params"], tuple(p["pages"]),
                                         tuple(tuple(x) for x in p.get("spans", ()))) for p in data["problems"]),
            encoding=data["encoding"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or damaged: extract again


def _store(path: Path, got: _Extracted) -> None:
    # Time and memory failures are not cached: a later run with other limits may succeed.
    if any(p.code == "file_unreadable" and "allowed" in p.params.get("reason", "") for p in got.problems):
        return
    data = {
        "pages": [asdict(p) for p in got.pages],
        "page_count": got.page_count,
        "problems": [{"code": p.code, "params": p.params, "pages": list(p.pages), "spans": [list(x) for x in p.spans]}
                     for p in got.problems],
        "encoding": got.encoding,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)


def ingest_file(
    path: Path, limits: LimitSettings, display_name: str | None = None, cache_dir: Path | None = None,
    media: MediaSettings | None = None, progress: Callable[[float, float], None] | None = None,
) -> Document:
    """Read one file into a ``Document``. Never raises for a bad file: problems are recorded.

    ``display_name`` is how the file is named in reports (e.g. ``artifacts/plan.pdf``). With a
    ``cache_dir``, extractions and transcripts are reused by content hash (a candidate
    re-checking a draft re-reads only the files that changed). Audio and video are transcribed
    when ``media`` settings are given, and reported as unsupported otherwise; ``progress``
    receives (seconds done, seconds total) while a recording is transcribed. Raises
    ``FileNotFoundError`` only if the path does not exist.
    """
    path = Path(path)
    name = display_name or path.name
    size = path.stat().st_size
    base = dict(path=str(path), name=name, size_bytes=size)
    if size == 0:
        return Document(**base, sha256=hashlib.sha256(b"").hexdigest(), kind=FileKind.EMPTY,
                        problems=(IngestProblem("file_empty"),))
    digest = file_sha256(path)
    sniffed: Sniffed = sniff(path)
    problems: list[IngestProblem] = []
    if extension_mismatch(path, sniffed.kind):
        problems.append(
            IngestProblem("file_type_mismatch", {"extension": path.suffix.lower(), "detected": sniffed.description})
        )
    if sniffed.kind in MEDIA and media is not None:
        from .media import media_document

        # Media has its own size and duration limits, checked before decoding.
        return media_document(path, {**base, "sha256": digest}, sniffed.kind, media, cache_dir, problems, progress)
    if size > limits.max_file_bytes:
        problem = IngestProblem(
            "file_too_large",
            {"limit": _human_bytes(limits.max_file_bytes), "consequence": f"at {_human_bytes(size)} it was not read"},
        )
        return Document(**base, sha256=digest, kind=sniffed.kind, problems=(problem,))
    if sniffed.kind not in READABLE:
        problem = IngestProblem("file_unsupported", {"detected": sniffed.description})
        return Document(**base, sha256=digest, kind=sniffed.kind, problems=(problem,))
    cached = _cache_path(cache_dir, digest, sniffed.kind, limits) if cache_dir is not None else None
    got = _load_cached(cached) if cached is not None else None
    if got is None:
        got = _ISOLATOR.run(path, sniffed.kind, limits) if limits.isolate_ingest else _extract(str(path), sniffed.kind, limits)
        if cached is not None:
            _store(cached, got)
    problems.extend(got.problems)
    doc = Document(
        **base, sha256=digest, kind=sniffed.kind, pages=got.pages, page_count=got.page_count,
        problems=tuple(problems), encoding=got.encoding,
    )
    if not doc.readable and not any(p.code in ("file_unreadable", "no_text_layer", "file_empty", "file_too_large") for p in problems):
        doc = replace(doc, problems=doc.problems + (IngestProblem("file_empty"),))
    return doc


def shutdown() -> None:
    """Stop the extraction child (tests and long-lived services call this on exit)."""
    _ISOLATOR.close()


