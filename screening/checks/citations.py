"""The evidence self-analysis: does every detail have a citation, and does each citation point
somewhere real that seems to address it?

Reading the table is :mod:`screening.selfanalysis`; this module compares what it cites with the
submission: the files, their page counts and durations, and the mapping's scores of the passages
at the cited place against the best place anywhere in the artifacts.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from difflib import SequenceMatcher
from pathlib import PurePosixPath

import numpy as np

from ..documents import Document
from ..echo import MONTHS_DAYS, RubricWording, content_stems
from ..locations import mmss
from ..mapping import Status
from ..passages import Passage
from ..registry import checks
from ..selfanalysis import Citation, Location
from ..settings import CitationSettings
from ..wordcount import count_words
from .base import RaisedFlag, ScreeningContext
from .evidence import guidance_details
from .cited_places import (
    NUMBER, PageTerms, Place, cited_files, cited_label, heard_in, held, loosely_named, pages_cited, place_label,
    score_columns, stretch_runs, text_terms,
)

_UNREADABLE = {"unreadable", "no_table", "no_header", "missing_column"}


def _where(p: Passage) -> str:
    if p.start_s is not None:
        return f"at {mmss(p.start_s)}–{mmss(p.end_s or p.start_s)} in {PurePosixPath(p.file).name}"
    if p.page is not None:
        return f"on page {p.page} of {PurePosixPath(p.file).name}"
    return f"in paragraph {p.paragraph} of {PurePosixPath(p.file).name}"


def _row_flag(code: str, check: str, c: Citation, params: dict[str, object], **kw: object) -> RaisedFlag:
    return RaisedFlag(code, check, {"row": c.row, **params}, part="portfolio", location={"row": c.row}, **kw)  # type: ignore[arg-type]


def _targets(eo_of: dict[str, str], c: Citation) -> dict[str, str | None]:
    """The EO and detail a row's flags name: the detail when the row cites one, the EO when all
    it cites belongs to one EO (a row per EO is the common way to fill the table)."""
    eos = {eo_of[d] for d in c.detail_ids if d in eo_of}
    return {"eo": next(iter(eos)) if len(eos) == 1 else None,
            "detail_id": c.detail_ids[0] if len(c.detail_ids) == 1 else None}


@checks.register("screening.citations.v1")
class Citations:
    name = "screening.citations.v1"
    requires = ("self_analyses", "files", "scored_passages", "scores", "rubric")

    def run(self, ctx: ScreeningContext) -> list[RaisedFlag]:
        out: list[RaisedFlag] = []
        if not ctx.self_analyses:
            return out  # no self-analysis at all is part_missing's to report
        artifacts = {f.name: d for f, d in ctx.files if f.role == "artifact"}
        pages = PageTerms.of(ctx, artifacts)
        cited: set[str] = set()
        eo_of = {d.id: eo.id for eo, d in ctx.rubric.details()}
        for sub_file, analysis in ctx.self_analyses:
            out.extend(self._problems(sub_file.name, analysis.problems, set(eo_of.values())))
            for c in analysis.citations:
                cited.update(c.detail_ids)
                targets = _targets(eo_of, c)
                # every row-level flag names the row's targets unless it names a detail of its own
                out.extend(replace(f, eo=f.eo or targets["eo"], detail_id=f.detail_id or targets["detail_id"])
                           for f in self._citation(ctx, c, artifacts, pages, sub_file.name))
        readable = [f.name for f, a in ctx.self_analyses if not any(p.code in _UNREADABLE for p in a.problems)]
        if readable:
            for eo, detail in ctx.rubric.details():
                if detail.id not in cited:
                    params = {"detail_id": detail.id, "detail_text": detail.text}
                    out.append(RaisedFlag("citation_missing_row", self.name, params, eo=eo.id, detail_id=detail.id,
                                          part="portfolio", file=readable[0]))
        return out

    def _problems(self, file: str, problems, eos: set[str]) -> list[RaisedFlag]:  # type: ignore[no-untyped-def]
        out = []
        for p in problems:
            if p.code in _UNREADABLE:
                reason = p.params.get("reason") or {
                    "no_header": f"no header row names the columns (expected {p.params.get('expected', '')})",
                    "missing_column": f"no column for the {p.params.get('role', '')}",
                }.get(p.code, p.code)
                out.append(RaisedFlag("self_analysis_unreadable", self.name, {"file": file, "reason": reason},
                                      part="portfolio", file=file))
            elif p.code in ("unknown_target", "no_target"):
                closest = p.params.get("closest")
                out.append(RaisedFlag(
                    "citation_unknown_target", self.name,
                    {"row": p.row, "target": p.params.get("target", ""),
                     "closest": f" The closest detail is {closest}." if closest else ""},
                    part="portfolio", file=file, location={"row": p.row}, eo=_eo_of_unknown(p.params.get("target", ""), eos),
                ))
        return out

    def _citation(self, ctx: ScreeningContext, c: Citation, artifacts: dict[str, Document], pages: PageTerms,
                  sa_file: str) -> list[RaisedFlag]:
        out: list[RaisedFlag] = []
        target = ", ".join(c.detail_ids) or c.target_raw
        cfg = ctx.settings.citations
        for text in c.unparsed_locations:
            out.append(_row_flag("citation_unparsed", self.name, c, {"text": text}, file=sa_file))
        files, unmatched = cited_files(c, list(artifacts), cfg.artifact_match_min)
        words = count_words(c.explanation)
        if words < cfg.min_explanation_words:
            problem = "is missing" if words == 0 else f"has {words} words, fewer than {cfg.min_explanation_words}"
            out.append(_row_flag("explanation_too_short", self.name, c, {"target": target, "problem": problem},
                                 file=sa_file, detail_id=c.detail_ids[0] if len(c.detail_ids) == 1 else None))
        elif (generic := _generic_explanation(c.explanation, ctx, c.detail_ids)) is not None \
                and not _describes_cited_place(ctx, c, files, pages):
            out.append(_row_flag("explanation_too_short", self.name, c, {"target": target, "problem": generic},
                                 file=sa_file, **_as_guidance(ctx, c)))
        for raw, hint in unmatched:
            out.append(_row_flag("citation_missing_artifact", self.name, c, {
                "artifact": raw, "suggestion": f" The closest file is {hint}." if hint else "",
            }, file=sa_file))
        if cfg.artifact_exact_name_min is not None:
            for raw, taken in loosely_named(c, list(artifacts), cfg.artifact_match_min, cfg.artifact_exact_name_min):
                name = PurePosixPath(taken).name
                out.append(_row_flag("citation_missing_artifact", self.name, c, {
                    "artifact": raw, "suggestion": f" The closest file is {name}.",
                }, file=sa_file, severity="warning", note=(
                    f"The screener took the row to mean {name} and checked the cited place there; an assessor "
                    "looking for the name as written finds no such file.")))
        for file in files:
            doc = artifacts[file]
            for loc in c.locations:
                out.extend(self._range(c, file, doc, loc))
                out.extend(self._whole(c, file, doc, loc, cfg, sa_file))
        if len(files) >= 1:
            out.extend(f for f in self._wrong_location(ctx, c, files, pages, artifacts)
                       if _found_page(f) not in _pages_named(c.explanation))
        return out

    def _range(self, c: Citation, file: str, doc: Document, loc: Location) -> list[RaisedFlag]:
        last = loc.end if loc.end is not None else loc.start
        if loc.kind == "page" and doc.page_count is not None and last is not None and last > doc.page_count:
            return [_row_flag("citation_page_out_of_range", self.name, c,
                              {"location": place_label(loc), "file": file, "pages": doc.page_count}, file=file)]
        duration = doc.media.duration_s if doc.media is not None else None
        # Times are written in whole seconds, and players show a 64.96 s file as 01:05: the end
        # of the file may be cited as that rounded-up second.
        if loc.kind == "time" and duration is not None and last is not None and last > math.ceil(duration):
            return [_row_flag("citation_time_out_of_range", self.name, c,
                              {"location": place_label(loc), "file": file, "duration": mmss(duration)}, file=file)]
        return []

    def _whole(self, c: Citation, file: str, doc: Document, loc: Location, cfg: CitationSettings,
               sa_file: str) -> list[RaisedFlag]:
        """citation_unparsed for a row citing all of a file of several pages, or of a recording
        longer than a short clip ("throughout", "the whole video"): the program asks for the
        exact place, and an assessor cannot tell which page or minute holds the evidence."""
        if loc.kind != "whole":
            return []
        duration = doc.media.duration_s if doc.media is not None else None
        if cfg.whole_file_max_pages is not None and doc.page_count is not None and doc.page_count > cfg.whole_file_max_pages:
            size = f"{doc.page_count} pages"
        elif cfg.whole_file_max_seconds is not None and duration is not None and duration > cfg.whole_file_max_seconds:
            size = f"{mmss(duration)} of recording"
        else:
            return []
        return [_row_flag("citation_unparsed", self.name, c, {"text": loc.raw}, file=sa_file, note=(
            f"The row cites all of {PurePosixPath(file).name} ({size}); name the page, slide or time stamp where "
            "the evidence for this detail is."))]

    def _told(self, c: Citation, files: list[str], file: str, place: str, basis: str,
              scores: dict[str, str]) -> RaisedFlag:
        """citation_wrong_location found by what the row's explanation says: at ``place`` of ``file``."""
        single = c.detail_ids[0] if len(c.detail_ids) == 1 else None
        return _row_flag("citation_wrong_location", self.name, c, {
            "detail_id": single or (c.target_raw or ", ".join(c.detail_ids)),
            "found": f"{place} of {PurePosixPath(file).name}", "cited": cited_label(c, files), **scores,
            "basis": f" The row's explanation {basis}.",
        }, file=file, detail_id=single)

    def _opening(self, ctx: ScreeningContext, c: Citation, files: list[str],
                 artifacts: dict[str, Document]) -> list[RaisedFlag]:
        """citation_wrong_location for a row that cites the opening of a recording (its preamble:
        who, when, where) while its explanation describes what is said later. Candidates take the
        time stamp from the start of the file by mistake; the explanation says what they meant.
        Meaning, not words: a recogniser garbles the particulars a candidate names ("partner
        reading" heard as "part reading"), so the explanation is compared with each stretch of
        the recording by embedding similarity."""
        cfg = ctx.settings.citations
        if cfg.spoken_opening_margin is None or len(c.locations) != 1 or not c.explanation.strip():
            return []
        loc = c.locations[0]
        recordings = [f for f in files if artifacts[f].segments]
        if loc.kind != "time" or loc.start is None or len(recordings) != 1:
            return []
        file = recordings[0]
        doc = artifacts[file]
        segments, text = doc.segments, doc.pages[0].text
        start, end = float(loc.start), float(loc.end if loc.end is not None else loc.start)
        if not _starts_in_opening(doc, loc):
            return []
        if end - start > 0.5 * (segments[-1].end_s - segments[0].start_s):
            # most of the recording: a row citing the whole meeting, not its preamble, whose
            # closing summary is naturally closer to the explanation than the long stretch is
            return []
        spans = [(s.start_s, s.end_s) for s in segments]
        said = [text[s.char_start:s.char_end] for s in segments]
        cited = " ".join(x for (a, b), x in zip(spans, said) if heard_in(a, b, start, end))
        others = [(spans[i][0], spans[j - 1][1], " ".join(said[i:j])) for i, j in stretch_runs(spans, max(end - start, 5.0))
                  if _mostly_outside(spans[i][0], spans[j - 1][1], start, end)]
        if not cited.strip() or not others:
            return []
        if any(m.group().lower() in cited.lower() for m in _WHEN.finditer(c.explanation)):
            # "The debrief takes place the morning after the walkthrough", and the opening says "the
            # morning after": a recording says when it took place at its start, and the row cites that
            return []
        from ..embedding import get_embedder

        vectors = get_embedder(ctx.settings).encode([c.explanation, cited, *(o[2] for o in others)])
        sims = vectors[1:] @ vectors[0]
        k = int(np.argmax(sims[1:]))
        cited_sim, found = float(sims[0]), float(sims[1 + k])
        if cited_sim > cfg.spoken_opening_cited_max or found - cited_sim < cfg.spoken_opening_margin:
            return []
        a, b, _ = others[k]
        return [self._told(c, files, file, f"at {mmss(a)}\u2013{mmss(b)}",
                           f"is closer in meaning to what is said there ({found:.2f}) than to the recording's "
                           f"opening, which it cites ({cited_sim:.2f})",
                           {"found_score": f"{found:.2f}", "cited_score": f"{cited_sim:.2f}"})]

    def _wrong_location(self, ctx: ScreeningContext, c: Citation, files: list[str],
                        pages: PageTerms, artifacts: dict[str, Document]) -> list[RaisedFlag]:
        cfg = ctx.settings.citations
        told = _explanation_pages(c, files, pages, cfg.explanation_min_terms, cfg.explanation_occasion_terms,
                                  not cfg.spoken_opening_never_found_by_words)
        if told is not None:
            cited_share, (file, label, share, shown) = told
            if share >= cfg.explanation_elsewhere_min and cited_share <= cfg.explanation_cited_max \
                    and share - cited_share >= cfg.explanation_margin:
                return [self._told(c, files, file, f"{'on ' if label.startswith('page') else 'at '}{label}",
                                   f"names {shown}, found there and not at the cited place",
                                   {"found_score": f"{share:.2f}", "cited_score": f"{cited_share:.2f}"})]
        figures = _figures_elsewhere(c, files, pages, cfg.explanation_min_figures)
        if figures is not None:  # after the word rule, whose message quotes more
            file, label, shown = figures
            return [self._told(c, files, file, f"on {label}",
                               f"gives the figures {shown}, all found there and none at the cited place", {})]
        contained = _explanation_contained(c, files, pages, cfg.explanation_min_terms, cfg.explanation_occasion_terms,
                                           cfg.explanation_contained_extra, cfg.explanation_contained_min)
        if contained is not None:
            file, label, shown = contained
            return [self._told(c, files, file, f"on {label}", f"names {shown}, found there and not at the cited "
                               "place, and the rest of what it names is on both", {})]
        if told is not None and told[0] >= cfg.explanation_cited_confirms:
            return []  # the cited place holds what the explanation describes: the candidate read it there
        places = [Place(f, loc) for f in files for loc in c.locations if loc.kind in ("page", "slide", "time")]
        if cfg.spoken_opening_when_stays and places and all(pl.location.kind == "time" for pl in places) \
                and _WHEN.search(c.explanation) and _cites_opening(places, artifacts):
            # "The debrief takes place the day after the walkthrough": when the meeting took place
            # is said in its opening, however the recogniser heard it, and the row cites that
            return []
        opening = self._opening(ctx, c, files, artifacts)
        if opening:
            return opening
        if not places or ctx.scores.size == 0:
            return []
        columns = score_columns(ctx)
        in_place = held(places, ctx.scored_passages)
        if not in_place.any():
            return []  # nothing readable at the cited place (a scan, a page with no text): cannot judge
        # Only the cited file's other places: a page or stretch off from the right one is the slip
        # a similarity score can point at. Another file scoring higher says little, since a detail
        # is evidenced by many files in their own words (independent dev data: every such flag
        # was false). And a transcript is a lossy copy of what was said (misheard words, no
        # headings), so a recording is compared only with itself.
        in_artifacts = np.array([p.part == "portfolio" and p.file in files for p in ctx.scored_passages])
        mcfg = ctx.settings.mapping
        # A row is judged against all its targets together: a row citing "EO 2" points at the
        # evidence for the EO, and a place that addresses any of its details is not wrong. One
        # detail per row is the same rule with one column.
        cols = [columns[d] for d in c.detail_ids if d in columns]
        if not cols:
            return []
        # The cited place is judged without competition (does it address the targets at all?),
        # the alternative with it (is it clearly about them?): a page about several details at
        # once is not called wrong for being about the others too.
        cited_best = float(ctx.raw_scores[np.ix_(in_place, cols)].max())
        # A page more about the row's targets than about any other detail is not wrong for them,
        # however low it scores: a walkthrough tally or a data table scores low against every
        # detail, and the similarity of its neighbour's prose says nothing about it.
        if cfg.wrong_location_cited_other_margin is not None \
                and float(ctx.raw_scores[in_place].max()) - cited_best < cfg.wrong_location_cited_other_margin:
            return []
        best_elsewhere = ctx.scores[:, cols].max(axis=1)
        spoken = all(pl.location.kind == "time" for pl in places)
        candidates = in_artifacts & ~in_place
        if spoken:
            candidates &= ~_in_opening(ctx.scored_passages, artifacts)
        elif cfg.title_slide_never_found and any(pl.location.kind == "slide" for pl in places):
            candidates &= ~_title_slide(ctx.scored_passages, files)
        elsewhere = np.where(candidates, best_elsewhere, -1.0)
        k = int(elsewhere.argmax())
        found = float(elsewhere[k])
        # A recording cited by time is compared with its own other stretches, on the scale
        # transcripts score on: spoken, misheard wording scores lower against the rubric than a
        # typed page, so the thresholds for typed pages would never let a stretch "elsewhere" win.
        # A page clearly about the targets may win by the usual margin; one only near them, by more.
        typed_rule = cited_best < cfg.wrong_location_max_cited and (
            found >= mcfg.met_threshold
            or found >= cfg.wrong_location_near_found and found - cited_best >= cfg.wrong_location_near_margin)
        spoken_rule = spoken and cited_best < cfg.wrong_location_spoken_max_cited \
            and found >= cfg.wrong_location_spoken_min_found
        if not ((typed_rule or spoken_rule) and found - cited_best >= cfg.wrong_location_margin):
            return []
        p = ctx.scored_passages[k]
        if spoken and cfg.spoken_words_confirm \
                and _words_stay(c, pages, told, p, cfg.explanation_occasion_terms):
            return []
        cited = " and ".join(f"{place_label(pl.location)} of {PurePosixPath(pl.file).name}" for pl in places)
        single = c.detail_ids[0] if len(c.detail_ids) == 1 else None
        return [_row_flag("citation_wrong_location", self.name, c, {
            "detail_id": single or (c.target_raw or ", ".join(c.detail_ids)), "found": _where(p), "cited": cited,
            "found_score": f"{found:.2f}", "cited_score": f"{max(cited_best, 0):.2f}",
            "basis": f" (Similarity to the detail: {found:.2f} there, {max(cited_best, 0):.2f} at the cited place.)",
        }, file=p.file, detail_id=single)]


def _starts_in_opening(doc: Document, loc: Location) -> bool:
    """Whether a cited time starts within the first transcript segment of the recording: it
    cites the opening (who met, when, what they will cover)."""
    return bool(doc.segments) and loc.start is not None and float(loc.start) <= doc.segments[0].end_s


def _cites_opening(places: list[Place], artifacts: dict[str, Document]) -> bool:
    return any(pl.file in artifacts and _starts_in_opening(artifacts[pl.file], pl.location) for pl in places)


def _words_stay(c: Citation, pages: PageTerms, told: tuple[float, tuple[str, str, float, str]] | None,
                found: Passage, occasion: bool = False) -> bool:
    """Whether the row's explanation shares more of its distinctive words with the stretch it
    cites than with the stretch a similarity score sends it to. A recording's stretches score low
    and close together against the rubric (misheard words, no headings), so the score alone can
    pick a neighbouring stretch that only mentions a related thing; the candidate's own words
    ("decide the spring changes", "leading the discussion session") heard where they cite, two
    words more than at that stretch, says they described what they cited. The opening's words
    (who meets, when) are left out: they name the occasion, and a row citing the opening itself is
    judged by the opening rule."""
    if told is None or found.start_s is None or told[0] <= 0 or not pages.by_segment.get(found.file):
        return False
    opening = pages.by_segment[found.file][0][2]
    terms = pages.distinctive(c.explanation if occasion else _OCCASION.sub(" ", c.explanation)) - opening
    if not terms:
        return False
    end = float(found.end_s if found.end_s is not None else found.start_s)
    there = pages.time_terms(found.file, float(found.start_s), end) or frozenset()
    first_end = pages.by_segment[found.file][0][1]
    cited = [t for loc in c.locations if loc.kind == "time" and loc.start is not None and float(loc.start) > first_end
             and (t := pages.time_terms(found.file, float(loc.start), float(loc.end if loc.end is not None else loc.start)))]
    heard = max((len(terms & t) for t in cited), default=0)
    # two words more: one shared word ("look", "number") is chance in a minute of talk
    return heard >= len(terms & there) + 2


def _eo_of_unknown(target: object, eos: set[str]) -> str | None:
    """The EO of a detail id the rubric does not have, when its EO exists ("2.4" in an EO 2 of
    three details): the row is about that EO, and the assessor is told which."""
    m = re.match(r"\s*(?:(?:eo|detail)\s*)?(\d{1,2})\.\d{1,2}\s*$", str(target), re.I)
    return m.group(1) if m and m.group(1) in eos else None


_PAGE_REF = re.compile(r"\b(?:pp?\.|pages?|slides?)\s*(\d+)(?:\s*[-–]\s*(\d+))?", re.I)


def _pages_named(explanation: str) -> set[int]:
    """Pages or slides the row's explanation itself points to ("calendar on p. 2; decision also
    on p. 1"): the candidate cites them too, so evidence found there is not elsewhere."""
    out: set[int] = set()
    for m in _PAGE_REF.finditer(explanation):
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) else a
        out.update(range(a, min(b, a + 50) + 1))
    return out


def _found_page(flag: RaisedFlag) -> int | None:
    """The page or slide a citation_wrong_location flag sends the row to (None for a time)."""
    m = re.search(r"\b(?:page|slide) (\d+)", str(flag.params.get("found", "")))
    return int(m.group(1)) if m else None


def _in_opening(passages: tuple[Passage, ...], artifacts: dict[str, Document]) -> np.ndarray:
    """Which passages overlap the first transcript segment of their recording. The opening names
    the meeting and what it will cover ("this is the fourth grade PLC data meeting", "start with
    the coaching cycles"), so it scores on the details it only announces: it is never offered as
    the place where a detail's evidence is (independent corpus: both similarity flags that did so
    were on clean rows citing the discussion itself)."""
    first = {name: doc.segments[0].end_s for name, doc in artifacts.items() if doc.segments}
    return np.array([p.start_s is not None and p.file in first and p.start_s < first[p.file]
                     for p in passages], dtype=bool)


def _title_slide(passages: tuple[Passage, ...], decks: list[str]) -> np.ndarray:
    """Which passages are on the first page of a deck the row cites by slide. A title slide names
    the session and what it covers ("Assessment literacy: what our assessments are for"), so it
    scores on every detail it only announces, as a recording's opening does: it is never offered
    as the place where a detail's evidence is (independent test103: the one clean row sent there,
    by similarity, cited the slide that teaches it)."""
    return np.array([p.page == 1 and p.file in decks for p in passages], dtype=bool)


def _mostly_outside(start: float, end: float, cited_start: float, cited_end: float) -> bool:
    """Whether the stretch start-end lies mostly outside the cited stretch: another place the
    row could have meant."""
    return min(end, cited_end) - max(start, cited_start) <= 0.5 * (end - start)


# A clause naming the occasion an artifact was presented or approved at: its words are where that
# occasion is recorded (a title slide, the meeting's minutes), not where the evidence is. It ends
# at a colon or a dash, which introduce what the artifact holds ("approved by the BLT in August:
# two CFAs per unit, …").
_OCCASION = re.compile(
    r"\b(?:presented|approved|adopted|endorsed|ratified|unveiled)\s+(?:to|by|at|with|in|on|during)\b[^.;:\u2013\u2014]*", re.I)


def _explanation_pages(
    c: Citation, files: list[str], pages: PageTerms, min_terms: int, occasion: bool = False,
    opening_found: bool = True,
) -> tuple[float, tuple[str, str, float, str]] | None:
    """Where the row's explanation's own words are: (share of its distinctive terms at the cited
    place, (file, label, share, quoted terms) of the best other place: a page of any paged
    artifact, or a stretch of a cited recording as long as the cited one).

    A candidate writes the explanation with the artifact open: it names what is on the page (the
    teacher, "15 of 20 students", "A/B role cards") or said at that moment of the recording. Those
    words are found where they are about, which a similarity score to the rubric's wording cannot
    tell apart from its neighbours (a data table or a form scores low against every detail; a
    transcript's spoken wording scores lower than a typed page's). Distinctive terms leave out the
    rubric's wording, which is on every page of a submission about it; unless ``occasion``, so do
    the words of a clause saying when or by whom the artifact was presented or approved. ``None`` when the
    explanation has fewer than ``min_terms`` of them or nothing readable is at the cited place.
    Unless ``opening_found``, a row citing a later stretch is never sent to the recording's
    opening."""
    terms = set(pages.distinctive(c.explanation if occasion else _OCCASION.sub(" ", c.explanation)))
    if len(terms) < min_terms:
        return None
    cited_pages = pages_cited(c, files)
    cited_times = [(f, float(loc.start), float(loc.end if loc.end is not None else loc.start))
                   for f in files if f in pages.by_segment for loc in c.locations
                   if loc.kind == "time" and loc.start is not None]
    cited_terms = pages.at(c, files)
    if not cited_terms:
        return None  # nothing readable at the cited place: cannot judge
    cited = max(len(terms & t) / len(terms) for t in cited_terms)
    # A transcript is a lossy copy of what was said: a recording cited by time is compared only
    # with its own other stretches, never with a typed page that says the same more exactly.
    others: list[tuple[str, str, frozenset[str]]] = [] if cited_times and not cited_pages else [
        (f, f"page {n}", t) for (f, n), t in pages.by_page.items() if (f, n) not in cited_pages]
    for f, a, b in cited_times:
        opening = pages.by_segment[f][0][0] if pages.by_segment.get(f) else None
        for start, end, t in pages.windows(f, max(b - a, 5.0)):
            if not opening_found and start == opening and a > opening:
                continue  # who met, when and where: the words a row uses to say which meeting it cites
            if _mostly_outside(start, end, a, b):
                others.append((f, f"{mmss(start)}\u2013{mmss(end)}", t))
    if not others:
        return cited, ("", "", 0.0, "")
    # the best other place, preferring the cited file's own on a tie (a page off by a few)
    file, label, found = max(others, key=lambda o: (len(terms & o[2]), o[0] in files))
    shown = ", ".join(f"\u201c{t}\u201d" for t in sorted(_original_words(c.explanation, terms & found))[:4])
    return cited, (file, label, len(terms & found) / len(terms), shown)


def _explanation_contained(c: Citation, files: list[str], pages: PageTerms, min_terms: int, occasion: bool,
                          extra: int | None, share_min: float) -> tuple[str, str, str] | None:
    """(file, label, quoted terms) of another page of the cited file that holds every distinctive
    term of the explanation the cited page holds, ``extra`` more and ``share_min`` of them all.

    A candidate citing the page of another detail in the same PDF (the pathways page for the
    coaching log) cites a neighbour on the same topic: it shares the explanation's topic words,
    so neither the share rule nor a similarity score tells them apart. What the explanation adds
    beyond the topic (the count of visits, the teacher's name, the month) is on the page it was
    written from, and that page has the topic words too. The cited page holding any term the
    other lacks keeps it: the row may describe both. Only typed pages; a recording's stretches
    are judged by what was heard."""
    if extra is None or any(loc.kind == "time" for loc in c.locations):
        return None
    terms = set(pages.distinctive(c.explanation if occasion else _OCCASION.sub(" ", c.explanation)))
    cited_pages = pages_cited(c, files)
    if len(terms) < min_terms or not cited_pages:
        return None
    held = [terms & t for key, t in pages.by_page.items() if key in cited_pages]
    if not held:
        return None
    at_cited = set().union(*held)
    for (f, n), t in sorted(pages.by_page.items()):
        there = terms & t
        if f in files and (f, n) not in cited_pages and at_cited < there \
                and len(there - at_cited) >= extra and len(there) >= share_min * len(terms):
            shown = ", ".join(f"\u201c{w}\u201d" for w in sorted(_original_words(c.explanation, there - at_cited))[:4])
            return f, f"page {n}", shown
    return None


_DAY_OF_MONTH = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:\s*[-–]\s*(\d{1,2})\b)?\b", re.I)


def _figures(text: str) -> set[str]:
    """The data a text quotes: percentages and numbers of two or more digits, not years or
    days of a month (a date is on the title slide and in the header of every page of a dated
    plan: "presented to staff Aug 13")."""
    days = {d for m in _DAY_OF_MONTH.finditer(text) for d in m.groups() if d}  # "Oct 29-30": both days
    return {n for n in NUMBER.findall(text)
            if ("%" in n or len(n) >= 2) and not re.fullmatch(r"(?:19|20)\d\d", n) and n not in days}


def _figures_elsewhere(c: Citation, files: list[str], pages: PageTerms, least: int | None
                       ) -> tuple[str, str, str] | None:
    """(file, label, quoted figures) when the row's explanation quotes at least ``least``
    figures, none of them is on any cited page, and one other page holds them all and as many of
    the explanation's other terms as the cited page. Figures are the most particular thing an
    explanation says: a candidate copies "64% to 86%" from the page in front of them. Only page
    citations: a recogniser writes spoken numbers its own way."""
    if least is None:
        return None
    figures = _figures(c.explanation)
    cited = pages_cited(c, files)
    if len(figures) < least or not cited or any(loc.kind == "time" for loc in c.locations):
        return None
    held = pages.at(c, files, times=False)
    if not held or any(figures & t for t in held):
        return None
    # The page the figures came from holds at least as much of the rest of the explanation as
    # the cited one: a row may describe the cited page's own pilot and add a survey result
    # printed on another ("Pilot Lab ... 'Fail Forward Friday' ...; risk-taking item up from 44%
    # to 69%"), which is a summary, not a wrong page.
    terms = text_terms(c.explanation)
    at_cited = max(len(terms & t) for t in held)
    # the cited file's own pages first: a page off by one or two is the usual slip
    for (f, n), t in sorted(pages.by_page.items(), key=lambda kv: (kv[0][0] not in files, kv[0])):
        if (f, n) not in cited and figures <= t and len(terms & t) >= at_cited:
            return f, f"page {n}", ", ".join(f"\u201c{x}\u201d" for x in sorted(figures))
    return None


def _original_words(text: str, found: set[str]) -> set[str]:
    """The explanation's own words behind the matched stems and numbers, for the message."""
    return {m.group() for m in re.finditer(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,:/]\d+)*%?", text) if text_terms(m.group()) & found}


def _rubric_words(ctx: ScreeningContext, detail_ids: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for eo, detail in ctx.rubric.details():
        if detail.id in detail_ids:
            out.update(content_stems(f"{detail.text} {eo.text}"))
    return out


# When, said without a date: "the morning after the observation", "the next day", "within two
# days". For timely feedback or follow-up that is the particular an assessor checks.
_WHEN = re.compile(
    r"\b(?:same|next|following)\s+(?:day|morning|afternoon|week)\b"
    r"|\b(?:morning|afternoon|evening|day|week)\s+(?:after|before)\b"
    r"|\bwithin\s+(?:an?|one|two|three|four|five|\d+)\s+(?:school\s+)?(?:days?|hours?|weeks?)\b",
    re.I,
)


def _names_a_particular(explanation: str, rubric_words: set[str], rubric_acronyms: frozenset[str] = frozenset()) -> bool:
    """A number, a date, an acronym or a name the rubric does not use: something an assessor
    can look for at the cited place. A capitalised word inside a sentence that the rubric does
    not use is a name ("Ms. Ruiz", "May"); a time said in words ("the morning after the
    observation") is a date. An abbreviation in ``rubric_acronyms`` is the rubric's term."""
    if re.search(r"\d", explanation) or _WHEN.search(explanation) \
            or any(m.group() not in rubric_acronyms for m in re.finditer(r"\b[A-Z][A-Z0-9&]+\b", explanation)):
        return True
    # a month or a day is a date, even the one spelled like a stop word ("We will evaluate in May")
    return any(w.lower() in MONTHS_DAYS or not set(content_stems(w)) <= rubric_words
               for w in re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+", explanation.strip()))


def _as_guidance(ctx: ScreeningContext, c: Citation) -> dict[str, object]:
    """A general explanation is reported at the level of the evidence it describes: where every
    detail the row cites has weak or missing evidence that is guidance only (a derived detail of
    an EO evidenced as a whole), the general row is that thin evidence seen from the self-analysis,
    and the evidence flag beside it says what to add. Independent authors plant such a row as
    weak evidence for its detail far more often than as a problem of the row."""
    if not ctx.settings.citations.generic_explanation_guidance or not c.detail_ids:
        return {}
    thin = {ev.detail_id for ev in ctx.evidence if ev.status != Status.MET}
    if not set(c.detail_ids) <= thin:
        return {}
    guidance = guidance_details(ctx)
    if not set(c.detail_ids) <= set(guidance):
        return {}
    ids = ", ".join(c.detail_ids)
    return {"severity": "info", "note": (
        f"The evidence for {ids} is thin and guidance only ({guidance[c.detail_ids[0]]}; see the evidence "
        "note for it), so this is guidance only too.")}


def _generic_explanation(explanation: str, ctx: ScreeningContext, detail_ids: tuple[str, ...]) -> str | None:
    """What is wrong with an explanation long enough to pass the word minimum that still says
    nothing an assessor can check, or None. Either nearly every content word comes from the
    cited details' (or their EOs') wording, or it is one short general claim partly in those
    words ("Teachers were given the resources and support they needed to use the framework."):
    fewer than ``citations.explanation_min_content_words`` content words, a quarter of them the
    rubric's, and a finite verb. Neither when it names a particular: "Alignment plan written by
    the ILT with actions, responsibilities and timelines" says who."""
    words = content_stems(explanation)
    if not words:
        return None
    rubric_words = _rubric_words(ctx, detail_ids)
    acronyms = RubricWording.of(ctx.rubric).acronyms if ctx.settings.citations.explanation_rubric_acronyms else frozenset()
    if _names_a_particular(explanation, rubric_words, acronyms):
        return None
    share = sum(w in rubric_words for w in words) / len(words)
    if share >= 0.8:
        return "mostly restates the detail's wording instead of saying what the evidence shows"
    least = ctx.settings.citations.explanation_min_content_words
    if least is not None and len(words) < least and share >= 0.25 and _is_a_claim(explanation, ctx):
        return ("is a general statement that names nothing an assessor can find at the cited place (no person, "
                "number, date or document)")
    return None


_LIST_SEPARATOR = re.compile(r",|;|\band\b")


def _describes_cited_place(ctx: ScreeningContext, c: Citation, files: list[str], pages: PageTerms) -> bool:
    """Whether the cited page holds the explanation's words: "Written plan with goals, actions,
    responsibilities and timelines" in the rubric's own words, citing a plan page whose columns
    are Goal, Action, Responsible and Timeline, tells an assessor what they will find there. A
    claim of what happened ("Teachers were given what they needed") is rarely on the page in
    its own words, and when it is ("Pacing for the unit was discussed with the team." over a page
    that says just that) the page is as thin as the explanation: only an explanation that lists
    what the page holds (three things or more) is read this way. Page and slide citations only:
    a transcript is the recogniser's wording. The detail copied out ("This shows that the
    principal provides the materials, technology and planning time …") says nothing of the page
    however much of it the page repeats."""
    cfg = ctx.settings.citations
    if cfg.explanation_on_page_min is None or len(_LIST_SEPARATOR.findall(c.explanation)) < 2:
        return False
    details = [d.text for d in map(ctx.rubric.detail, c.detail_ids) if d is not None]
    if any(SequenceMatcher(None, c.explanation.lower(), d.lower()).ratio() >= cfg.explanation_copied_min for d in details):
        return False
    # six-letter stems: a plan's "Responsible" column is the rubric's "responsibilities"
    words = {w[:6] for w in content_stems(c.explanation)}
    held = pages.at(c, files, times=False)
    if len(words) < cfg.explanation_on_page_min_words or not held:
        return False
    return len(words & {t[:6] for t in frozenset().union(*held)}) >= cfg.explanation_on_page_min * len(words)


_FINITE = frozenset({"VBD", "VBZ", "VBP", "MD"})  # past, present and modal verbs: a claim


def _is_a_claim(explanation: str, ctx: ScreeningContext) -> bool:
    """A sentence with a finite verb claims something happened ("Pacing for the unit was
    discussed with the team."); a phrase without one describes the document cited ("Written
    form with strength, area for growth and dated next steps."), which is what an assessor
    needs to find it. A verb after a relative or question word belongs to a clause inside such a
    phrase ("Three monitoring checkpoints with what was looked at and the adjustment made at
    each"), so only a finite verb before the first of those words makes a claim."""
    from ..models import spacy_entity_pipeline

    for t in spacy_entity_pipeline(ctx.settings.models)(explanation):
        if t.lower_ in _CLAUSE_WORDS:
            return False
        if t.tag_ in _FINITE:
            return True
    return False


_CLAUSE_WORDS = frozenset("what which that who whom whose where when how why".split())
