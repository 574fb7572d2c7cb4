"""Two drafts started at the same instant against a program's limit on MCs in progress: the check
and the draft are one step (service/programs.py ``lock_candidate``), so exactly one of them is
made, on SQLite and PostgreSQL alike (issue 19)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from service import drafts, programs
from service.errors import ApiError
from service.models import Submission, User

from ..conftest import REPO
from .conftest import make_api, service_settings

IL = ["mo-il-curriculum", "mo-il-instructional-practice", "mo-il-assessment"]


@pytest.fixture
def papi(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    settings = service_settings(tmp_path, database_url=database_url)
    settings = settings.model_copy(update={"program_dirs": [REPO / "programs"]})
    for api in make_api(settings):
        api.add_user("cand", "candidate")
        yield api


def _race(api, monkeypatch, start) -> list[object]:  # type: ignore[no-untyped-def]
    """Run ``start(session, user, rubric_id)`` for IL[1] and IL[2] in two threads, each on its own
    connection, with the rule check held open long enough for the other to reach it too."""
    real = programs.may_start

    def slow(*args, **kw):  # type: ignore[no-untyped-def]
        got = real(*args, **kw)
        time.sleep(0.4)  # both would pass the check here if nothing serialised them
        return got

    monkeypatch.setattr(programs, "may_start", slow)
    results: list[object] = [None, None]
    gate = threading.Barrier(2)

    def run(i: int, rubric_id: str) -> None:
        with api.state.sessions() as s:
            user = s.get(User, api.ids["cand"])
            gate.wait()
            try:
                results[i] = start(s, user, rubric_id)
            except ApiError as exc:
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(IL[1:])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_drafts_at_once_cannot_both_pass_the_concurrency_limit(papi, monkeypatch):
    assert papi.call("cand", "PUT", "/api/programs/mo-mlds/following").status_code == 204
    papi.draft("cand", IL[0])  # one MC in progress; the program allows two at a time
    results = _race(papi, monkeypatch, drafts.create_draft)
    made = [r for r in results if isinstance(r, Submission)]
    refused = [r for r in results if isinstance(r, ApiError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert refused[0].spec.code == "program_rule" and "2 at a time" in refused[0].detail
    progress = papi.call("cand", "GET", "/api/programs/mo-mlds/progress").json()
    assert progress["in_progress"] == 2
    with papi.state.sessions() as s:
        held = {r for (r,) in s.query(Submission.rubric_id).filter(Submission.candidate_id == papi.ids["cand"])}
    assert held == {IL[0], made[0].rubric_id}  # type: ignore[attr-defined]


def test_without_a_program_two_drafts_at_once_are_both_made(papi, monkeypatch):
    # The lock only orders them: with no program followed, nothing refuses either.
    results = _race(papi, monkeypatch, drafts.create_draft)
    assert all(isinstance(r, Submission) for r in results), results
