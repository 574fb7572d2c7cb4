"""Word error rate, for measuring transcription against known text (tests and bench)."""

from __future__ import annotations

import re

# Whisper writes small numbers as digits or words; both count as the same word.
_NUMBERS = {str(i): w for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}


def words(text: str) -> list[str]:
    """Lower-cased words without punctuation, small numbers spelled out."""
    return [_NUMBERS.get(w, w) for w in re.findall(r"[a-z0-9']+", text.lower())]


def wer(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance over the reference's length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))
