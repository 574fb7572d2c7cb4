"""What this CPU can do, for choosing an embedding backend (read once from /proc/cpuinfo).

Only x86 Linux flags are read: elsewhere (macOS, ARM, no /proc) no bf16 support is assumed, so
``auto`` stays on the plain fp32 path there.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# Hardware bf16 arithmetic: AVX-512 BF16 (Zen 4+, Cooper Lake) or AMX (Sapphire Rapids+).
# Without them bf16 is emulated and slower than fp32.
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def has_bf16(flags: frozenset[str] | None = None) -> bool:
    return bool(BF16_FLAGS & (cpu_flags() if flags is None else flags))
