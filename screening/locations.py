"""How locations are written for people: page lists and time spans."""

from __future__ import annotations

from typing import Sequence


def page_list(numbers: Sequence[int]) -> str:
    """'page 4' or 'pages 1–3, 7' (runs collapsed, en dash for ranges)."""
    nums = sorted(set(numbers))
    runs: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        runs.append(str(nums[i]) if i == j else f"{nums[i]}–{nums[j]}")
        i = j + 1
    return ("page " if len(nums) == 1 else "pages ") + ", ".join(runs)


def mmss(seconds: float) -> str:
    """'02:05', or '1:02:10' past an hour."""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"
