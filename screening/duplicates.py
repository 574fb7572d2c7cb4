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
(``round(v * 127)``: 384 bytes per passage with the bundled model), appended to fixed-size chunks
as records arrive (nothing is rebuilt). Checking a submission finds every stored passage at or
above the threshold exactly: against a large index, a provable upper bound from a low-dimension
projection picks the few pairs that can reach it and only those get the exact int8 dot product
(:class:`DuplicateIndex`); then a lexical check of the pairs above the threshold. Measured on
10,000 stored submissions: bench/duplicates.py.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, replace
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


def _dot_threshold(low: float) -> int:
    """The smallest integer dot product of two int8 vectors whose cosine (:func:`_cosines`) is ≥ ``low``."""
    d = int(np.floor(low * QUANT * QUANT)) - 2
    while _cosines(np.array([d]))[0] < low:
        d += 1
    return d


def _cosines(dots: np.ndarray) -> np.ndarray:
    """Cosines from exact integer dot products of int8 vectors (the same value whichever way found)."""
    return (np.asarray(dots, dtype=np.float64) / (QUANT * QUANT)).astype(np.float32)


# The prefilter's bound is exact arithmetic; this covers float32 rounding in computing it (errors
# are below 1e-5 in cosine units with 384 dimensions).
PREFILTER_MARGIN = 1e-3


@dataclass
class _Snapshot:
    """What a check reads, taken under the lock: arrays are only appended to past ``used`` or
    replaced, never rewritten in place (bar rows marked dead), so a check runs without the lock."""

    chunks: list[np.ndarray]
    slot_of_row: list[np.ndarray]
    passage_of_row: list[np.ndarray]
    used: list[int]
    proj: list[np.ndarray] | None
    basis: np.ndarray | None
    keys: list[str | None]
    owners: np.ndarray
    own_owner: int  # the checked record's owner's id, -1: none stored


class DuplicateIndex:
    """Stored submissions' file hashes and passage vectors, checked against a new submission.

    Thread-safe. The passage vectors live in fixed-size int8 chunks that new records are appended
    to (a stored record's ``vectors`` is a view of its rows: nothing is held twice and nothing is
    rebuilt on ``add``); a removed record's rows are marked dead and left out, and the chunks are
    compacted when dead rows pass a quarter of them.

    A check finds every stored passage with cosine ≥ the threshold, exactly, in two stages once the
    index holds ``duplicates.prefilter_min_rows`` passages: (1) an upper bound on every pair's
    cosine from a ``duplicates.prefilter_dims``-dimension projection of the vectors onto their
    principal directions plus the product of the two residuals' lengths (Cauchy–Schwarz:
    q·x = Pq·Px + r_q·r_x ≤ Pq·Px + |r_q||r_x|), one small matrix product per block; (2) the exact
    int8 dot product of the few pairs whose bound reaches the threshold. Smaller indexes (or
    ``prefilter_dims: 0``) take the exact product of every pair. Both give the same matches: the
    bound never falls below the true cosine."""

    def __init__(self, chunk_rows: int = 65536) -> None:
        self._records: dict[str, EvidenceRecord] = {}
        self._by_hash: dict[str, set[str]] = {}
        self._lock = threading.RLock()
        self._chunk_rows = chunk_rows
        self._reset_rows()

    def _reset_rows(self) -> None:
        self._dim: int | None = None
        self._chunks: list[np.ndarray] = []
        self._slot_of_row: list[np.ndarray] = []  # record slot per row, -1: free or dead
        self._passage_of_row: list[np.ndarray] = []
        self._proj: list[np.ndarray] = []  # float32 (rows × (k + 1)): projection and residual length, ÷ 127
        self._used: list[int] = []
        self._keys: list[str | None] = []  # per slot; None once removed
        self._slot_owner = np.zeros(0, dtype=np.int64)
        self._owner_ids: dict[str, int] = {}
        self._where: dict[str, tuple[int, int, int, int]] = {}  # key → (slot, chunk, first row, rows)
        self._live_rows = 0
        self._dead_rows = 0
        self._basis: np.ndarray | None = None  # float64 (dim × k), orthonormal columns
        self._fit_rows = 0

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._records)

    @property
    def passages(self) -> int:
        return self._live_rows

    @property
    def nbytes(self) -> int:
        """Bytes held for the passages: int8 chunks, the prefilter's projection and row bookkeeping."""
        arrays = self._chunks + self._slot_of_row + self._passage_of_row + self._proj
        return sum(a.nbytes for a in arrays) + self._slot_owner.nbytes

    def record(self, key: str) -> EvidenceRecord | None:
        return self._records.get(key)

    def add(self, record: EvidenceRecord) -> None:
        with self._lock:
            if record.key in self._records:
                self._forget(record.key)
            n = len(record.passages)
            slot = len(self._keys)
            self._keys.append(record.key)
            owner = self._owner_ids.setdefault(record.owner, len(self._owner_ids))
            if slot >= len(self._slot_owner):
                grown = np.zeros(max(1024, 2 * len(self._slot_owner)), dtype=np.int64)
                grown[: len(self._slot_owner)] = self._slot_owner
                self._slot_owner = grown
            self._slot_owner[slot] = owner
            if n:
                vectors = record.vectors
                if self._dim is None:
                    self._dim = int(vectors.shape[1])
                elif vectors.shape[1] != self._dim:
                    raise ValueError(f"vectors of {vectors.shape[1]} dimensions in an index of {self._dim}")
                if not self._chunks or self._used[-1] + n > len(self._chunks[-1]):
                    self._new_chunk(max(self._chunk_rows, n))
                c, start = len(self._chunks) - 1, self._used[-1]
                rows = slice(start, start + n)
                self._chunks[c][rows] = vectors
                self._slot_of_row[c][rows] = slot
                self._passage_of_row[c][rows] = np.arange(n, dtype=np.int32)
                if self._basis is not None:
                    self._proj[c][rows] = self._project(self._chunks[c][rows], self._basis)
                self._used[-1] = start + n
                self._live_rows += n
                record = replace(record, vectors=self._chunks[c][rows])
                self._where[record.key] = (slot, c, start, n)
            else:
                self._where[record.key] = (slot, -1, 0, 0)
            self._records[record.key] = record
            for f in record.files:
                self._by_hash.setdefault(f.sha256, set()).add(record.key)

    def _new_chunk(self, rows: int) -> None:
        assert self._dim is not None
        self._chunks.append(np.zeros((rows, self._dim), dtype=np.int8))
        self._slot_of_row.append(np.full(rows, -1, dtype=np.int32))
        self._passage_of_row.append(np.zeros(rows, dtype=np.int32))
        if self._basis is not None:
            self._proj.append(np.zeros((rows, self._basis.shape[1] + 1), dtype=np.float32))
        self._used.append(0)

    def remove(self, key: str) -> None:
        with self._lock:
            if key in self._records:
                self._forget(key)

    def _forget(self, key: str) -> None:
        rec = self._records.pop(key)
        slot, c, start, n = self._where.pop(key)
        self._keys[slot] = None
        if n:
            self._slot_of_row[c][start : start + n] = -1
            self._live_rows -= n
            self._dead_rows += n
        for f in rec.files:
            keys = self._by_hash.get(f.sha256)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_hash[f.sha256]

    def _compact(self) -> None:
        """Copy the live records into fresh chunks (the dead rows' space is given back)."""
        records = list(self._records.values())
        basis, fit_rows = self._basis, self._fit_rows
        self._records, self._by_hash = {}, {}
        self._reset_rows()
        self._basis, self._fit_rows = basis, fit_rows
        for rec in records:
            self.add(rec)

    @staticmethod
    def _project(x: np.ndarray, basis: np.ndarray) -> np.ndarray:
        """Rows of int8 vectors as [their projection onto ``basis``, the length of the rest], ÷ 127."""
        xf = x.astype(np.float64)
        p = xf @ basis
        rest = np.sqrt(np.maximum(np.einsum("ij,ij->i", xf, xf) - np.einsum("ij,ij->i", p, p), 0.0))
        return (np.concatenate([p, rest[:, None]], axis=1) / QUANT).astype(np.float32)

    def _fit(self, dims: int) -> None:
        """Principal directions of (a sample of) the live rows; every row projected onto them."""
        assert self._dim is not None
        live = [(c, np.flatnonzero(s[: u] >= 0)) for c, (s, u) in enumerate(zip(self._slot_of_row, self._used))]
        total = sum(len(r) for _, r in live)
        rng = np.random.default_rng(0)
        take = min(1.0, 16384 / max(total, 1))
        gram = np.zeros((self._dim, self._dim))
        for c, rows in live:
            if take < 1.0:
                rows = rows[rng.random(len(rows)) < take]
            x = self._chunks[c][rows].astype(np.float64)
            gram += x.T @ x
        _, vecs = np.linalg.eigh(gram)
        k = min(dims, self._dim)
        self._basis = np.ascontiguousarray(vecs[:, ::-1][:, :k])
        self._fit_rows = self._live_rows
        self._proj = []
        for c, chunk in enumerate(self._chunks):
            proj = np.zeros((len(chunk), k + 1), dtype=np.float32)
            for s in range(0, self._used[c], 65536):
                e = min(s + 65536, self._used[c])
                proj[s:e] = self._project(chunk[s:e], self._basis)
            self._proj.append(proj)

    def _snapshot(self, cfg: DuplicateSettings, owner: str) -> _Snapshot:
        with self._lock:
            if self._dead_rows > max(self._live_rows // 4, self._chunk_rows // 4):
                self._compact()
            prefilter = cfg.prefilter_dims > 0 and self._live_rows >= cfg.prefilter_min_rows and self._dim is not None \
                and cfg.prefilter_dims < self._dim
            if prefilter and (self._basis is None or self._basis.shape[1] != cfg.prefilter_dims
                              or self._live_rows >= 2 * self._fit_rows):
                self._fit(cfg.prefilter_dims)  # amortised: again only once the index has doubled
            return _Snapshot(chunks=list(self._chunks), slot_of_row=list(self._slot_of_row),
                             passage_of_row=list(self._passage_of_row), used=list(self._used),
                             proj=list(self._proj) if prefilter else None, basis=self._basis if prefilter else None,
                             keys=list(self._keys), owners=self._slot_owner[: len(self._keys)].copy(),
                             own_owner=self._owner_ids.get(owner, -1))

    def check(self, record: EvidenceRecord, cfg: DuplicateSettings, rubric: Rubric | None = None,
              stems: frozenset[str] | None = None) -> list[DuplicateMatch]:
        """Matches of ``record`` against every stored record of another owner: identical files
        first, then passages (best first)."""
        with self._lock:
            records = self._records
            by_hash = {f.sha256: set(self._by_hash.get(f.sha256, ())) for f in record.files}
            rows = self._live_rows
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
        if not cfg.passages or not len(record.passages) or not rows:
            return out
        snap = self._snapshot(cfg, record.owner)
        out += self._passage_matches(record, cfg, snap, records, stems if stems is not None else rubric_stems(rubric))
        return out

    @staticmethod
    def _pairs(q8: np.ndarray, snap: _Snapshot, low: float, block: int) -> tuple[np.ndarray, ...]:
        """Every (query row, stored row) pair with cosine ≥ ``low``: query rows, record slots, passage
        positions and cosines."""
        tint = _dot_threshold(low)
        qf = q8.astype(np.float32)
        q16 = q8.astype(np.int16)
        bound = None
        if snap.proj is not None and snap.basis is not None:
            bound = DuplicateIndex._project(q8, snap.basis)
            bound_low = np.float32(low - PREFILTER_MARGIN)
        out_q, out_slot, out_pas, out_dot = [], [], [], []
        for c, chunk in enumerate(snap.chunks):
            used = snap.used[c]
            for s in range(0, used, block):
                e = min(s + block, used)
                if bound is not None:
                    proj = snap.proj[c]  # type: ignore[index]
                    cand_rows = np.flatnonzero((bound @ proj[s:e].T).max(axis=0) >= bound_low)
                    if not cand_rows.size:
                        continue
                    cand = proj[s + cand_rows] @ bound.T >= bound_low  # the few rows again: stored × query
                    if int(np.count_nonzero(cand)) * 16 > cand.size:  # a loose bound here (a low threshold)
                        full = chunk[s + cand_rows].astype(np.float32) @ qf.T
                        rj, qi = np.nonzero(full >= tint)
                        dots = full[rj, qi].astype(np.int32)
                    else:
                        rj, qi = np.nonzero(cand)
                        dots = np.concatenate([(chunk[s + cand_rows[rj[i:i + 8192]]].astype(np.int16)
                                                * q16[qi[i:i + 8192]]).sum(axis=1, dtype=np.int32)
                                               for i in range(0, len(qi), 8192)])
                    rows = s + cand_rows[rj]
                else:
                    # int8 values as float32: every product and partial sum is an integer below 2²⁴, so exact
                    full = qf @ chunk[s:e].astype(np.float32).T
                    qi, rj = np.nonzero(full >= tint)
                    rows = s + rj
                    dots = full[qi, rj].astype(np.int32)
                keep = dots >= tint
                qi, rows, dots = qi[keep], rows[keep], dots[keep]
                slots = snap.slot_of_row[c][rows]
                live = slots >= 0
                out_q.append(qi[live])
                out_slot.append(slots[live])
                out_pas.append(snap.passage_of_row[c][rows[live]])
                out_dot.append(dots[live])
        if not out_q:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, np.zeros(0, dtype=np.float32)
        return (np.concatenate(out_q), np.concatenate(out_slot), np.concatenate(out_pas),
                _cosines(np.concatenate(out_dot)))

    def _passage_matches(self, record: EvidenceRecord, cfg: DuplicateSettings, snap: _Snapshot,
                         records: dict[str, EvidenceRecord], stems: frozenset[str]) -> list[DuplicateMatch]:
        low = min(cfg.passage_similarity, cfg.template_similarity)
        qi, slots, pas, sims = self._pairs(record.vectors, snap, low, cfg.block_rows)
        if not qi.size:
            return []
        row_owner = snap.owners[slots]
        keep = row_owner != snap.own_owner
        qi, slots, pas, sims, row_owner = qi[keep], slots[keep], pas[keep], sims[keep], row_owner[keep]
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
            other = snap.keys[int(slots[k])]
            if other is None or other == record.key or (qr, other) in best:
                continue
            rec = records.get(other)
            if rec is None:
                continue
            pi = int(pas[k])
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
