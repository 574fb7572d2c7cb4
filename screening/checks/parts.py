"""Parts of the MC: present at all, and long enough."""

from __future__ import annotations

from ..registry import checks
from .base import RaisedFlag, ScreeningContext


@checks.register("screening.part_missing.v1")
class PartMissing:
    name = "screening.part_missing.v1"
    requires = ("files",)

    def run(self, ctx: ScreeningContext) -> list[RaisedFlag]:
        out: list[RaisedFlag] = []
        roles = {f.role for f, _ in ctx.files}
        for part in ctx.rubric.parts:
            wanted = {"narrative": ["narrative"], "reflection": ["reflection"], "portfolio": ["artifact"]}[part.kind]
            if part.kind == "portfolio" and part.requires_self_analysis:
                wanted.append("self_analysis")
            for role in wanted:
                if role not in roles:
                    title = part.title if role != "self_analysis" else "evidence self-analysis"
                    if part.kind == "portfolio" and role == "artifact":
                        title = "artifact portfolio"
                    out.append(RaisedFlag("part_missing", self.name, {"part_title": title}, part=part.kind))
        return out


@checks.register("screening.word_minimum.v1")
class WordMinimum:
    """A part with a word minimum: its files' words together must reach it.

    Words are counted by :func:`screening.wordcount.count_words` on the extracted text. A part
    with no file at all is reported by ``part_missing`` instead.
    """

    name = "screening.word_minimum.v1"
    requires = ("files", "words_by_part")

    def run(self, ctx: ScreeningContext) -> list[RaisedFlag]:
        out: list[RaisedFlag] = []
        present = {f.part for f, _ in ctx.files}
        for part in ctx.rubric.parts:
            if not part.word_minimum or part.kind not in present:
                continue
            words = ctx.words_by_part.get(part.kind, 0)
            if words < part.word_minimum:
                params = {
                    "part_title": part.title[:1].lower() + part.title[1:],
                    "words": f"{words:,}",
                    "minimum": f"{part.word_minimum:,}",
                    "shortfall": f"{part.word_minimum - words:,}",
                }
                files = [f.name for f, _ in ctx.files if f.part == part.kind]
                out.append(
                    RaisedFlag("word_minimum", self.name, params, part=part.kind, file=files[0] if len(files) == 1 else None)
                )
        return out
