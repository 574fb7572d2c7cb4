"""File-level problems met during ingest, and folder files that fit no part."""

from __future__ import annotations

import re

from ..documents import Document
from ..locations import page_list
from ..registry import checks
from .base import RaisedFlag, ScreeningContext


@checks.register("screening.file_problems.v1")
class FileProblems:
    name = "screening.file_problems.v1"
    requires = ("files", "ignored")

    def run(self, ctx: ScreeningContext) -> list[RaisedFlag]:
        out: list[RaisedFlag] = []
        for sub_file, doc in ctx.files:
            for problem in doc.problems:
                params: dict[str, object] = {"file": doc.name, **problem.params}
                location = None
                if problem.pages:
                    params.setdefault("page_list", page_list(problem.pages))
                    location = {
                        "pages": list(problem.pages),
                        "label": page_list(problem.pages),
                        "fragment": f"#page={min(problem.pages)}",
                    }
                if location is None and problem.params.get("time_ranges"):
                    location = time_location(str(problem.params["time_ranges"]))
                out.append(
                    RaisedFlag(problem.code, self.name, params, part=sub_file.part, file=doc.name, location=location,
                               **_scan_among_text(problem.code, problem.pages, doc))
                )
        for name in ctx.ignored:
            out.append(RaisedFlag("file_ignored", self.name, {"file": name}, file=name))
        return out


def _scan_among_text(code: str, pages: tuple[int, ...], doc: Document) -> dict[str, object]:
    """A scanned page in a PDF whose other pages were read (a signed sign-in sheet, a
    photographed form) is guidance: the assessor sees the page as it is, and what the file
    shows was screened from the rest. A file with no text at all keeps the warning."""
    if code != "no_text_layer" or not pages:
        return {}
    read = [p for p in doc.pages if p.number not in pages and p.text.strip()]
    if not read:
        return {}
    return {"severity": "info", "note": (
        f"The other {len(read)} page{'s' if len(read) != 1 else ''} of this file {'were' if len(read) != 1 else 'was'} "
        "read; the assessor sees the scanned page as it is.")}


_CLOCK = r"(?:(\d+):)?(\d{1,2}):(\d{2})"
_RANGE = re.compile(_CLOCK + r"\s*[–-]\s*" + _CLOCK)


def _seconds(h: str | None, m: str, s: str) -> float:
    return (int(h) * 3600 if h else 0) + int(m) * 60 + int(s)


def time_location(ranges: str) -> dict[str, object]:
    """A recording's flagged stretches ("00:30–01:00, 02:10–02:40") as a location: the label as
    written, and the first stretch as times and a ``#t=`` fragment, so a viewer can start there."""
    location: dict[str, object] = {"label": ranges}
    m = _RANGE.search(ranges)
    if m:
        start, end = _seconds(*m.group(1, 2, 3)), _seconds(*m.group(4, 5, 6))
        location.update(start_s=start, end_s=end, fragment=f"#t={start:g},{end:g}")
    return location
