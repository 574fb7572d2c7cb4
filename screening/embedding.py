"""Sentence embeddings with a content-addressed cache.

Vectors are keyed by (model revision and backend, SHA-256 of the text), in memory and in a SQLite file under
``Settings.cache_dir``, so re-screening an edited draft embeds only the passages that changed,
rubric texts are embedded once, and several processes can share one cache (WAL mode).

While screening, the vectors used are linked to the SHA-256 of the files they came from
(:func:`owned_by`), so erasing a candidate's data removes the vectors of their texts
(:func:`forget_files`): a vector can be partly turned back into its text.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .encoders import Encoder, choose_backend, load_encoder
from .models import ModelInfo, embedding_model_info
from .settings import ModelSettings, Settings

_log = logging.getLogger(__name__)


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


_OWNERS: ContextVar[tuple[str, ...]] = ContextVar("embedding_owners", default=())


@contextmanager
def owned_by(owners: Iterable[str]) -> Iterator[None]:
    """Within this block (this thread), every vector an embedder uses is linked in the disk cache
    to these owners (the SHA-256 of the files its text came from)."""
    token = _OWNERS.set(tuple(sorted(set(owners))))
    try:
        yield
    finally:
        _OWNERS.reset(token)


class EmbeddingCache:
    """SQLite store of float32 vectors keyed by (model revision and backend, text hash)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA secure_delete=ON")  # removed vectors are overwritten, not left in free pages
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL, "
            "dim INTEGER NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID"
        )
        # Which files' texts each vector was used for (owner: the file's SHA-256).
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS owners (owner TEXT NOT NULL, model TEXT NOT NULL, key BLOB NOT NULL, "
            "PRIMARY KEY (owner, model, key)) WITHOUT ROWID"
        )
        self._lock = threading.Lock()

    def get_many(self, model: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({marks})", [model, *chunk]
                )
                for key, vec in rows:
                    out[bytes(key)] = np.frombuffer(vec, dtype=np.float32)
        return out

    def put_many(self, model: str, items: dict[bytes, np.ndarray]) -> None:
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors (model, key, dim, vec) VALUES (?, ?, ?, ?)",
                [(model, k, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def own(self, owners: Sequence[str], model: str, keys: Iterable[bytes]) -> None:
        rows = [(o, model, k) for k in dict.fromkeys(keys) for o in owners]
        if rows:
            with self._lock, self._conn:
                self._conn.executemany("INSERT OR IGNORE INTO owners (owner, model, key) VALUES (?, ?, ?)", rows)

    def forget_owners(self, owners: Sequence[str]) -> list[tuple[str, bytes]]:
        """Remove every vector linked to any of these owners (and every link to those vectors);
        the (model, key) pairs removed. The write-ahead log is then emptied, so no copy of a
        removed vector stays in it."""
        removed: list[tuple[str, bytes]] = []
        with self._lock:
            with self._conn:
                for i in range(0, len(owners), 500):
                    chunk = list(owners[i : i + 500])
                    marks = ",".join("?" * len(chunk))
                    removed += [(m, bytes(k)) for m, k in self._conn.execute(
                        f"SELECT DISTINCT model, key FROM owners WHERE owner IN ({marks})", chunk)]
                removed = list(dict.fromkeys(removed))
                self._conn.executemany("DELETE FROM vectors WHERE model = ? AND key = ?", removed)
                self._conn.executemany("DELETE FROM owners WHERE model = ? AND key = ?", removed)
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed

    def close(self) -> None:
        self._conn.close()


class Embedder:
    """Embeds texts with the configured model and backend (screening/encoders.py), using the cache.

    The backend is chosen at construction (cheap: a CPU-flag probe); the model loads on the
    first call that needs it (a fully cached run never loads it). Vectors are cached per model
    revision *and* backend, since backends differ in the last digits. If an OpenVINO backend
    cannot be built, the embedder falls back to torch, logs the coded message (kept in
    ``notes``), and from then on reads and writes the fallback's cache entries.
    ``stats`` counts texts served from memory, disk and the model, for benchmarks and logs.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._base_info: ModelInfo = embedding_model_info(settings.models)
        choice = choose_backend(settings.models)
        self.backend = choice.backend
        self.backend_reason = choice.reason
        self.notes: list[str] = []
        self._encoder: Encoder | None = None
        self._load_lock = threading.Lock()
        self._memory: OrderedDict[bytes, np.ndarray] = OrderedDict()  # LRU, bounded
        self._disk = EmbeddingCache(settings.cache_dir / "embeddings.sqlite3") if settings.use_cache else None
        self.stats = {"memory": 0, "disk": 0, "computed": 0}

    @property
    def info(self) -> ModelInfo:
        """The model and the backend that computes (or computed, for cached vectors) its vectors."""
        return replace(self._base_info, backend=self.backend)

    @property
    def model_key(self) -> str:
        return f"{self._base_info.name}@{self._base_info.revision}/{self.backend}"

    def encoder(self) -> Encoder:
        """The loaded encoder (loading it, and falling back if need be, on first use)."""
        with self._load_lock:
            if self._encoder is None:
                self._encoder, message = load_encoder(
                    self.backend, self.settings.models, self._base_info, self.settings.cache_dir
                )
                if message:
                    _log.warning(message)
                    self.notes.append(message)
                if self._encoder.backend != self.backend:
                    # Vectors of the planned backend must not mix with the fallback's.
                    self.backend = self._encoder.backend
                    self._memory.clear()
            return self._encoder

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text. ``progress(done, total)`` is called as
        texts that had to be computed are embedded (cached ones cost nothing)."""
        if not texts:
            return np.zeros((0, self._base_info.dim), dtype=np.float32)
        keys = [_key(t) for t in texts]
        found = self._cached(keys)
        if len(found) < len(set(keys)):
            planned = self.backend
            encoder = self.encoder()
            if encoder.backend != planned:  # fell back: look again under the fallback's key
                found = self._cached(keys)
            todo = {k: t for k, t in zip(keys, texts) if k not in found}
            if todo:
                computed = self._compute(encoder, todo, progress)
                self.stats["computed"] += len(computed)
                found.update(computed)
                self._remember(computed)
                if self._disk is not None:
                    self._disk.put_many(self.model_key, computed)
        owners = _OWNERS.get()
        if owners and self._disk is not None:
            self._disk.own(owners, self.model_key, keys)
        return np.stack([found[k] for k in keys])

    def forget(self, keys: Iterable[bytes]) -> None:
        """Drop these vectors from the in-memory cache."""
        for k in keys:
            self._memory.pop(k, None)

    def _cached(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for k in dict.fromkeys(keys):
            vec = self._memory.get(k)
            if vec is not None:
                found[k] = vec
                self._memory.move_to_end(k)
        self.stats["memory"] += len(found)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing and self._disk is not None:
            from_disk = self._disk.get_many(self.model_key, missing)
            self.stats["disk"] += len(from_disk)
            found.update(from_disk)
            self._remember(from_disk)
        return found

    def _compute(
        self, encoder: Encoder, todo: dict[bytes, str], progress: Callable[[int, int], None] | None
    ) -> dict[bytes, np.ndarray]:
        # Sorted by length, so each chunk (and each batch in it) pads little; chunked so long
        # submissions can report progress. Each batch is padded to its longest text, which is
        # why small batches of similar lengths are fastest on CPU (bench/RESULTS.md).
        items = sorted(todo.items(), key=lambda kv: len(kv[1]))
        step = encoder.batch_size * 16
        out: dict[bytes, np.ndarray] = {}
        for start in range(0, len(items), step):
            chunk = items[start : start + step]
            vecs = np.asarray(encoder.encode([t for _, t in chunk]), dtype=np.float32)
            out.update(zip((k for k, _ in chunk), vecs))
            if progress is not None:
                progress(min(start + step, len(items)), len(items))
        return out

    def _remember(self, items: dict[bytes, np.ndarray]) -> None:
        self._memory.update(items)
        while len(self._memory) > self.settings.models.memory_cache_entries:
            self._memory.popitem(last=False)  # least recently used first


_EMBEDDERS: dict[tuple[ModelSettings, str, bool], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def forget_files(cache_dir: Path, digests: Sequence[str]) -> int:
    """Remove from the disk cache under ``cache_dir`` (and from this process's embedders' memory)
    every vector used for the texts of the files with these SHA-256; how many were removed.
    Other processes' in-memory caches are bounded and go with the process."""
    path = cache_dir / "embeddings.sqlite3"
    if not digests or not path.exists():
        return 0
    cache = EmbeddingCache(path)
    try:
        removed = cache.forget_owners(list(digests))
    finally:
        cache.close()
    keys = {k for _, k in removed}
    with _EMBEDDERS_LOCK:
        for embedder in _EMBEDDERS.values():
            embedder.forget(keys)
    return len(removed)


def get_embedder(settings: Settings) -> Embedder:
    """One embedder (and one in-memory cache) per model settings and cache location, per process."""
    key = (settings.models, str(settings.cache_dir), settings.use_cache)
    with _EMBEDDERS_LOCK:
        if key not in _EMBEDDERS:
            _EMBEDDERS[key] = Embedder(settings)
        return _EMBEDDERS[key]
