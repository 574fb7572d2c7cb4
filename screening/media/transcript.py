"""The transcript of one media file: plain, frozen data (picklable, JSON round-trip for the cache)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..documents import IngestProblem


@dataclass(frozen=True)
class Segment:
    """One transcript segment, times in seconds from the start of the file."""

    start_s: float
    end_s: float
    text: str
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True)
class AcousticWindow:
    """Five seconds of detected speech and the acoustic probe's probability that it is not English."""

    start_s: float
    end_s: float
    p_other: float


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...]
    duration_s: float | None  # from the container/stream (None when it declares none)
    speech_s: float  # seconds of detected speech (VAD) or, without VAD, the sum of segment spans
    language: str | None
    language_probability: float | None
    model: str  # model name + fingerprint, e.g. "tiny.en@1a2b3c4d5e6f7a8b"
    low_confidence_s: float  # seconds of speech in low-confidence segments
    problems: tuple[IngestProblem, ...]  # no_speech, language, low_confidence_transcript, media_too_long, file_unreadable

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


@dataclass(frozen=True)
class RawTranscript:
    """What the model produced, before any flag is decided: this is what the cache stores, so a
    changed threshold (low_confidence_*, min_speech_s, language_min_probability) re-judges a
    cached transcript instead of transcribing again."""

    segments: tuple[Segment, ...]
    duration_s: float | None
    speech_s: float
    language: str | None
    language_probability: float | None
    model: str
    multilingual: bool  # the model can detect language itself (else the English-only heuristic runs)
    # The acoustic probe's windows (media/acoustic.py); None: no probe for this model, or it was off
    acoustic: tuple[AcousticWindow, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "segments": [[s.start_s, s.end_s, s.text, s.avg_logprob, s.no_speech_prob] for s in self.segments],
            "duration_s": self.duration_s,
            "speech_s": self.speech_s,
            "language": self.language,
            "language_probability": self.language_probability,
            "model": self.model,
            "multilingual": self.multilingual,
            "acoustic": None if self.acoustic is None else [[w.start_s, w.end_s, w.p_other] for w in self.acoustic],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RawTranscript":
        return cls(
            segments=tuple(Segment(float(a), float(b), str(t), float(lp), float(ns)) for a, b, t, lp, ns in data["segments"]),
            duration_s=data["duration_s"],
            speech_s=float(data["speech_s"]),
            language=data["language"],
            language_probability=data["language_probability"],
            model=str(data["model"]),
            multilingual=bool(data["multilingual"]),
            acoustic=None if data.get("acoustic") is None
            else tuple(AcousticWindow(float(a), float(b), float(p)) for a, b, p in data["acoustic"]),
        )
