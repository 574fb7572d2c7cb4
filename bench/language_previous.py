"""The language checks that screening/media/english.py replaced, frozen here as same-run baselines.

``evidence_rule``: the evidence score as it was from 2026-12-05 13:30 to the addition of the
``repeated phrases`` sign and the word-count weight of ``unknown words`` (bench/RESULTS.md,
"Language check across CPU instruction sets", 14:48 UTC): the same signs otherwise, flagged from
``media.language_evidence_min``. ``first_rule``: the check before that one. Both judge the very
transcripts the current check judges, so every difference in a bench row is the rule's.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from screening.media import english
from screening.media.transcript import RawTranscript, Segment
from screening.settings import MediaSettings


def _window_score(window: Sequence[Segment], speech_s: float, looped: int) -> float:
    """english.window_evidence as it was (the sum of its terms)."""
    clip = english._clip
    text = " ".join(s.text for s in window)
    spans = sum(max(0.0, s.end_s - s.start_s) for s in window)
    lp = window[0].avg_logprob
    terms = [round(max(-1.0, min(3.0, (-lp - 0.6) / 0.4)), 3)]
    ratio = english.compression_ratio(text)
    terms.append(round(clip((ratio - english.LOOP_COMPRESSION) / 0.8, 3.0) + clip((looped - 2) * 0.5, 1.5), 3))
    if speech_s > 0:
        rate = english.spoken_tokens(text) / speech_s
        deviation = abs(math.log2(max(rate, 0.05) / english.ENGLISH_RATE))
        terms.append(round(clip((deviation - 0.6) / 0.4, 3.0) * clip((speech_s - 3.0) / 5.0, 1.0), 3))
        terms.append(round(clip((spans / speech_s - 1.2) / 0.3, 2.0), 3))
    share = english.english_word_share(text)
    if share is not None and len(english.words(text)) >= 3:
        terms.append(round(clip((1.0 - share - 0.03) / 0.07, 2.0), 3))
    if english.is_stock_phrase(text) or any(english.is_stock_phrase(s.text) for s in window):
        terms.append(1.5)
    return round(sum(terms), 3)


def evidence_rule(raw: RawTranscript, settings: MediaSettings) -> tuple[bool, float | None]:
    """(flagged, file score or None when there is no word) under the rule of 13:30-14:48."""
    from screening.media import checks

    if checks.no_speech(raw, settings) is not None:
        return False, None
    segs = [s for s in raw.segments if s.text.strip()]
    if not segs:  # speech with no word at all: flagged, as today
        return raw.speech_s >= settings.unrecognised_speech_s, None
    groups = english.windows(segs)
    end = raw.duration_s if raw.duration_s else max(s.end_s for s in segs)

    def clipped(g: Sequence[Segment]) -> float:
        return sum(max(0.0, min(s.end_s, end) - min(s.start_s, end)) for s in g)

    total = sum(clipped(g) for g in groups)
    runs = english.loop_runs(segs)
    scored: list[tuple[float, float]] = []  # (score, speech seconds)
    start = 0
    for g in groups:
        share = clipped(g) / total if total > 0 else 1.0 / len(groups)
        scored.append((_window_score(g, raw.speech_s * share, max(runs[start : start + len(g)])), raw.speech_s * share))
        start += len(g)
    weight = sum(w for _, w in scored)
    score = round(sum(s * w for s, w in scored) / weight, 3) if weight > 0 else max(s for s, _ in scored)
    threshold = settings.language_evidence_min
    if score < threshold:
        return False, score
    flagged = [(s, w) for s, w in scored if s >= threshold] or scored
    return sum(w for _, w in flagged) >= settings.min_speech_s, score


def first_rule(raw: RawTranscript, settings: MediaSettings) -> bool:
    """The check before the evidence score: a segment is not English when it is a stock phrase
    decoded below the low-confidence log-probability, or when fewer than half its words are
    English words; the recording is flagged when such segments hold at least
    ``language_min_probability`` (60 %) of the transcribed time."""
    segs = [x for x in raw.segments if english.words(x.text)]
    if raw.speech_s < settings.min_speech_s or not segs:
        return False  # no_speech came first

    def not_english(x: Any) -> bool:
        if " ".join(english.words(x.text)) in english.STOCK_PHRASES:
            return x.avg_logprob < settings.low_confidence_logprob
        share = english.english_word_share(x.text)
        return share is not None and share < 0.5

    def span(xs: list[Any]) -> float:
        return sum(max(0.0, x.end_s - x.start_s) for x in xs)

    foreign = [x for x in segs if not_english(x)]
    total = span(segs)
    return bool(foreign) and total > 0 and span(foreign) / total >= settings.language_min_probability \
        and span(foreign) >= settings.min_speech_s
