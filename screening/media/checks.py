"""Flags for a transcript, decided from the model's output and the settings.

Kept apart from transcription so a cached transcript is judged again under the current
thresholds. Every message is advisory: it says what was measured and where to listen.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..documents import IngestProblem
from ..locations import mmss
from ..settings import MediaSettings
from . import english
from .transcript import RawTranscript, Segment

# Whisper's own test for a failed window (a repetition loop such as "beep beep beep ..."): text
# that gzip compresses more than this.
_MAX_COMPRESSION_RATIO = 2.4
_MAX_RANGES = 12  # time ranges listed in one message; the rest are counted
_LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "es": "Spanish", "de": "German", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "ru": "Russian", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic",
    "hi": "Hindi", "vi": "Vietnamese", "tl": "Tagalog", "pl": "Polish", "uk": "Ukrainian", "tr": "Turkish",
}


def is_low_confidence(segment: Segment, settings: MediaSettings) -> bool:
    return segment.avg_logprob < settings.low_confidence_logprob or english.compression_ratio(segment.text) > _MAX_COMPRESSION_RATIO


def span(segments: Sequence[Segment]) -> float:
    return sum(max(0.0, s.end_s - s.start_s) for s in segments)


def time_ranges(segments: Sequence[Segment]) -> str:
    """'00:12–00:31, 01:05–01:20' with touching segments merged, for an assessor to jump to."""
    merged: list[list[float]] = []
    for s in sorted(segments, key=lambda s: s.start_s):
        if merged and s.start_s <= merged[-1][1] + 1.0:
            merged[-1][1] = max(merged[-1][1], s.end_s)
        else:
            merged.append([s.start_s, s.end_s])
    shown = ", ".join(f"{mmss(a)}–{mmss(b)}" for a, b in merged[:_MAX_RANGES])
    rest = len(merged) - _MAX_RANGES
    return shown + (f" and {rest} more" if rest > 0 else "")


def _percent(x: float) -> str:
    return f"{round(100 * x)}%"


def _has_words(raw: RawTranscript) -> bool:
    return any(english.words(s.text) or any(c.isdigit() for c in s.text) for s in raw.segments)


def no_speech(raw: RawTranscript, settings: MediaSettings) -> IngestProblem | None:
    has_words = _has_words(raw)
    if raw.speech_s >= settings.min_speech_s and has_words:
        return None
    if not has_words and not raw.multilingual and raw.speech_s >= settings.unrecognised_speech_s:
        return None  # speech the English-only model could not write down at all: the language check's case
    of = f" in {mmss(raw.duration_s)}" if raw.duration_s is not None else ""
    if not has_words:
        reason = f"no words were recognised ({raw.speech_s:.1f} s of speech detected{of})"
    else:
        reason = f"only {raw.speech_s:.1f} s of speech was detected{of}, less than {settings.min_speech_s:g} s"
    return IngestProblem("no_speech", {"reason": reason, "speech": f"{raw.speech_s:.1f} s", "minimum": f"{settings.min_speech_s:g} s"})


def language(raw: RawTranscript, settings: MediaSettings) -> IngestProblem | None:
    if raw.multilingual:
        # The model detected the language itself.
        if raw.language in (None, "en") or (raw.language_probability or 0.0) < settings.language_min_probability:
            return None
        name = _LANGUAGE_NAMES.get(raw.language, raw.language)
        return _other_language([(s.start_s, s.end_s) for s in raw.segments], {
            "language": name, "probability": _percent(raw.language_probability or 0.0),
            "method": "the Whisper model's language detection", "setting": "media.whisper_path",
        })
    common = {"language": "a language other than English", "setting": "media.whisper_path"}
    if not _has_words(raw):
        if raw.speech_s < settings.unrecognised_speech_s:
            return None
        whole = raw.duration_s or raw.speech_s
        return _other_language([(0.0, whole)], {
            **common, "probability": f"{raw.speech_s:.1f} s of speech",
            "method": "speech detected in which the English-only model recognised no English word",
        })
    heard = _heard_other(raw, settings)
    if heard:
        top = max(w.p_other for w in raw.acoustic or () if w.p_other >= settings.acoustic_other_min)
        return _other_language(heard, {
            **common, "probability": f"a probability of {_percent(top)}",
            "method": f"the English model's own encoder (an acoustic probe, flagged at {_percent(settings.acoustic_other_min)} "
            f"over {settings.acoustic_other_s:g} s or more)",
        })
    found = english.evidence(raw.segments, raw.speech_s, raw.duration_s)
    score = english.file_score(found)
    threshold = settings.language_evidence_min
    if score < threshold:
        return None
    flagged = [e for e in found if e.score >= threshold] or found
    if sum(e.speech_s for e in flagged) < settings.min_speech_s:
        return None
    if _sounds_english(raw, settings, [(e.start_s, e.end_s) for e in flagged]):
        return None  # English the model could not follow: a poor transcript, not another language
    return _other_language([(e.start_s, min(e.end_s, raw.duration_s or e.end_s)) for e in flagged], {
        **common, "probability": f"evidence {score:.1f} (flagged from {threshold:g})",
        "method": "signs that the English-only model could not transcribe it as English: "
        + ", ".join(english.signs(found, threshold)),
    })


def _other_language(spans: Sequence[tuple[float, float]], params: dict[str, str]) -> IngestProblem:
    """The language problem for these stretches (seconds): kept as data for the checks that read
    the transcript there, and written out for the flag."""
    shown = time_ranges([Segment(a, b, "", 0.0, 0.0) for a, b in spans])
    return IngestProblem("language", {**params, "time_ranges": shown}, spans=tuple(spans))


def _heard_other(raw: RawTranscript, settings: MediaSettings) -> list[tuple[float, float]]:
    """Stretches the acoustic probe hears as another language, each at least acoustic_other_s long."""
    if not raw.acoustic or not settings.acoustic_probe:
        return []
    merged: list[list[float]] = []
    for w in sorted(raw.acoustic, key=lambda w: w.start_s):
        if w.p_other < settings.acoustic_other_min:
            continue
        if merged and w.start_s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], w.end_s)
        else:
            merged.append([w.start_s, w.end_s])
    return [(a, b) for a, b in merged if b - a >= settings.acoustic_other_s]


def _sounds_english(raw: RawTranscript, settings: MediaSettings, stretches: Sequence[tuple[float, float]]) -> bool:
    """True when the probe heard the stretches the transcript's signs point at, and no window of
    them comes near another language. Without a probe (another model, or switched off) it never
    overrules the signs."""
    if not raw.acoustic or not settings.acoustic_probe:
        return False
    near = [w for w in raw.acoustic if any(w.start_s < b and w.end_s > a for a, b in stretches)]
    if not near or max(w.p_other for w in near) >= settings.acoustic_english_max:
        return False
    # The encoder's opinion counts from as much speech as a flag of its own needs: one window of
    # a 2.5 s clip (real French heard as 21 %) is too little to overrule the signs.
    heard = max(w.end_s for w in near) - min(w.start_s for w in near)
    return heard >= settings.acoustic_other_s


def low_confidence(raw: RawTranscript, settings: MediaSettings) -> tuple[float, IngestProblem | None]:
    low = [s for s in raw.segments if is_low_confidence(s, settings)]
    low_s, total = span(low), span(raw.segments)
    if not low or total <= 0 or low_s / total < settings.low_confidence_share:
        return low_s, None
    return low_s, IngestProblem("low_confidence_transcript", {
        "share": _percent(low_s / total), "low_s": f"{low_s:.0f} s", "time_ranges": time_ranges(low),
    })


def judge(raw: RawTranscript, settings: MediaSettings) -> tuple[float, tuple[IngestProblem, ...]]:
    """(low-confidence seconds, problems). One cause, one flag: without speech nothing else is
    judged, and speech in another language is not also called a poor transcript."""
    low_s, low_problem = low_confidence(raw, settings)
    silent = no_speech(raw, settings)
    if silent is not None:
        return low_s, (silent,)
    foreign = language(raw, settings)
    if foreign is not None:
        return low_s, (foreign,)
    return low_s, (low_problem,) if low_problem else ()
