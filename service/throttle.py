"""Back-off after failed sign-ins, per account and per client address.

Failures are counted in the process's memory: a restart forgets them, and servers running
side by side each count their own (docs/service.md says so). After ``free`` failures each
further one doubles the wait, up to ``max_wait_s``; a success clears the account's count.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Record:
    failures: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


@dataclass
class SignInThrottle:
    free: int = 5
    base_wait_s: float = 1.0
    max_wait_s: float = 900.0
    forget_after_s: float = 3600.0
    _records: dict[str, _Record] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    clock: "object" = time.monotonic

    def wait_s(self, *keys: str) -> int:
        """Seconds before another attempt on any of ``keys`` is heard (0: now)."""
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            waits = [r.blocked_until - now for k in keys if (r := self._records.get(k)) is not None]
        return max(0, math.ceil(max(waits, default=0.0)))

    def failed(self, *keys: str) -> None:
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            if len(self._records) > 100_000:  # many addresses: forget the old ones rather than grow
                self._records = {k: r for k, r in self._records.items() if now - r.last < self.forget_after_s}
            for k in keys:
                r = self._records.get(k)
                if r is None or now - r.last > self.forget_after_s:
                    r = self._records[k] = _Record()
                r.failures += 1
                r.last = now
                if r.failures > self.free:
                    r.blocked_until = now + min(self.max_wait_s, self.base_wait_s * 2 ** (r.failures - self.free - 1))

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)

