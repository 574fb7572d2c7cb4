"""Shared and duplicate evidence across candidates' submissions (advisory: shown, never decided).

Two kinds of match, each with both places:

- **artifact**: the same file (same SHA-256 of its bytes) in another candidate's submission;
- **passage**: a passage whose sentence embedding is nearly the same as a passage of another
  candidate's submission (cosine at or above ``duplicates.passage_similarity``) *and* that
  shares enough of its distinctive wording (content words that are not the rubric's:
  ``duplicates.lexical_overlap``), so two candidates writing about the same EO in their own words,
  or both restating the rubric, do not match.

Boilerplate is left out before anything is compared: short passages, rubric echo (passages whose
content words come mostly from the rubric) and passages with too few distinctive words are not
indexed. Wording shared with many other candidates (``duplicates.template_min_submissions``) is a
program template or handout, not a duplicate, and is not reported either.

The index holds, per stored submission, its files' hashes and its passages' unit vectors as int8
(``round(v * 127)``: 384 bytes per passage with the bundled model), concatenated into one matrix.
Checking a submission is one matrix product per block of ``duplicates.block_rows`` stored passages
(int8 converted to float32 block by block, so memory stays bounded), then a lexical check of the
few pairs above the threshold. Measured on 10,000 stored submissions: bench/duplicates.py.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Literal, Sequence

import numpy as np

from .echo import RubricWording, content_stems
from .passages import Passage
from .rubric import Rubric
from .settings import DuplicateSettings

QUANT = 127.0
Kind = Literal["artifact", "passage"]


@dataclass(frozen=True)
class EvidenceFile:
    """A file of a stored submission: ``name`` is how the caller names it (the service: a file id)."""

    name: str
    sha256: str
    part: str


@dataclass(frozen=True)
class EvidencePassage:
    """An indexed passage and its place in its file."""

    file: str
    file_sha256: str
    part: str
    page: int | None
    paragraph: int
    char_start: int
    char_end: int
    text: str
    start_s: float | None = None
    end_s: float | None = None

    @classmethod
    def of(cls, p: Passage) -> "EvidencePassage":
        return cls(file=p.file, file_sha256=p.file_sha256, part=p.part, page=p.page, paragraph=p.paragraph,
                   char_start=p.char_start, char_end=p.char_end, text=p.text, start_s=p.start_s, end_s=p.end_s)

    @property
    def place(self) -> str:
        """Where it is, in words: "page 3, paragraph 2", "1:05-1:30" or "paragraph 4"."""
        if self.start_s is not None:
            return f"{_clock(self.start_s)}-{_clock(self.end_s or self.start_s)}"
        if self.page is not None:
            return f"page {self.page}, paragraph {self.paragraph}"
        return f"paragraph {self.paragraph}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "EvidencePassage":
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


def _clock(s: float) -> str:
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


@dataclass
class EvidenceRecord:
    """One submission as the index holds it. ``key`` names the submission, ``owner`` its candidate
    (matches within one owner's submissions, e.g. a resubmission, are never reported)."""

    key: str
    owner: str
    files: tuple[EvidenceFile, ...]
    passages: tuple[EvidencePassage, ...]
    vectors: np.ndarray  # int8, one row per passage

    def __post_init__(self) -> None:
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.int8).reshape(len(self.passages), -1) \
            if len(self.passages) else np.zeros((0, self.vectors.shape[-1] if self.vectors.ndim == 2 else 0), np.int8)


@dataclass(frozen=True)
class DuplicateMatch:
    """``here`` is in the checked submission, ``there`` in the stored one (``other``, of ``other_owner``)."""

    kind: Kind
    other: str
    other_owner: str
    score: float  # cosine for passages, 1.0 for identical files
    sha256: str | None = None  # the file's content hash (artifact matches)
    here_file: EvidenceFile | None = None
    there_file: EvidenceFile | None = None
    here: EvidencePassage | None = None
    there: EvidencePassage | None = None
    here_index: int | None = None  # passage positions in their records
    there_index: int | None = None
    lexical: float | None = None


def quantize(vectors: np.ndarray) -> np.ndarray:
    """Unit float vectors to int8 (the dot product of two, divided by 127², is their cosine to ~0.01)."""
    v = np.asarray(vectors, dtype=np.float32)
    return np.clip(np.rint(v * QUANT), -127, 127).astype(np.int8)


def _distinctive(text: str, rubric_stems: frozenset[str]) -> tuple[set[str], float]:
    """Content stems that are not the rubric's, and the share of content stems that are."""
    stems = content_stems(text)
    if not stems:
        return set(), 1.0
    in_rubric = sum(1 for s in stems if s in rubric_stems)
    return {s for s in stems if s not in rubric_stems}, in_rubric / len(stems)


def rubric_stems(rubric: Rubric | None) -> frozenset[str]:
    return RubricWording.of(rubric).stems if rubric is not None else frozenset()


def indexable(passages: Sequence[Passage], cfg: DuplicateSettings, rubric: Rubric | None = None,
              skip_ids: Iterable[str] = ()) -> list[Passage]:
    """The passages worth comparing across candidates: long enough, not rubric echo (``skip_ids``:
    the screener's echo passages; also any whose content words come mostly from the rubric), with
    enough distinctive words, and each text once."""
    stems = rubric_stems(rubric)
    skip = set(skip_ids)
    seen: set[str] = set()
    out = []
    for p in passages:
        if p.id in skip or p.words < cfg.min_words or p.text in seen:
            continue
        own, share = _distinctive(p.text, stems)
        if share > cfg.max_rubric_share or len(own) < cfg.min_distinctive_words:
            continue
        seen.add(p.text)
        out.append(p)
    return out


def make_record(key: str, owner: str, files: Iterable[EvidenceFile], passages: Sequence[Passage],
                vectors: np.ndarray) -> EvidenceRecord:
    """A record from passages (already chosen with :func:`indexable`) and their unit vectors."""
    return EvidenceRecord(key=key, owner=owner, files=tuple(files),
                          passages=tuple(EvidencePassage.of(p) for p in passages), vectors=quantize(vectors))


@dataclass
class _Block:
    matrix: np.ndarray  # int8 (rows × dim)
    record_of_row: np.ndarray  # int32 position in _keys
    passage_of_row: np.ndarray  # int32


class DuplicateIndex:
    """Stored submissions' file hashes and passage vectors, checked against a new submission.

    Thread-safe. Adding or removing a record marks the matrix stale; the next check rebuilds it
    (one concatenation), so a batch of changes costs one rebuild."""

    def __init__(self) -> None:
        self._records: dict[str, EvidenceRecord] = {}
        self._by_hash: dict[str, set[str]] = {}
        self._lock = threading.RLock()
        self._block: _Block | None = None
        self._keys: list[str] = []
        self._owners: np.ndarray = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._records)

    @property
    def passages(self) -> int:
        return sum(len(r.passages) for r in self._records.values())

    @property
    def nbytes(self) -> int:
        """Bytes of the passage matrix as checked (int8 plus row bookkeeping)."""
        b = self._block
        return 0 if b is None else b.matrix.nbytes + b.record_of_row.nbytes + b.passage_of_row.nbytes

    def record(self, key: str) -> EvidenceRecord | None:
        return self._records.get(key)

    def add(self, record: EvidenceRecord) -> None:
        with self._lock:
            if record.key in self._records:
                self._forget(record.key)
            self._records[record.key] = record
            for f in record.files:
                self._by_hash.setdefault(f.sha256, set()).add(record.key)
            self._block = None

    def remove(self, key: str) -> None:
        with self._lock:
            if key in self._records:
                self._forget(key)
                self._block = None

    def _forget(self, key: str) -> None:
        rec = self._records.pop(key)
        for f in rec.files:
            keys = self._by_hash.get(f.sha256)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_hash[f.sha256]

    def _matrix(self) -> _Block:
        with self._lock:
            if self._block is None:
                self._keys = list(self._records)
                recs = [self._records[k] for k in self._keys]
                owners = {o: i for i, o in enumerate(dict.fromkeys(r.owner for r in recs))}
                self._owner_names = list(owners)
                self._owners = np.array([owners[r.owner] for r in recs], dtype=np.int64)
                dim = next((r.vectors.shape[1] for r in recs if len(r.passages)), 0)
                mats = [r.vectors for r in recs if len(r.passages)]
                matrix = np.concatenate(mats) if mats else np.zeros((0, dim), np.int8)
                counts = np.array([len(r.passages) for r in recs], dtype=np.int64)
                rec_of_row = np.repeat(np.arange(len(recs), dtype=np.int32), counts)
                starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(recs) else np.zeros(0, np.int64)
                pas_of_row = (np.arange(len(rec_of_row)) - np.repeat(starts, counts)).astype(np.int32)
                self._block = _Block(matrix, rec_of_row, pas_of_row)
            return self._block

    def check(self, record: EvidenceRecord, cfg: DuplicateSettings, rubric: Rubric | None = None,
              stems: frozenset[str] | None = None) -> list[DuplicateMatch]:
        """Matches of ``record`` against every stored record of another owner: identical files
        first, then passages (best first)."""
        with self._lock:
            block = self._matrix()
            keys, owners, owner_names = self._keys, self._owners, self._owner_names
            records = self._records
            by_hash = {f.sha256: set(self._by_hash.get(f.sha256, ())) for f in record.files}
        out: list[DuplicateMatch] = []
        seen_files: set[tuple[str, str]] = set()
        for f in record.files:
            for other in sorted(by_hash.get(f.sha256, ())):
                rec = records.get(other)
                if rec is None or rec.owner == record.owner or other == record.key or (other, f.sha256) in seen_files:
                    continue
                seen_files.add((other, f.sha256))
                there = next(g for g in rec.files if g.sha256 == f.sha256)
                out.append(DuplicateMatch(kind="artifact", other=other, other_owner=rec.owner, score=1.0,
                                          sha256=f.sha256, here_file=f, there_file=there))
        if not cfg.passages or not len(record.passages) or not block.matrix.shape[0]:
            return out
        out += self._passage_matches(record, cfg, block, keys, owners, owner_names, records,
                                     stems if stems is not None else rubric_stems(rubric))
        return out

    def _passage_matches(self, record: EvidenceRecord, cfg: DuplicateSettings, block: _Block, keys: list[str],
                         owners: np.ndarray, owner_names: list[str], records: dict[str, EvidenceRecord],
                         stems: frozenset[str]) -> list[DuplicateMatch]:
        q = record.vectors.astype(np.float32) * np.float32(1.0 / (QUANT * QUANT))
        low = min(cfg.passage_similarity, cfg.template_similarity)
        own_owner = owner_names.index(record.owner) if record.owner in owner_names else -1
        hit_q: list[np.ndarray] = []
        hit_r: list[np.ndarray] = []
        hit_s: list[np.ndarray] = []
        step = cfg.block_rows
        for start in range(0, block.matrix.shape[0], step):
            chunk = block.matrix[start : start + step].astype(np.float32)
            sims = q @ chunk.T
            qi, rj = np.nonzero(sims >= low)
            if qi.size:
                hit_q.append(qi)
                hit_r.append(rj + start)
                hit_s.append(sims[qi, rj])
        if not hit_q:
            return []
        qi = np.concatenate(hit_q)
        rows = np.concatenate(hit_r)
        sims = np.concatenate(hit_s)
        rec_idx = block.record_of_row[rows]
        row_owner = owners[rec_idx]
        keep = row_owner != own_owner
        qi, rows, sims, rec_idx, row_owner = qi[keep], rows[keep], sims[keep], rec_idx[keep], row_owner[keep]
        # Template wording: close to passages of many other candidates.
        template: set[int] = set()
        tmask = sims >= cfg.template_similarity
        for q_row in np.unique(qi[tmask]):
            if len(np.unique(row_owner[tmask & (qi == q_row)])) >= cfg.template_min_submissions:
                template.add(int(q_row))
        best: dict[tuple[int, str], DuplicateMatch] = {}
        mine = {i: _distinctive(p.text, stems)[0] for i, p in enumerate(record.passages)}
        order = np.argsort(-sims, kind="stable")
        for k in order:
            s = float(sims[k])
            if s < cfg.passage_similarity:
                break
            qr = int(qi[k])
            if qr in template:
                continue
            other = keys[int(rec_idx[k])]
            if other == record.key or (qr, other) in best:
                continue
            rec = records.get(other)
            if rec is None:
                continue
            pi = int(block.passage_of_row[rows[k]])
            here, there = record.passages[qr], rec.passages[pi]
            if here.file_sha256 == there.file_sha256:
                continue  # inside the same file: reported once, as the artifact
            theirs = _distinctive(there.text, stems)[0]
            ours = mine[qr]
            smaller = min(len(ours), len(theirs))
            if smaller < cfg.min_distinctive_words:
                continue
            lexical = len(ours & theirs) / smaller
            if lexical < cfg.lexical_overlap:
                continue
            best[(qr, other)] = DuplicateMatch(kind="passage", other=other, other_owner=rec.owner, score=round(s, 4),
                                               here=here, there=there, here_index=qr, there_index=pi,
                                               lexical=round(lexical, 3))
        found = sorted(best.values(), key=lambda m: (-m.score, m.other, m.here_index or 0))
        return found[: cfg.max_matches]


__all__ = ["DuplicateIndex", "DuplicateMatch", "EvidenceFile", "EvidencePassage", "EvidenceRecord",
           "indexable", "make_record", "quantize", "rubric_stems"]
