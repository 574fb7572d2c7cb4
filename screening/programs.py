"""Programs: MCs grouped into stacks and pathways, with the rules a single submission cannot show.

A program file (``mc-program/1``, docs/program-format.md) is validated against
``programs/schema/program.schema.json`` and a few rules a schema cannot say (ids unique,
references resolve, no prerequisite cycles, a source for every prerequisite); every problem
names the file, the line and the field, as for rubrics (screening/rubric.py).

``progress`` is the rules engine, with no database: given what a candidate has done per MC
(earned from a released human decision, work in progress, attempts), it says of each MC whether
it is earned, in progress, available, blocked (and why: a prerequisite, the concurrency limit,
attempts needing coaching) or not offered, and which stacks are complete. The service feeds it
from released decisions only (service/programs.py); the screener's advice never counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError

from .errors import Errors, RubricError
from .rubric import FolderCatalogue, RubricProblem, _field_name, _line_of, _plain, content_hash

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "programs" / "schema" / "program.schema.json"
_BUNDLED_SCHEMA = Path(__file__).resolve().parent / "bundled_programs" / "schema" / "program.schema.json"

StackKind = Literal["stack", "pathway", "program", "list"]
# Kinds whose completion is a credential of this service (a `list` only groups MCs by purpose).
CREDENTIAL_KINDS = ("stack", "pathway", "program")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Note(_Frozen):
    text: str
    source: str


class Yield(_Frozen):
    kind: Literal["recommendation", "designation", "license", "credit", "credential", "other"]
    text: str
    granted_by: str = ""
    established: bool = True
    source: str


class Limit(_Frozen):
    limit: int
    note: str = ""
    source: str


class Limits(_Frozen):
    max_concurrent: Limit | None = None
    attempts_before_coaching: Limit | None = None


class ProgramMc(_Frozen):
    id: str
    title: str
    rubric: str | None = None
    published: bool = True
    focus_area: str = ""
    note: str = ""
    source: str


class Stack(_Frozen):
    id: str
    kind: StackKind
    title: str
    description: str = ""
    mcs: tuple[str, ...]
    complete: Any = "all"
    requires: tuple[str, ...] = ()
    requires_source: str = ""
    eligibility: tuple[Note, ...] = ()
    yields: tuple[Yield, ...] = ()
    note: str = ""
    source: str

    @property
    def needed(self) -> int:
        """How many of its MCs must be earned to complete it."""
        if isinstance(self.complete, dict):
            return int(self.complete["any"])
        return len(self.mcs)

    @property
    def gives_credential(self) -> bool:
        return self.kind in CREDENTIAL_KINDS and bool(self.mcs)


class Program(_Frozen):
    format: str
    id: str
    title: str
    version: str
    provider: str = ""
    description: str = ""
    sources: tuple[str, ...]
    eligibility: tuple[Note, ...] = ()
    mcs: tuple[ProgramMc, ...]
    stacks: tuple[Stack, ...]
    limits: Limits = Limits()
    content_hash: str
    path: str = ""

    def mc(self, mc_id: str) -> ProgramMc | None:
        return next((m for m in self.mcs if m.id == mc_id), None)

    def stack(self, stack_id: str) -> Stack | None:
        return next((s for s in self.stacks if s.id == stack_id), None)

    def mcs_for_rubric(self, rubric_id: str) -> list[ProgramMc]:
        return [m for m in self.mcs if m.rubric == rubric_id]

    def rubric_ids(self) -> list[str]:
        return [m.rubric for m in self.mcs if m.rubric]

    def stacks_of(self, mc_id: str) -> list[Stack]:
        return [s for s in self.stacks if mc_id in s.mcs]

    @property
    def concurrency_limit(self) -> int | None:
        return self.limits.max_concurrent.limit if self.limits.max_concurrent else None

    @property
    def attempts_limit(self) -> int | None:
        return self.limits.attempts_before_coaching.limit if self.limits.attempts_before_coaching else None


# ---------------------------------------------------------------------------------------------
# Loading and validation


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    path = SCHEMA_PATH if SCHEMA_PATH.is_file() else _BUNDLED_SCHEMA
    return json.loads(path.read_text(encoding="utf-8"))


def _semantic_problems(data: dict[str, Any], rubric_ids: set[str] | None) -> list[tuple[list[Any], str]]:
    problems: list[tuple[list[Any], str]] = []
    mc_ids: dict[str, int] = {}
    for i, mc in enumerate(data.get("mcs", [])):
        if mc["id"] in mc_ids:
            problems.append((["mcs", i, "id"], f"duplicate MC id '{mc['id']}'"))
        mc_ids[mc["id"]] = i
        if mc.get("rubric") and mc.get("published") is False:
            problems.append((["mcs", i, "rubric"], "an unpublished MC cannot have a rubric"))
        if mc.get("rubric") and rubric_ids is not None and mc["rubric"] not in rubric_ids:
            known = ", ".join(sorted(rubric_ids)) or "none"
            problems.append((["mcs", i, "rubric"], f"no rubric '{mc['rubric']}' (rubrics: {known})"))
    stacks = data.get("stacks", [])
    stack_ids: dict[str, int] = {}
    for i, st in enumerate(stacks):
        if st["id"] in stack_ids:
            problems.append((["stacks", i, "id"], f"duplicate stack id '{st['id']}'"))
        stack_ids[st["id"]] = i
    for i, st in enumerate(stacks):
        seen: set[str] = set()
        for j, mc in enumerate(st.get("mcs", [])):
            if mc not in mc_ids:
                problems.append((["stacks", i, "mcs", j], f"'{mc}' is not an MC of this program"))
            if mc in seen:
                problems.append((["stacks", i, "mcs", j], f"'{mc}' is listed twice"))
            seen.add(mc)
        if not st.get("mcs") and not st.get("note"):
            problems.append((["stacks", i, "mcs"], "a stack without MCs needs a note saying why"))
        complete = st.get("complete", "all")
        if isinstance(complete, dict) and complete["any"] > len(st.get("mcs", [])):
            problems.append((["stacks", i, "complete", "any"],
                             f"needs {complete['any']} MCs but the stack has {len(st.get('mcs', []))}"))
        for j, req in enumerate(st.get("requires", [])):
            if req == st["id"]:
                problems.append((["stacks", i, "requires", j], "a stack cannot require itself"))
            elif req not in stack_ids:
                problems.append((["stacks", i, "requires", j], f"'{req}' is not a stack of this program"))
        if st.get("requires") and not st.get("requires_source"):
            problems.append((["stacks", i, "requires"], "a prerequisite needs requires_source: where the rule comes from"))
    # Prerequisite cycles (a stack that, through others, requires itself).
    graph = {st["id"]: [r for r in st.get("requires", []) if r in stack_ids and r != st["id"]] for st in stacks}
    for start in graph:
        stack_list, seen_c = list(graph[start]), set()
        while stack_list:
            node = stack_list.pop()
            if node == start:
                problems.append((["stacks", stack_ids[start], "requires"], f"'{start}' requires itself through other stacks"))
                break
            if node not in seen_c:
                seen_c.add(node)
                stack_list.extend(graph.get(node, []))
    return problems


def validate_text(text: str, shown: str, rubric_ids: set[str] | None = None
                  ) -> tuple[dict[str, Any] | None, list[RubricProblem]]:
    """Parse and validate program YAML; ``rubric_ids`` (when given) are the rubrics an MC may name."""
    yaml = YAML(typ="rt")
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        return None, [RubricProblem(shown, mark.line + 1 if mark is not None else None, "",
                                    f"not valid YAML: {exc.problem}")]
    if not isinstance(root, CommentedMap):
        return None, [RubricProblem(shown, 1, "", "a program file must be a mapping of fields")]
    data = _plain(root)
    validator = jsonschema.Draft202012Validator(_schema())
    problems = [
        RubricProblem(shown, _line_of(root, err.absolute_path), _field_name(err.absolute_path), err.message)
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if not problems:
        problems = [RubricProblem(shown, _line_of(root, p), _field_name(p), msg)
                    for p, msg in _semantic_problems(data, rubric_ids)]
    return (None if problems else data), problems


def validate_file(path: Path, rubric_ids: set[str] | None = None) -> tuple[dict[str, Any] | None, list[RubricProblem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [RubricProblem(str(path), None, "", f"cannot be read: {exc}")]
    return validate_text(text, str(path), rubric_ids)


def program_of(data: dict[str, Any], path: str = "") -> Program:
    return Program(**data, content_hash=content_hash(data), path=path)


def load_file(path: Path, rubric_ids: set[str] | None = None) -> Program:
    data, problems = validate_file(path, rubric_ids)
    if data is None:
        raise RubricError(Errors.E033.format(path=path, problems="\n".join(f"  - {p}" for p in problems)))
    return program_of(data, str(path))


class ProgramCatalogue(FolderCatalogue[Program]):
    """The programs found in a list of folders (``Settings.program_dirs``), loaded on first use.
    An invalid file is skipped and its problems kept in ``problems``; the first folder wins."""

    def _validate(self, path: Path) -> tuple[dict[str, Any] | None, list[RubricProblem]]:
        return validate_file(path)

    def _item(self, data: dict[str, Any], path: Path) -> Program:
        return program_of(data, str(path))

    def _load_file(self, path: Path) -> Program:
        return load_file(path)

    def _unknown(self, item_id: str, available: str) -> Exception:
        return RubricError(Errors.E032.format(program_id=item_id, available=available))


# ---------------------------------------------------------------------------------------------
# The rules: a candidate's progress through a program

McStatus = Literal["earned", "in_progress", "available", "blocked", "not_offered"]
ReasonCode = Literal["prerequisite", "concurrency", "coaching", "unpublished", "no_rubric"]


@dataclass(frozen=True)
class McRecord:
    """What a candidate has done on one MC, from released human decisions and their own drafts.

    ``earned``: a released decision earns it. ``in_progress``: a draft, or a submitted version
    waiting for its released decision. ``attempts``: submitted versions; ``attempts_counted``:
    those since the last coaching meeting (what the limit is checked against)."""

    earned: bool = False
    in_progress: bool = False
    attempts: int = 0
    attempts_counted: int | None = None
    earned_by: tuple[str, ...] = ()  # decision ids, earliest first
    last_not_earned: bool = False

    @property
    def counted(self) -> int:
        return self.attempts if self.attempts_counted is None else self.attempts_counted


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    message: str


@dataclass(frozen=True)
class McProgress:
    mc: ProgramMc
    status: McStatus
    reasons: tuple[Reason, ...]
    attempts: int
    attempts_counted: int
    attempts_limit: int | None
    coaching_required: bool


@dataclass(frozen=True)
class StackProgress:
    stack: Stack
    earned: tuple[str, ...]  # MC ids earned, in the stack's order
    needed: int
    complete: bool
    blocked_by: tuple[str, ...]  # required stacks not complete yet


@dataclass(frozen=True)
class Progress:
    program: Program
    mcs: tuple[McProgress, ...]
    stacks: tuple[StackProgress, ...]
    in_progress: int
    concurrency_limit: int | None

    def mc(self, mc_id: str) -> McProgress:
        return next(m for m in self.mcs if m.mc.id == mc_id)

    def stack(self, stack_id: str) -> StackProgress:
        return next(s for s in self.stacks if s.stack.id == stack_id)


def _stack_complete(stack: Stack, records: dict[str, McRecord]) -> tuple[tuple[str, ...], bool]:
    earned = tuple(m for m in stack.mcs if records.get(m, McRecord()).earned)
    return earned, bool(stack.mcs) and len(earned) >= stack.needed


def progress(program: Program, records: dict[str, McRecord], offered: set[str] | None = None) -> Progress:
    """Each MC's status and each stack's completion for a candidate with these ``records`` (by MC
    id; a missing MC has none). ``offered``: the rubric ids the service offers now (None: all)."""
    complete = {s.id: _stack_complete(s, records)[1] for s in program.stacks}
    stacks = []
    for s in program.stacks:
        earned, done = _stack_complete(s, records)
        stacks.append(StackProgress(stack=s, earned=earned, needed=s.needed, complete=done,
                                    blocked_by=tuple(r for r in s.requires if not complete.get(r))))
    busy = sum(1 for m in program.mcs if records.get(m.id, McRecord()).in_progress
               and not records.get(m.id, McRecord()).earned)
    cap = program.concurrency_limit
    tries = program.attempts_limit
    out = []
    for m in program.mcs:
        rec = records.get(m.id, McRecord())
        coaching = tries is not None and rec.counted >= tries and not rec.earned
        reasons: list[Reason] = []
        if rec.earned:
            status: McStatus = "earned"
        elif rec.in_progress:
            status = "in_progress"
        elif not m.published or not m.rubric or (offered is not None and m.rubric not in offered):
            status = "not_offered"
            reasons = [Reason("unpublished", "The program has not published this micro-credential yet.") if not m.published
                       else Reason("no_rubric", "This service has no rubric for this micro-credential, so it cannot be "
                                                "submitted here.")]
            # The order still applies when it is offered one day: say so.
            reasons += [r for r in why_blocked(program, m, complete, busy, False, rec, stacks) if r.code == "prerequisite"]
        else:
            reasons = why_blocked(program, m, complete, busy, coaching, rec, stacks)
            status = "blocked" if reasons else "available"
        out.append(McProgress(mc=m, status=status, reasons=tuple(reasons), attempts=rec.attempts,
                              attempts_counted=rec.counted, attempts_limit=tries, coaching_required=coaching))
    return Progress(program=program, mcs=tuple(out), stacks=tuple(stacks), in_progress=busy, concurrency_limit=cap)


def why_blocked(program: Program, m: ProgramMc, complete: dict[str, bool], busy: int, coaching: bool,
                rec: McRecord, stacks: list[StackProgress]) -> list[Reason]:
    """Why a candidate may not start ``m`` now (empty: they may)."""
    reasons: list[Reason] = []
    # An MC's prerequisites are those of every stack it belongs to.
    missing = list(dict.fromkeys(sid for s in stacks if m.id in s.stack.mcs for sid in s.blocked_by))
    if missing:
        names = [program.stack(sid).title for sid in missing]  # type: ignore[union-attr]
        reasons.append(Reason("prerequisite", f"Complete {_and(names)} first."))
    cap = program.concurrency_limit
    if cap is not None and not rec.in_progress and busy >= cap:
        reasons.append(Reason("concurrency", f"You have {busy} micro-credential{'s' if busy != 1 else ''} in "
                                             f"progress; this program allows {cap} at a time. Finish one first."))
    if coaching:
        reasons.append(Reason("coaching", _coaching_text(program, rec.counted)))
    return reasons


def _coaching_text(program: Program, counted: int) -> str:
    return (f"You have made {counted} attempts at this micro-credential; the program requires a coaching meeting "
            f"after {program.attempts_limit} before another.")


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class Refusal:
    program: Program
    mc: ProgramMc
    reasons: list[Reason] = field(default_factory=list)

    def message(self) -> str:
        why = " ".join(r.message for r in self.reasons)
        return f"{self.mc.title} cannot be started under {self.program.title}: {why}"


def may_start(program: Program, records: dict[str, McRecord], rubric_id: str,
              offered: set[str] | None = None) -> Refusal | None:
    """Whether a candidate following ``program`` may start a new draft for ``rubric_id``: None
    when they may, else the refusal with its reasons (a prerequisite, the concurrency limit,
    coaching). An MC already in progress may take another draft (it is counted once)."""
    got = progress(program, records, offered)
    for m in program.mcs_for_rubric(rubric_id):
        mp = got.mc(m.id)
        if mp.status == "blocked":
            return Refusal(program, m, list(mp.reasons))
        if mp.coaching_required:  # also for another version of an MC in progress
            return Refusal(program, m, [Reason("coaching", _coaching_text(program, mp.attempts_counted))])
    return None
