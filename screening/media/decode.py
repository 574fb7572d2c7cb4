"""Open and decode media through PyAV (FFmpeg bundled in the wheel: no system ffmpeg).

``probe`` reads container metadata only (cheap, no decoding), so limits are enforced before any
sample is decoded. ``decode`` yields 16 kHz mono float32, resampled by ``av.AudioResampler``
straight to float (faster-whisper's own ``decode_audio`` goes through int16 and back).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..documents import IngestProblem
from ..locations import mmss
from ..settings import MediaSettings

SAMPLE_RATE = 16_000
# A stream that decodes to less than this share of the duration its header declares was cut
# short (a partial upload); above it, a few damaged frames are tolerated as players do.
_COMPLETE_SHARE = 0.9


class MediaError(Exception):
    """A media file that cannot be used; ``problem`` is what to report."""

    def __init__(self, problem: IngestProblem) -> None:
        super().__init__(problem.params.get("reason", problem.code))
        self.problem = problem


@dataclass(frozen=True)
class Probe:
    duration_s: float | None  # the container's (longest stream)
    audio_s: float | None  # the first audio stream's own, when declared: what decoding must reach
    has_audio: bool
    has_video: bool


def unreadable(reason: str) -> IngestProblem:
    return IngestProblem("file_unreadable", {"reason": reason})


def _bytes_label(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def too_long(duration: str, limit: str, setting: str) -> IngestProblem:
    return IngestProblem("media_too_long", {"duration": duration, "limit": limit, "setting": setting})


def _ffmpeg_reason(exc: BaseException) -> str:
    # PyAV's messages name the C call ("avcodec_send_packet()"); keep only FFmpeg's plain words.
    msg = getattr(exc, "strerror", None) or str(exc)
    return str(msg).split(":")[0].strip().rstrip(".").lower() or type(exc).__name__


def read_probe(path: Path) -> Probe:
    """Container metadata, without decoding. Raises MediaError for a file FFmpeg cannot open."""
    import av

    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            audio = container.streams.audio
            audio_s: float | None = None
            if audio and audio[0].duration is not None and audio[0].time_base is not None:
                audio_s = float(audio[0].duration * audio[0].time_base)
            duration = container.duration / 1_000_000 if container.duration is not None else audio_s  # microseconds
            return Probe(duration, audio_s, bool(audio), bool(container.streams.video))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(
            unreadable(f"it could not be opened as audio or video ({_ffmpeg_reason(exc)}): it may be damaged, cut short, or not a media file")
        ) from None


def check_limits(path: Path, settings: MediaSettings) -> tuple[Probe | None, IngestProblem | None]:
    """What the public ``probe`` reports: metadata, or the problem that stops the file before decoding."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, unreadable(f"it could not be opened ({exc.strerror or exc})")
    if size == 0:
        return None, unreadable("the file is empty (0 bytes)")
    if size > settings.max_bytes:
        # Not even opened: the limit exists so that huge uploads cost nothing.
        return None, too_long(_bytes_label(size), _bytes_label(settings.max_bytes), "media.max_bytes")
    try:
        meta = read_probe(path)
    except MediaError as exc:
        return None, exc.problem
    if meta.duration_s is not None and meta.duration_s > settings.max_duration_s:
        return meta, too_long(mmss(meta.duration_s), mmss(settings.max_duration_s), "media.max_duration_s")
    if not meta.has_audio:
        reason = (
            "it has a video track but no audio track, so there is no speech to transcribe"
            if meta.has_video else "it has no audio track, so there is no speech to transcribe"
        )
        return meta, IngestProblem("no_speech", {"reason": reason})
    return meta, None


def decode(path: Path, settings: MediaSettings, declared_s: float | None) -> np.ndarray:
    """16 kHz mono float32 samples of the first audio stream.

    Stops (``media_too_long``) as soon as more than ``max_duration_s`` is decoded, whatever the
    header said, so a file that declares no or a false duration cannot exhaust memory. Raises
    MediaError for a file that breaks off or cannot be decoded.
    """
    import av

    max_samples = int(settings.max_duration_s * SAMPLE_RATE) + SAMPLE_RATE
    chunks: list[np.ndarray] = []
    n = 0
    damaged = 0
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            frames = container.decode(audio=0)
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    frame = None
                except av.error.InvalidDataError:
                    damaged += 1  # a damaged packet: skip it as players do; truncation is judged below
                    if damaged > 1000:
                        raise MediaError(unreadable("its audio is damaged throughout (more than 1,000 undecodable packets)")) from None
                    continue
                if frame is not None:
                    frame.pts = None  # resample by sample count; broken timestamps must not stall it
                for out in resampler.resample(frame):  # None flushes the resampler
                    arr = out.to_ndarray().reshape(-1)
                    chunks.append(arr.astype(np.float32, copy=False))
                    n += arr.size
                if n > max_samples:
                    raise MediaError(too_long(f"more than {mmss(settings.max_duration_s)}", mmss(settings.max_duration_s), "media.max_duration_s"))
                if frame is None:
                    break
    except MediaError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, RuntimeError) as exc:
        done = mmss(n / SAMPLE_RATE)
        raise MediaError(unreadable(f"its audio could not be decoded after {done} ({_ffmpeg_reason(exc)})")) from None
    decoded_s = n / SAMPLE_RATE
    if declared_s and decoded_s < _COMPLETE_SHARE * declared_s and (damaged or decoded_s < declared_s - 2.0):
        raise MediaError(
            unreadable(
                f"the file is cut short or damaged: only {decoded_s:.1f} s of its {declared_s:.1f} s of audio could be "
                "decoded (an incomplete upload?)"
            )
        )
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
