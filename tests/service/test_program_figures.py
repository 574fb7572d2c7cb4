"""Per-stack figures for program designers (service/program_stats.py, issue 19): candidates
following a stack, completions and time to complete, where candidates stall per MC; from released
human decisions and stored times only, with small groups withheld."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from service import program_stats
from service.models import Assessment, ProgramEnrolment, Submission

from ..conftest import REPO
from .assessing import add_candidate, current_rubric, finish_with, full_marking
from .conftest import make_api, service_settings
from .test_programs import ORDERED

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
CURRICULUM = "mo-il-curriculum"


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def fapi(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    extra = tmp_path / "programs"
    extra.mkdir()
    (extra / "test-ordered.yaml").write_text(ORDERED)
    settings = service_settings(tmp_path, database_url=database_url, program_figures_min_group=2)
    settings = settings.model_copy(update={"program_dirs": [REPO / "programs", extra]})
    for api in make_api(settings):
        api.add_user("ann", "assessor")
        api.add_user("des", "program_designer")
        api.add_user("root", "admin")
        yield api


def _report(api, rubric_id: str) -> tuple[dict[str, Any], Any]:  # type: ignore[no-untyped-def]
    rubric = current_rubric(api, rubric_id)
    return ({"rubric": {"id": rubric.id, "version": rubric.version},
             "details": [{"id": d.id, "status": "met"} for _, d in rubric.details()], "flags": []}, rubric)


def _set(api, model, key, **values) -> None:  # type: ignore[no-untyped-def]
    with api.state.sessions() as s:
        s.execute(update(model).where(key).values(**values))
        s.commit()


def _version(api, who: str, rubric_id: str, created: float, submitted: float | None = None,  # type: ignore[no-untyped-def]
             released: float | None = None, earned: bool = True, previous: str | None = None) -> str:
    """One version of ``who``'s work on ``rubric_id``, its times set to the given days."""
    if previous:
        r = api.call(who, "POST", f"/api/submissions/{previous}/resubmit")
        assert r.status_code == 201, r.text
        sub = r.json()["id"]
    else:
        sub = api.draft(who, rubric_id)
        assert api.upload(who, sub, "narrative", "n.txt", b"my narrative words").status_code == 201
    _set(api, Submission, Submission.id == sub, created_at=day(created))
    if submitted is None:
        return sub
    r = api.call(who, "POST", f"/api/submissions/{sub}/submit")
    assert r.status_code == 202, r.text
    finish_with(api, r.json()["job"]["id"], _report(api, rubric_id)[0])
    _set(api, Submission, Submission.id == sub, submitted_at=day(submitted))
    if released is None:
        return sub
    report, rubric = _report(api, rubric_id)
    level = None if earned else rubric.proficiency_levels[-1].id
    assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
    assert api.call("ann", "PUT", f"/api/assessments/{sub}/decision",
                    json=full_marking(report, rubric, level)).status_code == 200
    assert api.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200
    _set(api, Assessment, Assessment.submission_id == sub, released_at=day(released))
    return sub


def _follow(api, who: str, program: str = "test-ordered") -> None:  # type: ignore[no-untyped-def]
    add_candidate(api, who)
    assert api.call(who, "PUT", f"/api/programs/{program}/following").status_code == 204
    _set(api, ProgramEnrolment, ProgramEnrolment.candidate_id == api.ids[who], created_at=day(-1))


def _pilot(api) -> None:  # type: ignore[no-untyped-def]
    """Four candidates following test-ordered (curriculum first, two attempts before coaching) and
    one who does not follow it."""
    for who in ("c1", "c2", "c3", "c4"):
        _follow(api, who)
    _version(api, "c1", CURRICULUM, 0, 2, 5)  # completes the entry stack in 5 days
    _version(api, "c2", CURRICULUM, 0, 4, 9)  # … in 9 days
    first = _version(api, "c3", CURRICULUM, 0, 1, 3, earned=False)  # returned, then again: coaching
    _version(api, "c3", CURRICULUM, 4, 5, 8, earned=False, previous=first)
    _version(api, "c4", CURRICULUM, 10)  # drafting
    _version(api, "c1", "mo-il-assessment", 6)  # the pathway after the entry stack: one candidate only
    add_candidate(api, "outsider")  # work by someone not following the program is not counted
    _version(api, "outsider", CURRICULUM, 0, 1, 2)


def _by_state(mc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {x["state"]: x for x in mc["states"]}


def test_stack_figures_with_small_groups_withheld(fapi):
    _pilot(fapi)
    r = fapi.call("des", "GET", "/api/programs/test-ordered/figures")
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["min_group"] == 2 and got["followers"] == {"value": 4, "suppressed": False}
    entry, nxt = got["stacks"]
    assert entry["id"] == "entry" and not entry["withheld"]
    assert entry["following"]["value"] == 4 and entry["completed"]["value"] == 2
    assert entry["time_to_complete"] == {"median": 7.0, "low": 5.0, "high": 9.0, "suppressed": False}
    [mc] = entry["mcs"]
    states = _by_state(mc)
    assert mc["earned"]["value"] == 2
    # One candidate drafting and one waiting for a coaching meeting: below the minimum group, withheld.
    assert states["in_progress"]["candidates"] == {"value": None, "suppressed": True}
    assert states["coaching"]["candidates"] == {"value": None, "suppressed": True}
    assert states["waiting"]["candidates"]["value"] == 0 and states["returned"]["candidates"]["value"] == 0
    # Times at a state: waiting stays of 3, 5, 2 and 3 days; drafting 2, 4, 1, 1 and c4's ongoing one.
    assert states["waiting"]["median_days"]["median"] == 3.0
    assert states["in_progress"]["median_days"]["median"] == 2.0
    # Only c3 was ever returned or sent to coaching: too few to show a time.
    assert states["returned"]["median_days"]["suppressed"] and states["coaching"]["median_days"]["suppressed"]
    # The pathway has one candidate: nothing of it is shown, and it says why.
    assert nxt["id"] == "next" and nxt["withheld"]
    assert nxt["following"]["suppressed"] and nxt["completed"]["suppressed"]
    assert "Fewer than 2 candidates" in nxt["notes"][0]


def test_with_a_minimum_of_one_every_figure_shows(fapi):
    _pilot(fapi)
    settings = fapi.state.settings
    one = settings.model_copy(update={"service": settings.service.model_copy(update={"program_figures_min_group": 1})})
    with fapi.state.sessions() as s:
        f = program_stats.figures(s, one, "test-ordered")
    entry, nxt = f.stacks
    states = {x.state: x for x in entry.mcs[0].states}
    assert states["in_progress"].candidates.value == 1 and states["coaching"].candidates.value == 1
    assert states["returned"].median_days.median == 1.0  # c3: released on day 3, resubmitted on day 4
    assert not nxt.withheld and nxt.following.value == 1 and nxt.completed.value == 0
    assert {x.state: x.candidates.value for x in nxt.mcs[0].states}["in_progress"] == 1


def test_only_released_decisions_complete_a_stack(fapi):
    for who in ("c1", "c2"):
        _follow(fapi, who)
        _version(fapi, who, CURRICULUM, 0, 2)  # submitted, screened, not released
    entry = fapi.call("des", "GET", "/api/programs/test-ordered/figures").json()["stacks"][0]
    assert entry["completed"]["value"] == 0 and entry["time_to_complete"]["median"] is None
    assert _by_state(entry["mcs"][0])["waiting"]["candidates"]["value"] == 2


def test_who_may_see_the_figures(fapi):
    add_candidate(fapi, "cand")
    for who in ("cand", "ann"):
        r = fapi.call(who, "GET", "/api/programs/test-ordered/figures")
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert fapi.call("root", "GET", "/api/programs/test-ordered/figures").status_code == 200
    assert fapi.call("des", "GET", "/api/programs/nope/figures").json()["code"] == "not_found"
    # A program with stacks of MCs not offered here says so.
    mo = fapi.call("des", "GET", "/api/programs/mo-mlds/figures").json()
    assert mo["followers"]["value"] == 0
    career = next(s for s in mo["stacks"] if s["id"] == "career-certificate")
    assert career["following"]["value"] == 0 and not career["withheld"]


def test_the_designer_page_shows_the_same_figures(fapi):
    from ..web.pages import sign_in

    _pilot(fapi)
    sign_in(fapi, "des")
    home = fapi.client.get("/designer")
    assert 'href="/designer/programs"' in home.text
    listing = fapi.client.get("/designer/programs")
    assert listing.status_code == 200 and 'href="/designer/programs/test-ordered"' in listing.text
    page = fapi.client.get("/designer/programs/test-ordered")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "median 7.0 days (range 5.0–9.0)" in text
    assert "fewer than 2" in text and "Fewer than 2 candidates" in text
    assert "Where candidates stall in Entry stack" in text
    for secret in ("c1@example.org", "c3@example.org", "outsider", *fapi.ids.values()):
        assert secret not in page.text
    assert fapi.client.get("/designer/programs/nope").status_code == 404
    sign_in(fapi, "ann")
    assert fapi.client.get("/designer/programs/test-ordered").status_code == 403
