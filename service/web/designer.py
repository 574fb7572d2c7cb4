"""Pages: program designer. Per MC, the analyses of ``screening analyse`` on the service's own
data (service/pilot_analysis.py over the pilot export of service/pilot_export.py): findings in
plain words, the tables that matter, plots as PNG images drawn on request, the agreement figures,
and the de-identified exports as downloads. Admins may open these pages too, as they may call
the same exports in the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from .. import pilot_analysis, program_stats, rubric_store
from .. import programs as program_flow
from .. import stats as counting
from ..deps import DB, State
from ..errors import ApiError
from ..models import User
from ..pilot_export import pilot_data, pilot_zip, screening_rows
from .session import role
from .templating import render

router = APIRouter(include_in_schema=False)
Designer = Annotated[User, Depends(role("program_designer", "admin"))]


def _versions(session: DB, rubric_id: str) -> list[Any]:
    rows = rubric_store.versions(session, rubric_id)
    if not rows:
        raise ApiError("not_found", f"There is no MC {rubric_id!r}.")
    return rows


def _title(rows: list[Any]) -> str:
    live = next((r for r in rows if r.retired_at is None), rows[0])
    return str(live.title)


@router.get("/designer")
def home(request: Request, session: DB, user: Designer) -> Response:
    counts = counting.counts(session)
    mcs = []
    ids = {r.rubric_id for r in rubric_store.current_versions(session)} | set(counts.submissions)
    for rubric_id in sorted(ids):
        rows = rubric_store.versions(session, rubric_id)
        if not rows:
            continue
        by_status = counts.submissions.get(rubric_id, {})
        mcs.append({"id": rubric_id, "title": _title(rows), "submitted": by_status.get("submitted", 0),
                    "drafts": by_status.get("draft", 0), "versions": len(rows)})
    return render(request, "designer/home.html", nav="designer", title="Rubric analyses", mcs=mcs,
                  flags=counts.flags)


@router.get("/designer/programs")
def program_list(request: Request, session: DB, user: Designer) -> Response:
    """The programs, each with a link to its per-stack figures."""
    return render(request, "designer/programs.html", nav="designer", title="Program figures",
                  programs=program_flow.programs(session))


@router.get("/designer/programs/{program_id}")
def program_figures(request: Request, program_id: str, session: DB, state: State, user: Designer) -> Response:
    """Per stack: candidates following it, completions, time to complete, where candidates stall
    (service/program_stats.py, the same figures as ``GET /api/programs/{id}/figures``)."""
    figures = program_stats.figures(session, state.settings, program_id)
    return render(request, "designer/program.html", nav="designer", title=f"Program figures: {figures.title}",
                  f=figures, states=program_stats.STATES, labels=program_stats.STATE_LABELS)


@router.get("/designer/{rubric_id}")
def mc(request: Request, rubric_id: str, session: DB, user: Designer) -> Response:
    rows = _versions(session, rubric_id)
    return render(request, "designer/mc.html", nav="designer", title=f"Analyses: {_title(rows)}",
                  rubric_id=rubric_id, mc_title=_title(rows), versions=rows, inline=False)


@router.get("/designer/{rubric_id}/analysis")
def analysis(request: Request, rubric_id: str, session: DB, user: Designer) -> Response:
    """The analyses section: a fragment for htmx (loaded by the MC's page), or the whole page with
    the section in place for a browser without scripts."""
    rows = _versions(session, rubric_id)
    result = pilot_analysis.analyse(session, rubric_id)
    context: dict[str, Any] = {"rubric_id": rubric_id, "result": result, "sections": _sections(result)}
    if request.headers.get("HX-Request") == "true":
        return render(request, "designer/_analysis.html", **context)
    return render(request, "designer/mc.html", nav="designer", title=f"Analyses: {_title(rows)}",
                  mc_title=_title(rows), versions=rows, inline=True, **context)


def _sections(result: pilot_analysis.PilotAnalysis) -> list[dict[str, Any]]:
    out = []
    for i, r in enumerate(result.analysis.rubrics):
        s = r.summary
        missing = []
        if s.assessors == 0:
            missing.append("No assessor has finished marking a submission of this version yet, so there is nothing "
                           "to set the screener's advice against: the tables below show the screener's side only.")
        elif s.decided == 0:
            missing.append("No released decisions yet for this version: outcomes (earned or not yet) and the size "
                           "comparison need released decisions.")
        if s.assessors and s.double_marked == 0:
            missing.append("No submission was marked twice independently yet, so there are no agreement figures "
                           "and no comparison of markers.")
        out.append({"index": i, "r": r, "missing": missing, "plots": pilot_analysis.available_plots(r),
                    "agreement": [a for a in r.agreement if a.units > 0],
                    "rates": sorted(r.rates, key=lambda x: -(x.judged_missing if x.judged_missing == x.judged_missing
                                                             else -1)),
                    "pairs": sorted((p for p in r.pairs if p.both_evidenced), key=lambda p: -p.shared_share)[:8],
                    "advice": [a for a in r.advice if sum(map(sum, a.confusion))]})
    return out


@router.get("/designer/{rubric_id}/plots/{key}/{index}/{kind}.png")
def plot(rubric_id: str, key: str, index: int, kind: str, session: DB, user: Designer) -> Response:
    """One plot as a PNG, drawn from the analysis of the data state ``key`` (never a path from the request)."""
    _versions(session, rubric_id)
    result = pilot_analysis.cached(rubric_id, key)
    if result is None:  # computed by another process, or dropped from the cache: compute again
        result = pilot_analysis.analyse(session, rubric_id)
        if result.key != key:
            raise ApiError("not_found", "The data changed since the page was drawn: reload the page.")
    png = result.plot(index, kind)
    if png is None:
        raise ApiError("not_found", "There is no such plot.")
    # The key names the data the plot was drawn from, so the image never changes under this address.
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


def _download(body: bytes | str, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@router.get("/designer/{rubric_id}/pilot.json")
def pilot_json(rubric_id: str, session: DB, user: Designer) -> Response:
    _versions(session, rubric_id)
    return _download(pilot_data(session, rubric_id).model_dump_json(indent=2), "application/json",
                     f"pilot-{rubric_id}.json")


@router.get("/designer/{rubric_id}/pilot.zip")
def pilot_zip_file(rubric_id: str, session: DB, user: Designer) -> Response:
    _versions(session, rubric_id)
    return _download(pilot_zip(pilot_data(session, rubric_id)), "application/zip", f"pilot-{rubric_id}.zip")


@router.get("/designer/{rubric_id}/screenings.json")
def screenings_json(rubric_id: str, session: DB, user: Designer) -> Response:
    _versions(session, rubric_id)
    rows = screening_rows(session, rubric_id)
    body = "[" + ",\n".join(r.model_dump_json() for r in rows) + "]\n"
    return _download(body, "application/json", f"screenings-{rubric_id}.json")


@router.get("/designer/{rubric_id}/findings.json")
def findings_json(rubric_id: str, session: DB, user: Designer) -> Response:
    _versions(session, rubric_id)
    return _download(pilot_analysis.analyse(session, rubric_id).analysis.dumps(), "application/json",
                     f"analysis-{rubric_id}.json")
