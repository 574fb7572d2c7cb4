"""Pages: the assessor's queue and review page (admins use them too, to reconcile).

The queue (``/queue``) is ``service.queue.build``, the same as ``GET /api/queue``; the review page
(``/review/{id}``) shows what ``GET /api/assessments/{id}`` gives (the anonymised report, the
caller's own marking, the previous version and what changed) and records judgments with
``service.marking`` / ``service.assessment``, like the API's routers. Page handlers only parse,
authorise, call and present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from screening.rubric import Rubric

from .. import assessment as flow
from .. import marking, rubric_store
from .. import queue as queue_flow
from ..access import submitted_submission
from ..assess_schemas import DetailJudgment, FlagJudgment, LevelJudgment
from ..deps import DB, State
from ..errors import CODES, ApiError
from ..models import Assessment, Decision, Submission, User, utcnow
from ..review import anonymised_report, scrubber
from .links import file_ids_by_name, place_label, place_url
from .session import Csrf, role
from .templating import render

router = APIRouter(include_in_schema=False)
Marker = Annotated[User, Depends(role("assessor", "admin"))]
PER_PAGE_CHOICES = (10, 25, 50, 100)
SORT_NAMES = {"waiting": "Waiting longest first", "-waiting": "Newest first",
              "missing": "Most missing details first", "flags": "Most flags first", "version": "Resubmissions first"}
STAGE_NAMES = {"first": "First marking", "second": "Second marking", "reconcile": "Reconciliation",
               "released": "Released"}
STATUS_NAMES = {"met": "met", "weak": "weak", "missing": "missing"}
# Refusals in plain words (the API's titles speak to programs).
REFUSALS = {
    "claim_held": "Another assessor holds the claim on this submission.",
    "assigned_elsewhere": "This submission is assigned to another assessor.",
    "already_marked": "You marked this submission already: the next marking must be someone else's.",
    "reconciler_only": "Admins open a submission only to reconcile two markings.",
    "already_released": "The decision on this submission was released: it can no longer change.",
    "no_claim": "You do not hold the claim on this submission: claim it first.",
    "claim_expired": "Your claim on this submission expired: claim it again to go on (your decisions are kept).",
    "not_screened": "This submission's screening has not finished yet.",
}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _refusal(exc: ApiError) -> str:
    return REFUSALS.get(exc.spec.code, exc.detail)


def _holder_name(session: Session, user_id: str | None) -> str:
    other = session.get(User, user_id) if user_id else None
    return (other.display_name or other.email) if other is not None else "another assessor"


def _claim_view(session: Session, viewer: User, a: Assessment) -> dict[str, Any]:
    """The claim as the viewer may see it: their own, or held by another assessor until when
    (whose it is only for admins)."""
    live = flow.claim_is_live(a)
    mine = live and a.claimed_by == viewer.id
    if not live:
        text = "Not claimed"
    elif mine:
        text = "Claimed by you"
    elif viewer.role == "admin":
        text = f"Held by {_holder_name(session, a.claimed_by)}"
    else:
        text = "Held by another assessor"
    return {"live": live, "mine": mine, "held": live and not mine, "expires_at": a.claim_expires_at if live else None,
            "text": text}


# --- the queue --------------------------------------------------------------------------------

def _int(value: str | None, default: int, low: int, high: int) -> int:
    """A number from the address, or the default when it is missing or makes no sense."""
    try:
        n = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return n if low <= n <= high else default


@router.get("/queue")
def queue_page(request: Request, session: DB, state: State, user: Marker, rubric_id: str | None = None,
               stage: str | None = None, sort: str | None = None, mine: str | None = None,
               claimable: str | None = None, page: str | None = None, per_page: str | None = None,
               cursor: str | None = None, refused: str | None = None, notice: str | None = None) -> Response:
    rubrics = {r.rubric_id: r.title for r in rubric_store.current_versions(session)}
    chosen = {
        "rubric_id": rubric_id if rubric_id else "",
        "stage": stage if stage in queue_flow.STAGES else "",
        "sort": sort if sort in queue_flow.SORTS else "waiting",
        "mine": mine == "1", "claimable": claimable == "1",
        "per_page": _int(per_page, 25, 1, queue_flow.MAX_PER_PAGE),
    }
    filters = queue_flow.Filters(rubric_id=chosen["rubric_id"] or None, stage=chosen["stage"] or None,
                                 mine=chosen["mine"], claimable=chosen["claimable"], sort=chosen["sort"])
    try:
        q = queue_flow.build(session, user, state.settings.service, filters, _int(page, 1, 1, 1_000_000),
                             chosen["per_page"], cursor or None)
    except ApiError:  # a stale or mangled cursor (e.g. from another order): start at the first page
        q = queue_flow.build(session, user, state.settings.service, filters, 1, chosen["per_page"])
    if user.role == "admin":  # the holders' names, read at once (session.get then finds them)
        session.scalars(select(User).where(User.id.in_({e.assessment.claimed_by for e in q.entries
                                                         if e.assessment.claimed_by}))).all()
    rows = [{"e": e, "claim": _claim_view(session, user, e.assessment), "attempt": e.attempt,
             "title": rubrics.get(e.submission.rubric_id, e.submission.rubric_id),
             "may_open": user.role != "admin" or e.assessment.stage in ("reconcile", "released")} for e in q.entries]

    def page_url(at: str) -> str:
        """The address of the page a cursor names (Previous/Next), with the same filters and order."""
        params = {k: v for k, v in {"rubric_id": chosen["rubric_id"], "stage": chosen["stage"],
                                    "sort": chosen["sort"], "mine": "1" if chosen["mine"] else "",
                                    "claimable": "1" if chosen["claimable"] else "",
                                    "per_page": str(chosen["per_page"]), "cursor": at}.items() if v}
        return "/queue?" + urlencode(params)

    if rubric_id and rubric_id not in rubrics:  # a retired MC still has submissions: keep it choosable
        rubrics[rubric_id] = rubric_id
    gave_up = "You gave up your claim: the submission is back in the queue."
    return render(request, "assessor/queue.html", nav="queue", title="Queue", q=q, rows=rows, rubrics=rubrics,
                  chosen=chosen, sorts=SORT_NAMES, stages=STAGE_NAMES, per_page_choices=PER_PAGE_CHOICES,
                  page_url=page_url, refused=REFUSALS.get(refused or "", None),
                  notice=gave_up if notice == "given_up" else None)


def _claim(session: Session, state: Any, user: User, submission_id: str) -> str | None:
    """Take or renew the claim; the refusal's code, or None when it worked."""
    sub = submitted_submission(session, user, submission_id)
    try:
        flow.claim(session, user, sub, state.settings.service)
    except ApiError as exc:
        if exc.spec.status == 404:
            raise
        return exc.spec.code
    session.commit()
    return None


@router.post("/queue/{submission_id}/claim", dependencies=[Csrf])
def claim_from_queue(submission_id: str, session: DB, state: State, user: Marker) -> Response:
    code = _claim(session, state, user, submission_id)
    if code == "reconciler_only":
        return RedirectResponse(f"/queue?refused={code}", status_code=303)
    return RedirectResponse(f"/review/{submission_id}" + (f"?refused={code}" if code else ""), status_code=303)


@router.post("/review/{submission_id}/claim", dependencies=[Csrf])
def claim_from_review(submission_id: str, session: DB, state: State, user: Marker) -> Response:
    code = _claim(session, state, user, submission_id)
    return RedirectResponse(f"/review/{submission_id}" + (f"?refused={code}" if code else "?renewed=1"),
                            status_code=303)


@router.post("/review/{submission_id}/unclaim", dependencies=[Csrf])
def give_up_claim(submission_id: str, session: DB, user: Marker) -> Response:
    sub = submitted_submission(session, user, submission_id)
    try:
        flow.release_claim(session, user, sub)
    except ApiError as exc:
        return RedirectResponse(f"/review/{submission_id}?refused={exc.spec.code}", status_code=303)
    session.commit()
    return RedirectResponse("/queue?notice=given_up", status_code=303)


# --- the review page ----------------------------------------------------------------------------

@dataclass
class Feedback:
    """What to show beside one item after a form was sent: an error, or what was typed."""

    errors: dict[str, str] = field(default_factory=dict)
    typed: dict[str, dict[str, str]] = field(default_factory=dict)
    saved: str | None = None  # the item just saved


def _panel_url(url: str | None) -> str | None:
    if not url:
        return None
    path, _, query = url.partition("?")
    return f"{path}/panel" + (f"?{query}" if query else "")


def _rubric_for(session: Session, report: dict[str, Any], mine: Decision | None) -> Rubric | None:
    if mine is not None:
        return flow.rubric_of(mine)
    ref = report.get("rubric", {})
    try:
        return rubric_store.load(session, ref.get("id", ""), str(ref.get("version", "")))
    except Exception:  # noqa: BLE001 - an unreadable rubric: the page shows the report's own texts
        return None


def _data(d: Decision | None) -> dict[str, Any]:
    return flow.decision_data(d) if d is not None else {"flags": {}, "details": {}, "eo_levels": {}, "state": None}


def _review_context(session: Session, state: Any, user: User, sub: Submission,
                    feedback: Feedback | None = None) -> dict[str, Any]:
    svc = state.settings.service
    work = flow.screened(session, sub)
    a = marking.current_assessment(session, sub, svc)
    marking.admin_may_read(user, a)
    scrub = scrubber(session, sub)
    report = anonymised_report(work.report, scrub)
    mine = flow.my_decision(session, user, a) if a.stage != "released" else None
    judged = report
    if mine is not None and mine.job_id != work.job_id:  # a marking pinned to an older screening
        judged = anonymised_report(marking.report_of(session, mine), scrub)
    rubric = _rubric_for(session, judged, mine)
    claim = _claim_view(session, user, a)
    editable = claim["mine"] and a.stage != "released"
    ids = file_ids_by_name(session, sub, user)

    def place(item: dict[str, Any]) -> dict[str, Any] | None:
        url = place_url(sub.id, ids, item)
        if url is None:
            return None
        return {"url": url, "panel": _panel_url(url), "label": place_label(item), "file": item.get("file")}

    # The markings beside one's own: both independent ones when reconciling, the final one when released.
    beside: list[tuple[str, dict[str, Any]]] = []
    if a.stage in ("reconcile", "released") and session.get(Assessment, sub.id) is not None:
        for d in flow.visible_decisions(session, user, a, sub.id):
            if d.state != "final":
                continue
            label = {"first": "First marker", "second": "Second marker", "reconciler": "Reconciler"}[d.role]
            if a.stage == "released" and d.id == a.released_decision_id:
                label = "Released decision"
            elif a.stage == "released":
                continue
            beside.append((label, _data(d)))
    previous = marking.previous_version(session, sub)
    diff = marking.diff_since_previous(session, sub, previous, work.report, scrub)
    prev_decision = _data(previous.decision) if previous is not None and previous.decision is not None else None
    details_by_id = {d["id"]: d for d in judged.get("details", [])}
    eos = []
    if rubric is not None:
        for eo in rubric.essential_outcomes:
            found = next((e for e in judged.get("eos", []) if e.get("id") == eo.id), {})
            eos.append({"id": eo.id, "title": eo.title or found.get("title") or eo.id, "text": eo.text,
                        "details": [details_by_id.get(d.id, {"id": d.id, "eo": eo.id, "text": d.text,
                                                                "status": "missing", "evidence": []})
                                    for d in eo.details]})
    else:
        for eo in judged.get("eos", []):
            eos.append({"id": eo["id"], "title": eo.get("title") or eo["id"], "text": eo.get("text", ""),
                        "details": [details_by_id[d] for d in eo.get("details", []) if d in details_by_id]})
    my = _data(mine)
    flags = judged.get("flags", [])
    n_details = sum(len(eo["details"]) for eo in eos)
    progress = {"flags": (sum(f["ref"] in my["flags"] for f in flags), len(flags)),
                "details": (sum(d["id"] in my["details"] for eo in eos for d in eo["details"]), n_details),
                "levels": (sum(eo["id"] in my["eo_levels"] for eo in eos), len(eos))}
    finish_label = {"first": "Finish the first marking" if a.double_marking else "Release the decision",
                    "second": "Finish the second marking", "reconcile": "Release the reconciled decision"}
    why_not = flow.why_not_claimable(session, user, a)
    return {
        "sub": sub, "a": a, "stage_name": STAGE_NAMES.get(a.stage, a.stage), "claim": claim, "editable": editable,
        "why_not": REFUSALS.get(why_not or "", None) if why_not not in (None, "claim_held") else None,
        "may_claim": why_not is None and not claim["mine"],
        "report": judged, "rubric": rubric, "rubric_title": (rubric.title if rubric else judged["rubric"]["id"]),
        "levels": [(lvl.id, lvl.label, lvl.description) for lvl in rubric.proficiency_levels] if rubric else [],
        "required_level": rubric.required_level if rubric else None,
        "eos": eos, "flags": flags, "my": my, "beside": beside, "place": place,
        "files": [{"alias": alias, "url": f"/view/{sub.id}/{fid}", "panel": f"/view/{sub.id}/{fid}/panel"}
                  for alias, fid in ids.items()],
        "previous": previous, "diff": diff, "prev_decision": prev_decision, "progress": progress,
        "finish_label": finish_label.get(a.stage, "Release"), "fb": feedback or Feedback(),
        "status_names": STATUS_NAMES, "stage_names": STAGE_NAMES,
        "sealed": a.double_marking and a.stage in ("first", "second"),
    }


@router.get("/review/{submission_id}")
def review_page(request: Request, submission_id: str, session: DB, state: State, user: Marker,
                refused: str | None = None, renewed: str | None = None, done: str | None = None) -> Response:
    sub = submitted_submission(session, user, submission_id)
    ctx = _review_context(session, state, user, sub)
    notices = []
    if refused:
        notices.append(("error", REFUSALS.get(refused) or (CODES[refused].title if refused in CODES else "Refused.")))
    if renewed and ctx["claim"]["mine"]:
        notices.append(("success", "Your claim is renewed."))
    if done:
        notices.append(("success", {"released": "The decision is released.",
                                    "second": "Your first marking is in; the submission waits for a second marker.",
                                    "reconcile": "Your marking is in; the submission waits for reconciliation."}
                        .get(ctx["a"].stage, "Your marking is in.")))
    from .. import duplicates  # shared or duplicate evidence across candidates: advisory, by alias

    return render(request, "assessor/review.html", nav="queue", title=f"Review: {ctx['rubric_title']}",
                  notices=notices, now=utcnow(), duplicates=duplicates.for_submission(session, user, sub), **ctx)


def _after_change(request: Request, session: Session, state: Any, user: User, sub: Submission, item_id: str,
                  kind: str, change: dict[str, Any] | None, error: str | None, typed: dict[str, str]) -> Response:
    """Record ``change`` (unless the form was already refused with ``error``) and answer: the item
    again for htmx, the page at the item otherwise; a refusal shows next to the item, with what
    was typed kept."""
    status = 200
    if error is None and change is not None:
        try:
            marking.decide(session, user, sub, change)
            session.commit()
        except ApiError as exc:
            session.rollback()
            error, status = _refusal(exc), exc.spec.status
    elif error is not None:
        status = 422
    fb = Feedback(errors={item_id: error} if error else {}, typed={item_id: typed} if error else {},
                  saved=None if error else item_id)
    if not _is_htmx(request) and error is None:
        return RedirectResponse(f"/review/{sub.id}#{kind}-{item_id}", status_code=303)
    ctx = _review_context(session, state, user, sub, fb)
    if not _is_htmx(request):
        return render(request, "assessor/review.html", status_code=status, nav="queue",
                      title=f"Review: {ctx['rubric_title']}", notices=[], now=utcnow(), **ctx)
    return render(request, "assessor/_item.html", status_code=status, kind=kind, item_id=item_id, **ctx)


def _form_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first.get("loc", ("",))[0] == "comment":
        return "The comment is too long: keep it under 4,000 characters."
    return "Choose one of the offered answers."


@router.post("/review/{submission_id}/flags/{ref}", dependencies=[Csrf])
def decide_flag(request: Request, submission_id: str, ref: str, session: DB, state: State, user: Marker,
                decision: Annotated[str, Form()] = "", comment: Annotated[str, Form()] = "") -> Response:
    sub = submitted_submission(session, user, submission_id)
    change, error = None, None
    try:
        judged = FlagJudgment(decision=decision, comment=comment.strip() or None)  # type: ignore[arg-type]
        change = {"flags": {ref: judged.model_dump(exclude_none=True)}}
    except ValidationError as exc:
        error = _form_error(exc)
    return _after_change(request, session, state, user, sub, ref, "flag", change, error, {"comment": comment})


@router.post("/review/{submission_id}/details/{detail_id}", dependencies=[Csrf])
def decide_detail(request: Request, submission_id: str, detail_id: str, session: DB, state: State, user: Marker,
                  status: Annotated[str, Form()] = "", changed_status: Annotated[str, Form()] = "",
                  comment: Annotated[str, Form()] = "") -> Response:
    """The Confirm button sends the advisory status as ``status``; "Save status" sends the chosen
    one as ``changed_status``."""
    sub = submitted_submission(session, user, submission_id)
    status = status or changed_status
    change, error = None, None
    try:
        judged = DetailJudgment(status=status, comment=comment.strip() or None)  # type: ignore[arg-type]
        change = {"details": {detail_id: judged.model_dump(exclude_none=True)}}
    except ValidationError as exc:
        error = _form_error(exc)
    return _after_change(request, session, state, user, sub, detail_id, "detail", change, error,
                         {"comment": comment, "status": status})


@router.post("/review/{submission_id}/levels/{eo_id}", dependencies=[Csrf])
def decide_level(request: Request, submission_id: str, eo_id: str, session: DB, state: State, user: Marker,
                 level: Annotated[str, Form()] = "", comment: Annotated[str, Form()] = "") -> Response:
    sub = submitted_submission(session, user, submission_id)
    change, error = None, None
    if not level:
        error = "Choose a level."
    else:
        try:
            judged = LevelJudgment(level=level, comment=comment.strip() or None)
            change = {"eo_levels": {eo_id: judged.model_dump(exclude_none=True)}}
        except ValidationError as exc:
            error = _form_error(exc)
    return _after_change(request, session, state, user, sub, eo_id, "eo", change, error,
                         {"comment": comment, "level": level})


def _left(ctx: dict[str, Any], code: str, missing: list[str]) -> list[dict[str, str]]:
    """What is still undecided, by name and with a link to the item."""
    if code == "undecided_flags":
        by_ref = {f["ref"]: f for f in ctx["flags"]}
        return [{"href": f"#flag-{r}", "text": f"Flag {r}: {by_ref[r]['code']} — {by_ref[r]['message']}"
                 if r in by_ref else f"Flag {r}"} for r in missing]
    if code == "undecided_details":
        texts = {d["id"]: d.get("text", "") for eo in ctx["eos"] for d in eo["details"]}
        return [{"href": f"#detail-{d}", "text": f"Detail {d}: {texts.get(d, '')}"} for d in missing]
    titles = {eo["id"]: eo["title"] for eo in ctx["eos"]}
    return [{"href": f"#eo-{e}", "text": f"Level for {e}: {titles.get(e, '')}"} for e in missing]


@router.post("/review/{submission_id}/release", dependencies=[Csrf])
def release(request: Request, submission_id: str, session: DB, state: State, user: Marker) -> Response:
    sub = submitted_submission(session, user, submission_id)
    try:
        a = marking.finish(session, user, sub)
    except ApiError as exc:
        session.rollback()
        ctx = _review_context(session, state, user, sub)
        left: list[dict[str, str]] = []
        if exc.spec.code.startswith("undecided_"):
            d = flow.my_decision(session, user, session.get(Assessment, sub.id))  # type: ignore[arg-type]
            gap = flow.missing_parts(d, marking.report_of(session, d)) if d is not None else None
            if gap is None:  # nothing recorded yet: everything of that kind is left
                gap = (exc.spec.code, [f["ref"] for f in ctx["flags"]] if exc.spec.code == "undecided_flags" else
                       [d["id"] for eo in ctx["eos"] for d in eo["details"]] if exc.spec.code == "undecided_details"
                       else [eo["id"] for eo in ctx["eos"]])
            left = _left(ctx, *gap)
            message = {"undecided_flags": "Not yet: every flag needs Confirm or Override first. Still undecided:",
                       "undecided_details": "Not yet: every detail's evidence status needs confirming or changing "
                                            "first. Still undecided:",
                       "undecided_levels": "Not yet: every essential outcome needs a level first. Still without "
                                           "a level:"}[exc.spec.code]
        else:
            message = _refusal(exc)
        return render(request, "assessor/review.html", status_code=exc.spec.status, nav="queue",
                      title=f"Review: {ctx['rubric_title']}", notices=[], now=utcnow(),
                      release_error=message, release_left=left, **ctx)
    session.commit()
    return RedirectResponse(f"/review/{sub.id}?done={a.stage}", status_code=303)
