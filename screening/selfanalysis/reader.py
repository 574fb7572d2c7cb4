"""Read a self-analysis file into citations resolved against a rubric. Never raises for a bad
file: every difficulty becomes a :class:`SelfAnalysisProblem` an assessor can read."""

from __future__ import annotations

from pathlib import Path

from ..rubric import Rubric
from .artifacts import split_artifact_names
from .grids import MAX_ROWS, Grid, GridError, read_grids
from .headers import normalise_header
from .locations import artifact_mentions, parse_locations
from .model import Citation, ProblemCode, SelfAnalysis, SelfAnalysisProblem
from .table import Table, TableRow, assemble
from .targets import TargetResolver

EXPECTED_HEADERS = "EO detail, Artifact, Location, Explanation"
_ROLE_EXAMPLES = {
    "detail": "EO detail",
    "artifact": "Artifact",
    "location": "Location (page, slide or time stamp)",
    "explanation": "Explanation",
}


def _default_kind(header: str) -> str | None:
    """What a bare number means in this location column: "Page" → page, "Slide #" → slide;
    nothing when the header allows several kinds ("Page / time stamp")."""
    words = set(normalise_header(header).split())
    other = {"time", "stamp", "timestamp", "video", "minute", "minutes"}
    if words & {"page", "pages", "pg", "pp"} and not words & (other | {"slide", "slides"}):
        return "page"
    if words & {"slide", "slides"} and not words & (other | {"page", "pages"}):
        return "slide"
    return None


def _problem(code: ProblemCode, row: int | None = None, **params: object) -> SelfAnalysisProblem:
    return SelfAnalysisProblem(code.value, row, {k: str(v) for k, v in params.items()})


def _citation(
    row: TableRow, table: Table, resolver: TargetResolver, problems: list[SelfAnalysisProblem]
) -> Citation:
    cells, n = row.cells, row.number
    # A line break inside a cell separates items in a list cell and is wrapping in prose.
    target = cells.get("detail", "").replace("\n", ", ")
    artifact = cells.get("artifact", "").replace("\n", "; ")
    location = cells.get("location", "").replace("\n", "; ")
    explanation = " ".join(cells.get("explanation", "").split())
    label = target or f"row {n}"

    ids: tuple[str, ...] = ()
    if "detail" in cells:
        if not target:
            problems.append(_problem(ProblemCode.NO_TARGET, n, artifact=artifact))
        else:
            res = resolver.resolve(target)
            ids = res.detail_ids
            for unknown in res.unknown:
                problems.append(_problem(ProblemCode.UNKNOWN_TARGET, n, target=unknown, closest=""))
            if not ids and not res.unknown:
                closest = f"{res.closest} ({res.score:.2f})" if res.closest else ""
                problems.append(_problem(ProblemCode.UNKNOWN_TARGET, n, target=target, closest=closest))
            elif res.by_wording:
                problems.append(
                    _problem(ProblemCode.TARGET_BY_WORDING, n, target=target, detail_id=ids[0], score=f"{res.score:.2f}")
                )

    mentioned, rest = artifact_mentions(location, split_artifact_names(artifact))
    if mentioned:
        problems.append(_problem(ProblemCode.ARTIFACT_IN_LOCATION, n, artifact="; ".join(mentioned), location=location))
        if not artifact:
            # The name is there, only in the wrong column: use it rather than lose the row.
            artifact = "; ".join(mentioned)
    if "artifact" in cells and not artifact:
        problems.append(_problem(ProblemCode.NO_ARTIFACT, n, target=label))

    locations, unparsed = parse_locations(rest, default_kind=_default_kind(table.header.headers.get("location", "")))
    if "location" in cells and not location.strip():
        problems.append(_problem(ProblemCode.NO_LOCATION, n, target=label))
    if unparsed:
        problems.append(_problem(ProblemCode.UNPARSED_LOCATION, n, text="; ".join(unparsed), target=label))
    if "explanation" in cells and not explanation:
        problems.append(_problem(ProblemCode.NO_EXPLANATION, n, target=label))
    return Citation(n, ids, target, artifact, tuple(locations), tuple(unparsed), explanation)


def _no_header(grids: list[Grid]) -> SelfAnalysisProblem:
    seen = next((" | ".join(c for c in r if c) for g in grids for r in g.rows if any(r)), "")
    return _problem(ProblemCode.NO_HEADER, seen=seen[:200], expected=EXPECTED_HEADERS)


def _read(path: Path, rubric: Rubric) -> SelfAnalysis:
    try:
        grids = read_grids(Path(path))
    except GridError as err:
        code = ProblemCode.NO_TABLE if err.code == "no_table" else ProblemCode.UNREADABLE
        return SelfAnalysis((), {}, (_problem(code, reason=err.reason),))
    table = assemble(grids)
    if table is None:
        return SelfAnalysis((), {}, (_no_header(grids),))
    problems = [
        _problem(ProblemCode.MISSING_COLUMN, role=role, expected=_ROLE_EXAMPLES[role]) for role in table.header.missing
    ]
    if not table.rows:
        problems.append(_problem(ProblemCode.NO_TABLE, reason="the table has a header but no rows"))
        return SelfAnalysis((), dict(table.header.headers), tuple(problems))
    resolver = TargetResolver(rubric)
    citations = [_citation(row, table, resolver, problems) for row in table.rows]
    if table.truncated:
        problems.append(_problem(ProblemCode.TOO_MANY_ROWS, limit=MAX_ROWS))
    if "detail" in table.header.index:
        cited = {d for c in citations for d in c.detail_ids}
        for _, detail in rubric.details():
            if detail.id not in cited:
                problems.append(_problem(ProblemCode.DETAIL_NOT_CITED, detail_id=detail.id, detail_text=detail.text))
    return SelfAnalysis(tuple(citations), dict(table.header.headers), tuple(problems))


def read_self_analysis(path: Path, rubric: Rubric) -> SelfAnalysis:
    """Read the self-analysis at ``path`` (CSV/TSV, XLSX, DOCX, PDF, JSON, YAML or a Markdown
    table, decided by content) and resolve each row against ``rubric``."""
    try:
        return _read(path, rubric)
    except Exception as exc:  # last line of defence: a bad file must never stop the screening
        reason = f"the table could not be read ({type(exc).__name__}: {str(exc)[:120]})"
        return SelfAnalysis((), {}, (_problem(ProblemCode.UNREADABLE, reason=reason),))


__all__ = ["read_self_analysis"]
