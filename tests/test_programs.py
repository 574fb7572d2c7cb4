"""Program files and the rules engine (screening/programs.py): the shipped programs validate and
trace every item to a source; order, concurrency, attempts and completion behave as the seeds say."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.cli import main
from screening.programs import McRecord, ProgramCatalogue, may_start, program_of, progress, validate_file, validate_text
from screening.rubric import RubricCatalogue

from .conftest import REPO

PROGRAMS = REPO / "programs"
RUBRIC_IDS = {r.id for r in RubricCatalogue([REPO / "rubrics"]).list()}
IL = ["mo-il-curriculum", "mo-il-instructional-practice", "mo-il-assessment", "mo-il-professional-learning"]


def _catalogue() -> ProgramCatalogue:
    return ProgramCatalogue([PROGRAMS])


def _as_if_published(program_id: str):  # type: ignore[no-untyped-def]
    """A shipped program whose MCs all have a rubric (as when the program publishes them), so the
    rules can be exercised on MCs that are not offered yet."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load((PROGRAMS / f"{program_id}.yaml").read_text())
    for mc in data["mcs"]:
        mc["published"], mc["rubric"] = True, mc["id"]
    return program_of(data)


@pytest.mark.parametrize("path", sorted(PROGRAMS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_program_validates_and_names_its_sources(path: Path):
    data, problems = validate_file(path, RUBRIC_IDS)
    assert problems == [] and data is not None
    items = data["mcs"] + data["stacks"] + data.get("eligibility", [])
    items += [y for s in data["stacks"] for y in s.get("yields", []) + s.get("eligibility", [])]
    items += list(data.get("limits", {}).values())
    for item in items:
        assert "seeds/" in item["source"] or "issue 19" in item["source"], item
    for s in data["stacks"]:
        if s.get("requires"):
            assert "seeds/" in s["requires_source"]


def test_missouri_the_stack_the_fifteen_and_two_at_a_time():
    mo = _catalogue().get("mo-mlds")
    assert len(mo.mcs) == 15 and mo.rubric_ids() == IL
    unpublished = [m for m in mo.mcs if not m.published]
    assert len(unpublished) == 11 and all("not published" in m.title and m.rubric is None for m in unpublished)
    il = mo.stack("instructional-leadership")
    assert il.kind == "stack" and list(il.mcs) == IL and il.needed == 4 and il.gives_credential
    career = mo.stack("career-certificate")
    assert career.needed == 15 and career.yields[0].kind == "recommendation" and "DESE" in career.yields[0].text
    assert mo.concurrency_limit == 2 and mo.attempts_limit is None


def test_colorado_order_learner_leader_then_collaboration_then_pathways():
    co = _as_if_published("co-tlmc")
    start = progress(co, {})
    assert start.mc("co-tl-learner-leader").status == "available"
    for mc in ("co-tl-collaboration-1", "co-tl-advocacy", "co-tl-equity"):
        assert start.mc(mc).status == "blocked" and start.mc(mc).reasons[0].code == "prerequisite"
    assert may_start(co, {}, "co-tl-collaboration-1") is not None

    step = progress(co, {"co-tl-learner-leader": McRecord(earned=True)})
    assert step.stack("learner-leader").complete
    assert step.mc("co-tl-collaboration-2").status == "available"
    assert step.mc("co-tl-advocacy").status == "blocked"
    assert "Teacher as Collaborator" in step.mc("co-tl-advocacy").reasons[0].message
    assert step.stack("advocacy-pathway").blocked_by == ("collaboration",)

    done = {m: McRecord(earned=True) for m in ("co-tl-learner-leader", "co-tl-collaboration-1", "co-tl-collaboration-2")}
    later = progress(co, done)
    assert later.mc("co-tl-advocacy").status == later.mc("co-tl-equity").status == "available"
    # One pathway is enough for it; the whole program needs both.
    both = progress(co, {**done, "co-tl-equity": McRecord(earned=True)})
    assert both.stack("equity-pathway").complete and not both.stack("advocacy-pathway").complete
    assert not both.stack("all-tlmcs").complete


def test_colorado_as_shipped_offers_nothing_yet_but_shows_the_order():
    co = _catalogue().get("co-tlmc")
    got = progress(co, {})
    assert {m.status for m in got.mcs} == {"not_offered"}
    assert got.mc("co-tl-learner-leader").reasons[0].code == "no_rubric"
    codes = [r.code for r in got.mc("co-tl-collaboration-1").reasons]
    assert codes == ["unpublished", "prerequisite"]


def test_concurrency_two_in_progress_block_a_third():
    mo = _catalogue().get("mo-mlds")
    records = {IL[0]: McRecord(in_progress=True), IL[1]: McRecord(in_progress=True)}
    got = progress(mo, records)
    assert got.in_progress == 2
    assert got.mc(IL[2]).status == "blocked" and got.mc(IL[2]).reasons[0].code == "concurrency"
    refusal = may_start(mo, records, IL[3])
    assert refusal is not None and "2 at a time" in refusal.message()
    assert may_start(mo, records, IL[0]) is None  # another draft of an MC in progress
    # An earned MC no longer counts as in progress.
    records[IL[0]] = McRecord(earned=True, in_progress=True)
    assert progress(mo, records).in_progress == 1 and may_start(mo, records, IL[3]) is None


def test_attempts_the_limit_then_coaching_then_attempts_count_anew():
    co = _as_if_published("co-tlmc")
    assert co.attempts_limit == 3
    two = progress(co, {"co-tl-learner-leader": McRecord(attempts=2)}).mc("co-tl-learner-leader")
    assert two.status == "available" and not two.coaching_required
    three = progress(co, {"co-tl-learner-leader": McRecord(attempts=3)}).mc("co-tl-learner-leader")
    assert three.status == "blocked" and three.coaching_required and three.reasons[0].code == "coaching"
    assert may_start(co, {"co-tl-learner-leader": McRecord(attempts=3, in_progress=True)}, "co-tl-learner-leader")
    coached = progress(co, {"co-tl-learner-leader": McRecord(attempts=3, attempts_counted=0)}).mc("co-tl-learner-leader")
    assert coached.status == "available" and coached.attempts == 3 and not coached.coaching_required
    earned = progress(co, {"co-tl-learner-leader": McRecord(attempts=3, earned=True)}).mc("co-tl-learner-leader")
    assert earned.status == "earned" and not earned.coaching_required


def test_completion_counts_earned_mcs_only():
    mo = _catalogue().get("mo-mlds")
    busy = {m: McRecord(in_progress=True, attempts=1) for m in IL}
    assert not progress(mo, busy).stack("instructional-leadership").complete
    earned = {m: McRecord(earned=True) for m in IL}
    got = progress(mo, earned)
    assert got.stack("instructional-leadership").complete
    assert not got.stack("career-certificate").complete  # eleven MCs are not published yet
    ar = _as_if_published("ar-dese")
    one = progress(ar, {"ar-formative-math": McRecord(earned=True)})
    assert one.stack("content-assessment").complete and one.stack("content-assessment").needed == 1
    assert not one.stack("pedagogy").complete and not one.stack("career-continuum").complete
    assert not ar.stack("content-assessment").gives_credential  # a list by purpose


BROKEN = """\
format: mc-program/1
id: broken
title: Broken
version: "1"
sources: [x]
mcs:
  - {id: a-mc, title: A, rubric: no-such-rubric, source: x}
  - {id: b-mc, title: B, source: x, colour: red}
stacks:
  - id: one
    kind: stack
    title: One
    mcs: [a-mc, c-mc]
    requires: [two]
    source: x
  - {id: two, kind: stack, title: Two, mcs: [b-mc], requires: [one], requires_source: x, source: x}
"""


def test_problems_name_the_line_and_the_field():
    _, problems = validate_text(BROKEN, "broken.yaml", RUBRIC_IDS)
    assert [(p.line, p.field) for p in problems] == [(8, "mcs[1]")]
    assert "colour" in problems[0].message
    fixed = BROKEN.replace(", colour: red", "")
    _, problems = validate_text(fixed, "broken.yaml", RUBRIC_IDS)
    got = [(p.line, p.field, p.message) for p in problems]

    def has(line: int, where: str, text: str) -> bool:
        return any(g[:2] == (line, where) and text in g[2] for g in got)

    assert has(7, "mcs[0].rubric", "no rubric 'no-such-rubric'")
    assert has(13, "stacks[0].mcs[1]", "'c-mc' is not an MC")
    assert has(14, "stacks[0].requires", "requires_source")
    assert has(14, "stacks[0].requires", "'one' requires itself through other stacks")
    assert str(problems[0]).startswith("broken.yaml:")


def test_the_cli_lists_shows_and_validates_programs(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCREENING_PROGRAM_DIRS", f'["{PROGRAMS}"]')
    monkeypatch.setenv("SCREENING_RUBRIC_DIRS", f'["{REPO / "rubrics"}"]')
    from screening.settings import get_settings

    get_settings.cache_clear()
    assert main(["programs", "list"]) == 0
    out = capsys.readouterr().out
    assert "mo-mlds" in out and "co-tlmc" in out and "ar-dese" in out
    assert main(["programs", "show", "co-tlmc"]) == 0
    assert "requires: learner-leader" in capsys.readouterr().out
    assert main(["programs", "validate"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    assert main(["programs", "validate", str(bad)]) == 3
    assert f"{bad}:8: mcs[1]:" in capsys.readouterr().err
    assert main(["programs", "show", "nope"]) == 3
    assert "[E032]" in capsys.readouterr().err
    get_settings.cache_clear()  # later tests read the settings of their own environment
