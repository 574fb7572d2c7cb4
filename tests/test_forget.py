"""Forgetting files (screening/forget.py): every cache under cache_dir finds what it derived from a
file by the file's SHA-256, and removes exactly that."""

from __future__ import annotations

import hashlib

import numpy as np

from screening.embedding import EmbeddingCache
from screening.ingest.extract import forget_extractions, ingest_file
from screening.media import cache as transcripts
from screening.settings import Settings


def test_extractions_are_found_and_removed_by_the_files_hash(tmp_path):
    limits = Settings().limits.model_copy(update={"isolate_ingest": False})
    cache = tmp_path / "cache"
    mine, theirs = tmp_path / "mine.txt", tmp_path / "theirs.txt"
    mine.write_text("My own narrative about planning lessons.", encoding="utf-8")
    theirs.write_text("Somebody else's narrative about coaching.", encoding="utf-8")
    a, b = ingest_file(mine, limits, cache_dir=cache), ingest_file(theirs, limits, cache_dir=cache)
    (cache / "extracted" / "0123.json").write_text("{}")  # an entry of the older flat layout
    assert (cache / "extracted" / a.sha256).is_dir()
    assert forget_extractions(cache, a.sha256) == 2
    assert not (cache / "extracted" / a.sha256).exists() and not (cache / "extracted" / "0123.json").exists()
    assert list((cache / "extracted" / b.sha256).glob("*.json"))


def test_transcripts_of_a_file_are_removed_whatever_their_options(tmp_path):
    sha, other = hashlib.sha256(b"a").hexdigest(), hashlib.sha256(b"b").hexdigest()
    made = []
    for s, opts in ((sha, {"model": "tiny"}), (sha, {"model": "base"}), (other, {"model": "tiny"})):
        path = transcripts._path(tmp_path, transcripts.cache_key(s, opts))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
        made.append(path)
    legacy = transcripts._path(tmp_path, transcripts._legacy_key(sha, {"model": "tiny"}))
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text("{}")
    assert transcripts.forget(tmp_path, sha, {"model": "tiny"}) == 3
    assert [p.exists() for p in made] == [False, False, True] and not legacy.exists()


def test_vectors_linked_to_a_file_are_removed_and_shared_ones_with_them(tmp_path):
    db = EmbeddingCache(tmp_path / "embeddings.sqlite3")
    k1, k2, k3 = (hashlib.sha256(t).digest() for t in (b"one", b"two", b"three"))
    db.put_many("m", {k: np.ones(4, dtype=np.float32) for k in (k1, k2, k3)})
    db.own(["file-a"], "m", [k1, k2])
    db.own(["file-b"], "m", [k2, k3])
    assert set(db.forget_owners(["file-a"])) == {("m", k1), ("m", k2)}
    assert set(db.get_many("m", [k1, k2, k3])) == {k3}
    assert db.forget_owners(["file-a"]) == []
    db.close()
