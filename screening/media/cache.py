"""Transcripts on disk, keyed by what determines them: the file's bytes, the model and every
option that changes the model's output. A key names a JSON file under ``cache_dir/transcripts``.
The key starts with the file's SHA-256, so every transcript of one file can be found and removed
(a candidate's data erased on request: :func:`forget`).

Writes are atomic (temp file + rename), so a reader never sees half a file. A lock file per key
(``flock``) makes a second process, or thread, asking for the same transcript wait for the first
and then read its result, so the same file is never transcribed twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


from .transcript import RawTranscript

# Bump when the transcription pipeline changes its output for the same file and options.
PIPELINE_VERSION = 1


def cache_key(sha256: str, options: dict[str, Any]) -> str:
    blob = json.dumps({"sha256": sha256, "pipeline": PIPELINE_VERSION, **options}, sort_keys=True, default=str)
    return f"{sha256}.{hashlib.sha256(blob.encode()).hexdigest()}"


def _legacy_key(sha256: str, options: dict[str, Any]) -> str:
    """The key before it named the file (entries written then are found only with the same options)."""
    blob = json.dumps({"sha256": sha256, "pipeline": PIPELINE_VERSION, **options}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def forget(cache_dir: Path, sha256: str, options: dict[str, Any] | None = None) -> int:
    """Remove every transcript (and lock file) of the file with this SHA-256, whatever the options
    it was made with; with ``options``, also the entry of the older key layout. Returns how many
    files were removed."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    folder = cache_dir / "transcripts" / sha256[:2]
    found = list(folder.glob(f"{sha256}.*")) if folder.is_dir() else []
    if options is not None:
        old = _path(cache_dir, _legacy_key(sha256, options))
        found += [p for p in (old, old.with_suffix(".lock")) if p.exists()]
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)


def _path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "transcripts" / key[:2] / f"{key}.json"


def load(cache_dir: Path, key: str) -> RawTranscript | None:
    path = _path(cache_dir, key)
    try:
        return RawTranscript.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable or from an older layout: transcribe again and overwrite


def save(cache_dir: Path, key: str, raw: RawTranscript) -> None:
    path = _path(cache_dir, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(raw.to_json(), fh, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def locked(cache_dir: Path, key: str) -> Iterator[None]:
    """Hold the key's lock while checking the cache and transcribing."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock; at worst a file is transcribed twice
        yield
        return
    lock = _path(cache_dir, key).with_suffix(".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file is closed
        yield
