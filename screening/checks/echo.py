"""Rubric echo: one flag per paragraph whose passages restate the rubric (screening/echo.py)."""

from __future__ import annotations

from pathlib import PurePosixPath

from ..echo import Echo
from ..locations import mmss
from ..passages import OWN_PROSE
from ..registry import checks
from ..settings import EchoSettings
from .base import RaisedFlag, ScreeningContext


def _where(first: Echo, last: Echo) -> str:
    p, q = first.passage, last.passage
    name = PurePosixPath(p.file).name
    if p.start_s is not None:
        return f"{name} at {mmss(p.start_s)}–{mmss(q.end_s or q.start_s or p.start_s)}"
    if p.page is not None:
        return f"{name} page {p.page}, paragraph {p.paragraph}"
    return f"{name} paragraph {p.paragraph}"


def _closest(group: list[Echo]) -> str:
    names = [e.assessment.closest for e in group if e.assessment.closest]
    if not names:
        return "the rubric"
    name = max(set(names), key=names.count)
    return name if name.startswith("EO") else f"detail {name}"


@checks.register("screening.rubric_echo.v1")
class RubricEcho:
    name = "screening.rubric_echo.v1"
    requires = ("echoes", "rubric")

    def run(self, ctx: ScreeningContext) -> list[RaisedFlag]:
        groups: dict[tuple[str, int | None, int], list[Echo]] = {}
        for echo in ctx.echoes:
            p = echo.passage
            groups.setdefault((p.file, p.page, p.paragraph), []).append(echo)
        eo_of = {d.id: eo.id for eo, d in ctx.rubric.details()}
        out = []
        for (file, page, _), group in groups.items():
            group.sort(key=lambda e: e.passage.char_start)
            first, last = group[0].passage, group[-1].passage
            words = sum(e.assessment.content_words for e in group)
            share = sum(e.assessment.word_share * e.assessment.content_words for e in group) / max(words, 1)
            location = {
                "page": page, "start_s": first.start_s, "end_s": last.end_s,
                "char_start": first.char_start, "char_end": last.char_end,
                "fragment": first.fragment if first.page is not None or first.start_s is not None
                else f"#char={first.char_start},{last.char_end}",
            }
            phrase = sum(e.assessment.phrase_share * e.assessment.content_words for e in group) / max(words, 1)
            closest = _closest(group)
            detail = closest.removeprefix("detail ") if closest.startswith("detail") else None
            out.append(RaisedFlag(
                "rubric_echo", self.name,
                {"where": _where(group[0], group[-1]), "closest": closest, "share": f"{share * 100:.0f}"},
                detail_id=detail,
                # the EO whose wording the paragraph restates, so the flag sits with that EO's evidence
                eo=eo_of.get(detail) if detail else closest.removeprefix("EO ") if closest.startswith("EO") else None,
                part=first.part, file=file, location=location,
                **(_ARTIFACT if first.part not in OWN_PROSE else _vocabulary_only(share, phrase, ctx.settings.echo)),
            ))
        return out


def _vocabulary_only(word_share: float, phrase_share: float, cfg: EchoSettings) -> dict[str, object]:
    """Info severity for a paragraph that uses the rubric's words without copying its phrasing.
    The field's vocabulary is the rubric's ("assessments", "rigor", "instruction"): a paragraph
    that says "our assessments are rigorous and match the way we teach" is generic, which the
    evidence flags say, but calling it a restatement would be wrong. On the independent corpus
    every echo flag copying a third of its phrases or more was planted; of those copying almost
    none (with 62-83% of their words from the rubric), three in four were not. A paragraph made
    almost wholly of the rubric's words restates it however they are ordered; one with a fifth of
    its words its own (``warn_word_share_floor``) does not, whatever it copies."""
    if (cfg.warn_min_phrase_share is not None and phrase_share < cfg.warn_min_phrase_share
            and word_share < cfg.warn_min_word_share):
        return {"severity": "info", "note": (
            f"It copies few of the rubric's phrases ({phrase_share * 100:.0f}% of its three-word sequences), only its "
            "vocabulary, which is also the field's: a note, not a warning.")}
    if cfg.warn_word_share_floor is not None and word_share < cfg.warn_word_share_floor:
        # a fifth of its words or more the candidate's own: general, perhaps, which the evidence
        # flags say, but not a restatement
        return {"severity": "info", "note": (
            f"Only {word_share * 100:.0f}% of its words are the rubric's; the rest are the candidate's own: a note, "
            "not a warning.")}
    return {}


# A plan, minutes or a slide deck states the school's goals in the state's language on purpose;
# that is not the candidate restating the rubric instead of describing what they did (every
# rubric_echo planted in the independent corpus is in a narrative or reflection, and every one
# raised on an artifact was false). It is still set aside as evidence, and the note says so.
_ARTIFACT: dict[str, object] = {"severity": "info", "note": (
    "This is an artifact, not the candidate's own writing: the paragraph is not counted as evidence, "
    "and there is nothing to rewrite.")}
