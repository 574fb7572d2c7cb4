"""File-level problems met during ingest, and folder files that fit no part."""

from __future__ import annotations

from ..registry import checks
from .base import RaisedFlag, ScreeningContext


def page_list(pages: tuple[int, ...] | list[int]) -> str:
    """"page 3", "pages 1–3, 7" (runs collapsed)."""
    nums = sorted(set(pages))
    runs: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        runs.append(str(nums[i]) if i == j else f"{nums[i]}–{nums[j]}")
        i = j + 1
    return ("page " if len(nums) == 1 else "pages ") + ", ".join(runs)


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
                out.append(
                    RaisedFlag(problem.code, self.name, params, part=sub_file.part, file=doc.name, location=location)
                )
        for name in ctx.ignored:
            out.append(RaisedFlag("file_ignored", self.name, {"file": name}, file=name))
        return out
