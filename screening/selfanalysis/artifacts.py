"""Artifact names in a self-analysis and the uploaded files they mean.

The artifact cell may hold a file name with or without its extension, a title ("PL Plan
2025-26") or several names ("plan.pdf; minutes.pdf"). Matching goes from strict to loose so a
clear match is never overridden by a fuzzy one: exact name, same name ignoring case, same name
without extension, same letters and digits ignoring case, spaces, underscores and dashes, the
name's words all in one file's name, then difflib similarity.
"""

from __future__ import annotations

import difflib
import re
from pathlib import PurePosixPath, PureWindowsPath

FUZZY_MIN = 0.8  # difflib ratio of squashed names below which a file is only a suggestion
SUGGEST_MIN = 0.4  # below this the closest file is unrelated: no suggestion

_EXT = re.compile(r"\.[A-Za-z0-9]{1,5}$")
_HAS_EXT = re.compile(r"\.[A-Za-z][A-Za-z0-9]{1,4}$")


def split_artifact_names(cell: str) -> list[str]:
    """The names in an artifact cell. Semicolons, new lines and "|" always separate; commas,
    "and" and plain spaces only when every piece is a file name with an extension (a title may
    hold a comma, "Minutes, September to December"; a file name may hold a space)."""
    pieces = [p.strip() for p in re.split(r"[;\n|]+", cell or "") if p.strip()]
    out: list[str] = []
    for piece in pieces:
        for separators in (r",|\s+and\s+|\s+&\s+", r",?\s+(?:and\s+|&\s+)?"):
            parts = [p.strip() for p in re.split(separators, piece) if p.strip()]
            if len(parts) > 1 and all(_HAS_EXT.search(p) for p in parts):
                out.extend(parts)
                break
        else:
            out.append(piece)
    return out


def _base(name: str) -> str:
    # Accept "artifacts/plan.pdf" and "C:\\Users\\me\\plan.pdf": only the file name matters.
    return PureWindowsPath(name).name if "\\" in name else PurePosixPath(name).name


def _stem(name: str) -> str:
    return _EXT.sub("", _base(name).strip())


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", _stem(name).lower())


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z]+|\d+", _stem(name).lower()))


def _digits(name: str) -> list[str]:
    return re.findall(r"\d+", _stem(name))


def written_as_file_name(name: str) -> bool:
    """Whether a cited name ends in an extension ("Walkthrough_Data_Fall.pdf"), as a file's name
    does, rather than being a title ("the PD agendas")."""
    return bool(_HAS_EXT.search(name.strip()))


def match_artifact(name: str, available: list[str]) -> tuple[str | None, float, str | None]:
    """(best file | None, score in [0, 1], suggestion | None).

    ``available`` items are returned as given (paths allowed; only their file names are
    compared). The suggestion is the closest file when nothing matched well enough.
    """
    name = (name or "").strip()
    if not name or not available:
        return None, 0.0, None
    base = _base(name)
    checks = (
        (1.0, lambda f: _base(f) == base),
        (0.98, lambda f: _base(f).lower() == base.lower()),
        (0.95, lambda f: _stem(f).lower() == _stem(name).lower()),
        (0.9, lambda f: bool(_squash(name)) and _squash(f) == _squash(name)),
    )
    for score, same in checks:
        hits = [f for f in available if same(f)]
        if hits:
            return hits[0], score, None
    words = _words(name)
    containing = [f for f in available if words and words <= _words(f)]
    if len(containing) == 1:  # a title naming one file's words ("committee minutes")
        return containing[0], 0.85, None
    ratios = sorted(
        ((difflib.SequenceMatcher(None, _squash(name), _squash(f)).ratio(), f) for f in available),
        key=lambda rf: -rf[0],
    )
    best_ratio, best = ratios[0]
    # Digits name versions and years ("plan-2025-27" is not "plan-2025-26"): a fuzzy match
    # must keep them, or it is only a suggestion.
    unique = len(ratios) == 1 or ratios[1][0] < best_ratio
    if best_ratio >= FUZZY_MIN and unique and _digits(best) == _digits(name):
        return best, round(0.8 * best_ratio, 3), None
    if containing:
        return None, round(0.8 * best_ratio, 3), containing[0]
    return None, round(0.8 * best_ratio, 3), best if best_ratio >= SUGGEST_MIN else None


__all__ = ["match_artifact", "split_artifact_names", "written_as_file_name"]
