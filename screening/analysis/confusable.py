"""Which details do readers confuse? Pairs that the same passages keep supporting, beside how
close their wording is.

Passage sharing: for each pair of details, of the submissions in which the screener offered
evidence for both, the share in which at least one passage (by passage key) supports both.
Wording: TF-IDF cosine of the details' texts (word unigrams and bigrams, English stop words
removed), for context; close wording alone is not a finding, since a rubric's details are meant
to be about related things.

Rule (``confusable_details``): the sharing share's family-wise interval (Wilson, Bonferroni over
all pairs of the rubric) lies wholly above ``SHARED_SHARE``, from at least ``MIN_BOTH``
submissions with evidence for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .base import Finding, RubricSlice, family_z, ratio, share_finding, wilson

SHARED_SHARE = 0.35
MIN_BOTH = 10


@dataclass(frozen=True)
class DetailPair:
    a: str
    b: str
    both_evidenced: int
    shared: int
    shared_share: float
    low: float
    high: float
    wording: float  # TF-IDF cosine of the two details' texts


def wording_similarity(texts: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    m = TfidfVectorizer(ngram_range=(1, 2), stop_words="english", sublinear_tf=True).fit_transform(texts)
    return (m @ m.T).toarray()


def detail_pairs(sl: RubricSlice) -> list[DetailPair]:
    ids = sl.detail_ids
    sims = wording_similarity([d.text for d in sl.rubric.details])
    z = family_z(len(ids) * (len(ids) - 1) // 2)
    keys = [{d.detail_id: set(d.evidence) for d in s.details} for s in sl.submissions]
    out = []
    for (i, a), (j, b) in combinations(enumerate(ids), 2):
        both = [k for k in keys if k.get(a) and k.get(b)]
        shared = sum(1 for k in both if k[a] & k[b])
        low, high = wilson(shared, len(both), z)
        out.append(DetailPair(a, b, len(both), shared, ratio(shared, len(both)), low, high, float(sims[i, j])))
    return out


def confusable_findings(sl: RubricSlice, pairs: list[DetailPair]) -> list[Finding]:
    return [
        share_finding(
            sl, "confusable_details", (p.a, p.b), "share of submissions where one passage supports both",
            p.shared_share, (p.low, p.high), p.both_evidenced, SHARED_SHARE,
            f"{MIN_BOTH} submissions with evidence for both",
            (f"Details {p.a} and {p.b}: in {p.shared_share:.0%} of the {p.both_evidenced} submissions with "
                     f"evidence for both, the same passage supports both (interval {p.low:.0%}–{p.high:.0%}; wording "
                     f"similarity {p.wording:.2f}). Readers may not see where one ends and the other begins: consider "
                     "sharpening the difference in their wording."),
        )
        for p in pairs if p.both_evidenced >= MIN_BOTH and p.low > SHARED_SHARE
    ]
