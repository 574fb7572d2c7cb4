"""File-level problems met during ingest, and folder files that fit no part."""

from __future__ import annotations

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
                    location = {"label": problem.params["time_ranges"]}
                out.append(
                    RaisedFlag(problem.code, self.name, params, part=sub_file.part, file=doc.name, location=location)
                )
        for name in ctx.ignored:
            out.append(RaisedFlag("file_ignored", self.name, {"file": name}, file=name))
        return out
