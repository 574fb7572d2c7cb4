"""Bounds on ZIP-based files (DOCX, XLSX, PPTX) before anything expands them.

A 1 MB upload can hold a gigabyte of zeros. Python's zipfile never yields more than an entry's
declared size, so the declared sizes are a safe upper bound: checking them before reading stops
a decompression bomb without expanding a byte of it.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class ArchiveLimits:
    max_bytes: int
    max_ratio: float
    max_entries: int


class ArchiveTooLarge(Exception):
    """The archive would expand beyond a limit; ``limit`` and ``found`` say which, in words."""

    def __init__(self, limit: str, found: str) -> None:
        super().__init__(f"{found}, over the limit of {limit}")
        self.limit, self.found = limit, found


def megabytes(n: float) -> str:
    """A size in words. Limits are set in binary megabytes (256 * 1024 * 1024): said as people count them."""
    if n < 1048576:
        return f"{n:,.0f} bytes"
    mb = n / 1048576
    return f"{mb:,.0f} MB" if mb >= 100 else f"{mb:.3g} MB"


def check_zip(zf: zipfile.ZipFile, limits: ArchiveLimits) -> None:
    """Raise ArchiveTooLarge if the entries, their total expanded size or the compression ratio
    exceed ``limits``."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ArchiveTooLarge(f"{limits.max_entries:,} parts", f"it holds {len(infos):,} parts")
    expanded = sum(i.file_size for i in infos)
    if expanded > limits.max_bytes:
        raise ArchiveTooLarge(f"{megabytes(limits.max_bytes)} unpacked", f"it unpacks to {megabytes(expanded)}")
    packed = sum(i.compress_size for i in infos)
    ratio = expanded / max(packed, 1)
    # Small archives are left alone: a few KB of XML may compress very well and harm nobody.
    if expanded > 10_000_000 and ratio > limits.max_ratio:
        raise ArchiveTooLarge(f"a compression ratio of {limits.max_ratio:g}:1",
                              f"it unpacks {ratio:,.0f} times larger than it is")
