"""Named, versioned implementations (``screening.word_minimum.v1``), looked up by name.

Settings and reports refer to checks by these names, so a behaviour change ships as a new
``.v2`` beside ``.v1`` while stored reports still cite the old one. A failed lookup lists what
is available.
"""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Table(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._items[name] = obj
            return obj

        return deco

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"no {self.kind} named '{name}'; available: {', '.join(sorted(self._items))}") from None

    def names(self) -> list[str]:
        return sorted(self._items)


checks: Table[type] = Table("check")
