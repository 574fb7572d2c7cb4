"""Row targets: which EO details a row says it evidences.

A row may name details by id ("2.1", "Detail 2.1", "EO 2.1"), a whole EO ("EO 2", "2",
"Outcome 2": all of its details), several ("2.1, 2.3", "2.1-2.3") or quote or paraphrase the
detail's wording. Ids are read first, from the start of the cell ("2.1 Teachers take part ...");
only a cell that starts with no id is matched by wording.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..rubric import Rubric

_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_PREFIX = r"(?:(?:essential\s+)?outcomes?|eos?|details?|eo\s*details?|d|no|number|\#)\.?\s*"
_ID = r"\d{1,2}(?:\.\d{1,2})?"
_RANGE = rf"(?:\s*[{_DASH}]\s*|\s+(?:to|through|thru)\s+)"
_SEP = r"(?:\s*[,;&/+]\s*(?:and\s+)?|\s+and\s+)"
_TERM = rf"(?:{_PREFIX})*(?P<a>{_ID})(?:{_RANGE}(?:{_PREFIX})*(?P<b>{_ID}))?"
_LEADING_IDS = re.compile(
    rf"^\s*(?:{_PREFIX})*{_ID}(?:{_RANGE}(?:{_PREFIX})*{_ID})?(?:{_SEP}(?:{_PREFIX})*{_ID}(?:{_RANGE}(?:{_PREFIX})*{_ID})?)*(?![\d.]\d)",
    re.IGNORECASE,
)
_TERM_RE = re.compile(_TERM, re.IGNORECASE)

WORDING_THRESHOLD = 0.5  # below this a wording match is not taken (reported with the closest)
CLOSEST_MIN = 0.3  # below this the closest detail is no useful hint

_STOP = frozenset(
    "a an the and or of to in on for with by as at is are be its their his her this that these those "
    "who which through from each every all into than rather".split()
)


def _stem(word: str) -> str:
    # Crude suffix stripping is enough to pair "teachers"/"teacher", "collaborate"/"collaborating".
    for suffix in ("ing", "ed", "es", "s", "e"):
        if len(word) > 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _tokens(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP}


@dataclass(frozen=True)
class Resolution:
    detail_ids: tuple[str, ...]
    by_wording: bool = False
    score: float = 1.0  # 1.0 for ids; the wording similarity otherwise
    unknown: tuple[str, ...] = ()  # ids written that the rubric does not have
    closest: str | None = None  # best detail id when nothing matched


class TargetResolver:
    """Resolves target cells against one rubric's details."""

    def __init__(self, rubric: Rubric) -> None:
        pairs = rubric.details()
        self.order = [d.id for _, d in pairs]
        self.by_eo: dict[str, list[str]] = {}
        for eo, d in pairs:
            self.by_eo.setdefault(eo.id, []).append(d.id)
        self.texts = {d.id: d.text for _, d in pairs}
        self._tokens = {d.id: _tokens(d.text) for _, d in pairs}

    def _ids(self, ref: str) -> list[str] | None:
        """Details named by one id: a detail id, or an EO id meaning all its details."""
        ref = ref.strip()
        if ref in self.texts:
            return [ref]
        eo = ref[:-2] if ref.endswith(".0") else ref  # Excel turns "2" into 2.0
        if eo in self.by_eo:
            return list(self.by_eo[eo])
        return None

    def _range(self, a: str, b: str) -> list[str] | None:
        first, last = self._ids(a), self._ids(b)
        if first is None or last is None:
            return None
        i, j = self.order.index(first[0]), self.order.index(last[-1])
        return self.order[i : j + 1] if i <= j else None

    def resolve(self, text: str) -> Resolution:
        text = (text or "").strip()
        lead = _LEADING_IDS.match(text)
        if lead:
            ids: list[str] = []
            unknown: list[str] = []
            for m in _TERM_RE.finditer(lead.group(0)):
                a, b = m.group("a"), m.group("b")
                got = self._range(a, b) if b else self._ids(a)
                if got is None:
                    unknown.append(m.group(0).strip())
                else:
                    ids.extend(i for i in got if i not in ids)
            ordered = tuple(i for i in self.order if i in ids)
            return Resolution(ordered, unknown=tuple(unknown), score=1.0 if ordered else 0.0)
        return self._by_wording(text)

    def _by_wording(self, text: str) -> Resolution:
        """Best detail by wording: the mean of token overlap (share of the detail's content
        words the cell contains) and difflib's ratio on the lower-cased texts."""
        words = _tokens(text)
        if not words:
            return Resolution((), score=0.0)
        scored = []
        for did, detail_words in self._tokens.items():
            overlap = len(words & detail_words) / max(len(detail_words), 1)
            ratio = difflib.SequenceMatcher(None, text.lower(), self.texts[did].lower()).ratio()
            scored.append(((overlap + ratio) / 2, did))
        score, did = max(scored, key=lambda s: s[0])
        score = round(score, 3)
        if score >= WORDING_THRESHOLD:
            return Resolution((did,), by_wording=True, score=score)
        return Resolution((), by_wording=True, score=score, closest=did if score >= CLOSEST_MIN else None)
