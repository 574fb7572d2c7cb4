"""A bounded, thread-safe, in-process cache of what a spaCy pipeline computed for a text.

Re-screening an edited draft should re-run a pipeline only on the texts that changed. Keys are
the pipeline (one per process, cached in models.py) and the SHA-256 of the text; the least
recently used entries go first once ``max_entries`` is reached.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Callable, Generic, Iterable, TypeVar

T = TypeVar("T")


class TextCache(Generic[T]):
    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[int, bytes], T] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, model: object, texts: list[str], compute: Callable[[list[str]], Iterable[T]]) -> list[T]:
        """One value per text: cached ones as stored, the others from ``compute`` (called once,
        with each missing text once, in order) and stored."""
        keys = [(id(model), hashlib.sha256(t.encode("utf-8")).digest()) for t in texts]
        with self._lock:
            found = {k: self._items[k] for k in keys if k in self._items}
            for k in found:
                self._items.move_to_end(k)
        todo = {k: t for k, t in zip(keys, texts) if k not in found}
        if todo:
            computed = dict(zip(todo, compute(list(todo.values()))))
            found.update(computed)
            with self._lock:
                self._items.update(computed)
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)
        return [found[k] for k in keys]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
