"""From a media file to a judged transcript: limits, cache, decoding, recognition, flags.

``transcribe`` never raises for a bad file: every problem with the file ends in
``Transcript.problems``. (A missing or broken *model* is the installation's problem, not the
file's, and raises ModelError as the other models do.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..documents import IngestProblem
from ..hashing import file_sha256
from ..settings import MediaSettings
from . import cache, checks
from .decode import MediaError, check_limits, decode, unreadable
from .model import whisper_info
from .recognise import options, recognise
from .transcript import RawTranscript, Transcript

Progress = Callable[[float, float], None]


def probe(path: Path, settings: MediaSettings) -> tuple[float | None, IngestProblem | None]:
    """Duration from the container's metadata (no decoding), and the problem that stops the file
    before decoding: unreadable, over ``max_bytes`` or ``max_duration_s`` (media_too_long), or no
    audio track (no_speech)."""
    meta, problem = check_limits(Path(path), settings)
    return (meta.duration_s if meta else None), problem


def _failed(settings: MediaSettings, duration_s: float | None, problem: IngestProblem) -> Transcript:
    return Transcript((), duration_s, 0.0, None, None, whisper_info(settings).label, 0.0, (problem,))


def _judged(raw: RawTranscript, settings: MediaSettings) -> Transcript:
    low_s, problems = checks.judge(raw, settings)
    language, probability = raw.language, raw.language_probability
    if not raw.multilingual:
        # An English-only model reports "en" without detecting anything: say "en" only when the
        # English check found nothing against it.
        language = None if any(p.code == "language" for p in problems) else "en"
        probability = None
    return Transcript(raw.segments, raw.duration_s, raw.speech_s, language, probability, raw.model, low_s, problems)


def _transcribe(
    path: Path, settings: MediaSettings, cache_dir: Path | None, threads: int, progress: Progress | None,
    sha256: str | None = None,
) -> Transcript:
    path = Path(path)
    meta, problem = check_limits(path, settings)
    duration = meta.duration_s if meta else None
    if problem is not None or meta is None:
        return _failed(settings, duration, problem or unreadable("it could not be opened"))
    if cache_dir is None:
        return _judged(_recognise_file(path, settings, threads, meta.audio_s, duration, progress), settings)
    try:
        key = cache.cache_key(sha256 or file_sha256(path), options(settings))
    except OSError as exc:
        return _failed(settings, duration, unreadable(f"it could not be read ({exc.strerror or exc})"))
    with cache.locked(cache_dir, key):
        raw = cache.load(cache_dir, key)
        if raw is None:
            raw = _recognise_file(path, settings, threads, meta.audio_s, duration, progress)
            cache.save(cache_dir, key, raw)
        elif progress is not None:
            total = duration or 0.0
            progress(total, total)
    return _judged(raw, settings)


def _recognise_file(
    path: Path, settings: MediaSettings, threads: int, audio_s: float | None, duration: float | None, progress: Progress | None
) -> RawTranscript:
    audio = decode(path, settings, audio_s or duration)  # raises MediaError
    return recognise(audio, settings, threads, duration, progress)


def transcribe(
    path: Path, settings: MediaSettings, cache_dir: Path | None, progress: Progress | None = None,
    sha256: str | None = None,
) -> Transcript:
    """Transcribe one file with ``settings.cpu_threads`` threads; never raises for a bad file.

    ``progress(seconds_done, seconds_total)`` is called as segments arrive (from this thread).
    ``sha256``, when the caller has already hashed the file, spares hashing it again (a
    recording can be gigabytes)."""
    return _safe(path, settings, cache_dir, settings.cpu_threads, progress, sha256)


def _safe(
    path: Path, settings: MediaSettings, cache_dir: Path | None, threads: int, progress: Progress | None,
    sha256: str | None = None,
) -> Transcript:
    try:
        return _transcribe(Path(path), settings, cache_dir, threads, progress, sha256)
    except MediaError as exc:
        meta_duration = None
        try:
            meta_duration = probe(Path(path), settings)[0]
        except Exception:  # the file's own problem is already being reported
            pass
        return _failed(settings, meta_duration, exc.problem)


def transcribe_many(
    paths: list[Path], settings: MediaSettings, cache_dir: Path | None, progress: Progress | None = None
) -> list[Transcript]:
    """Transcribe several files, ``settings.parallel_files`` at a time, each with
    ``max(1, cpu_threads // parallel_files)`` threads and its own model instance (results in the
    order of ``paths``). Files run in threads: CTranslate2 releases the GIL while it computes.

    ``progress(seconds_done, seconds_total)`` sums over all files, using each file's declared
    duration; it is called from worker threads, one call at a time."""
    if len(paths) <= 1 or settings.parallel_files <= 1:
        return [transcribe(p, settings, cache_dir, progress) for p in paths]
    workers = min(settings.parallel_files, len(paths))
    threads = max(1, settings.cpu_threads // settings.parallel_files)
    totals = [probe(Path(p), settings)[0] or 0.0 for p in paths]  # metadata only: cheap
    done = [0.0] * len(paths)
    lock = threading.Lock()

    def file_progress(i: int) -> Progress | None:
        if progress is None:
            return None

        def report(seconds: float, _total: float) -> None:
            with lock:
                done[i] = min(seconds, totals[i]) if totals[i] else 0.0
                progress(sum(done), sum(totals))

        return report

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="transcribe") as pool:
        futures = [pool.submit(_safe, Path(p), settings, cache_dir, threads, file_progress(i)) for i, p in enumerate(paths)]
        return [f.result() for f in futures]
