"""Word counting, the way a word processor counts.

The rule (documented in docs/word-count.md): a word is a run of characters between whitespace,
or between em/en dashes (LibreOffice's default extra separators), that contains at least one
letter or digit. Hyphenated words, contractions, numbers, e-mail addresses and URLs count once;
lone punctuation ("-", "&", "•") and Markdown markup (stripped at ingest) do not.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\u2013\u2014\u2015]+")
_HAS_ALNUM = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    return sum(1 for tok in _SEPARATORS.split(text) if tok and _HAS_ALNUM.search(tok))
