"""The ``screening`` command: a thin shell over the library.

Exit codes (docs/cli.md):
  0  screened; reports written (a report with flags is a success)
  1  --fail-on was given and a flag of that severity or worse was raised
  2  bad usage: unknown option, missing file, nothing to screen, bad submission.yaml
  3  unknown or invalid rubric or program
  4  no file of the submission could be read (reports are still written)
  5  a configured model is missing or unusable
  70 internal error (a bug: please report it with the message shown)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__
from .errors import Errors, ScreeningError, UsageError

EXIT_FLAGS = 1
EXIT_INTERNAL = 70
_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="screening",
        description="Advisory pre-screening of micro-credential submissions against their rubrics.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser(
        "check", help="screen a submission and write its advisory report",
        description="Screen a submission (a folder, or files given by part) and write JSON, Markdown and HTML reports.",
    )
    c.add_argument("folder", nargs="?", type=Path, metavar="DIR", help="a submission folder (see docs/submission-folder.md)")
    c.add_argument("--rubric", "-r", metavar="ID", help="rubric id (see `screening rubrics list`) or a rubric YAML file")
    c.add_argument("--narrative", action="append", type=Path, default=[], metavar="F", help="Part 1 narrative file (repeatable)")
    c.add_argument("--reflection", action="append", type=Path, default=[], metavar="F", help="Part 3 reflection file (repeatable)")
    c.add_argument("--artifact", action="append", type=Path, default=[], metavar="F", help="Part 2 artifact file (repeatable)")
    c.add_argument("--self-analysis", action="append", type=Path, default=[], metavar="F", help="Part 2 evidence self-analysis")
    c.add_argument("--json", type=Path, metavar="OUT", help="write the JSON report here")
    c.add_argument("--md", type=Path, metavar="OUT", help="write the Markdown report here")
    c.add_argument("--html", type=Path, metavar="OUT", help="write the HTML report here")
    c.add_argument("--out", type=Path, metavar="DIR",
                   help="write report.json, report.md and report.html here (default: ./screening-report "
                        "when no --json/--md/--html is given)")
    c.add_argument("--fail-on", choices=["error", "warning", "info"],
                   help="exit with 1 if a flag of this severity or worse is raised (for scripts)")
    c.add_argument("--quiet", "-q", action="store_true", help="print only the paths written and errors")

    a = sub.add_parser(
        "analyse", help="analyse pilot data: rubric clarity, agreement, advice (HTML report + findings JSON)",
        description="Analyse pilot data (a pilot.json file or a folder of CSV tables, docs/pilot-data.md) and write "
                    "report.html, its plots and findings.json (docs/analysis.md).",
    )
    a.add_argument("pilot", type=Path, metavar="PILOT_DATA", help="pilot.json or a folder of the CSV tables")
    a.add_argument("--out", "-o", type=Path, default=Path("pilot-analysis"), metavar="DIR",
                   help="folder to write into (default: ./pilot-analysis)")
    a.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resamples (same seed, same numbers)")

    cal = sub.add_parser(
        "calibrate", help="fit a calibration of evidence statuses from assessors' judgments in pilot data",
        description="Fit a calibration (docs/calibration.md) for one rubric version from pilot data with mapping "
                    "features, report its cross-validated metrics against the thresholds, and write it as JSON.",
    )
    cal.add_argument("pilot", type=Path, metavar="PILOT_DATA", help="pilot.json or a folder of the CSV tables")
    cal.add_argument("--rubric", "-r", metavar="ID[@VERSION]", help="the rubric version to fit (needed when the data hold several)")
    cal.add_argument("--out", "-o", type=Path, metavar="DIR",
                     help="folder to write <rubric_id>-<version>.json into (default: the calibration.dir setting)")
    cal.add_argument("--force", action="store_true", help="write it even if it does not beat the thresholds")

    r = sub.add_parser("rubrics", help="list, show or validate rubrics")
    rsub = r.add_subparsers(dest="rubrics_command", required=True, metavar="ACTION")
    rsub.add_parser("list", help="list the available rubrics")
    show = rsub.add_parser("show", help="show a rubric's parts, EOs and details")
    show.add_argument("rubric_id", metavar="ID")
    val = rsub.add_parser("validate", help="validate rubric files (default: every rubric in the rubric folders)")
    val.add_argument("files", nargs="*", type=Path, metavar="FILE")

    pr = sub.add_parser("programs", help="list, show or validate programs (stacks and pathways of MCs)")
    psub = pr.add_subparsers(dest="programs_command", required=True, metavar="ACTION")
    psub.add_parser("list", help="list the available programs")
    pshow = psub.add_parser("show", help="show a program's MCs, stacks, rules and what completing a stack yields")
    pshow.add_argument("program_id", metavar="ID")
    pval = psub.add_parser("validate", help="validate program files (default: every program in the program folders)")
    pval.add_argument("files", nargs="*", type=Path, metavar="FILE")

    ex = sub.add_parser(
        "export-rubric", help="export a rubric as an Open Badges 3.0 Achievement or a CASE CFRubric",
        description="Export a rubric as an Open Badges 3.0 Achievement (ob3) or a CASE CFRubric (case). "
                    "See docs/exports.md.",
    )
    ex.add_argument("rubric_id", metavar="RUBRIC", help="rubric id (see `screening rubrics list`) or a rubric YAML file")
    ex.add_argument("--format", "-f", choices=["ob3", "case"], required=True, help="ob3 or case")
    ex.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)")
    ex.add_argument("--base-url", metavar="URL", help="make ids under this URL (default: setting exports.base_url)")
    ex.add_argument("--schema", type=Path, metavar="FILE",
                    help="ob3: validate against this OB 3.0 achievementcredential.schema.json before writing "
                         "(default: setting exports.ob3_schema, if set)")

    imp = sub.add_parser(
        "import-case", help="turn a CASE CFRubric exported by this tool back into a rubric YAML file",
        description="Read a CASE CFRubric JSON file written by `screening export-rubric --format case` (possibly "
                    "edited in a CASE tool) and write the rubric YAML file it describes.",
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="the CASE CFRubric JSON file")
    imp.add_argument("-o", "--output", type=Path, metavar="RUBRIC.yaml", required=True, help="the YAML file to write")

    dif = sub.add_parser(
        "diff", help="show what changed between two reports of a submission (a resubmission)",
        description="Compare two JSON reports of the same submission against the same rubric: details that "
                    "moved between missing/weak/met, flags added and cleared, words per part, files.",
    )
    dif.add_argument("old", type=Path, metavar="OLD.json", help="the previous version's report.json")
    dif.add_argument("new", type=Path, metavar="NEW.json", help="the new version's report.json")
    dif.add_argument("--format", "-f", choices=["md", "json"], default="md", help="md (default) or json")
    dif.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)")
    ver = sub.add_parser(
        "verify-credential", help="check an Open Badges 3.0 credential: signature, issuer's key, dates, revocation",
        description="Verify a credential as a relying party would: its eddsa-rdfc-2022 proof, that the key is one the "
                    "issuer publishes and has not revoked, its validity dates, that the issuer has not revoked it, and "
                    "(with --schema) 1EdTech's OB 3.0 JSON Schema. The issuer's profile and revocation list are "
                    "fetched over HTTPS, or read from local copies given with --document. Exit 0 when every check "
                    "passes, 1 when one fails.",
    )
    ver.add_argument("file", type=Path, metavar="CREDENTIAL.json", help="the credential file")
    ver.add_argument("--document", action="append", default=[], metavar="URL=FILE",
                     help="use FILE for the document at URL (the issuer's profile, the revocation list); repeatable")
    ver.add_argument("--offline", action="store_true", help="fetch nothing: only documents given with --document")
    ver.add_argument("--schema", type=Path, metavar="FILE", help="achievementcredential.schema.json to validate against")
    return p


# ---------------------------------------------------------------------------------------------


def _cmd_verify_credential(args: argparse.Namespace, out: Console, err: Console) -> int:
    import json

    from .exports.verification import verify_credential

    for path in [args.file, *([args.schema] if args.schema else [])]:
        if not path.is_file():
            raise UsageError(Errors.E006.format(path=path) if path.is_dir() else Errors.E005.format(path=path))
    local: dict[str, Path] = {}
    for item in args.document:
        url, sep, name = item.partition("=")
        if not sep or not Path(name).is_file():
            raise UsageError(f"--document wants URL=FILE with an existing file, not {item!r}")
        local[url] = Path(name)

    def fetch(url: str) -> dict:  # type: ignore[type-arg]
        if url in local:
            return json.loads(local[url].read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        if args.offline or not url.startswith(("https://", "http://")):
            raise LookupError("not given with --document (and --offline fetches nothing)")
        import httpx

        r = httpx.get(url, headers={"Accept": "application/json"}, timeout=15, follow_redirects=True)
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    try:
        doc = json.loads(args.file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        err.print(f"[red]not verified:[/red] {escape(str(args.file))} is not a JSON file ({escape(str(exc))})")
        return 1
    if not isinstance(doc, dict):
        err.print("[red]not verified:[/red] it is not a JSON object")
        return 1
    verdict = verify_credential(doc, fetch=fetch, schema=args.schema)
    # emoji=False: rich would turn the ":key:" of did:key into an emoji.
    for check in verdict.checks:
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        out.print(f"{mark} {check.name}: {escape(check.detail)}", emoji=False, soft_wrap=True)
    issuer = doc.get("issuer", {})
    name = issuer.get("name") if isinstance(issuer, dict) else None
    if verdict.ok:
        out.print("verified" + (f": issued by {escape(name)}" if name else ""), emoji=False)
        return 0
    err.print("[red]not verified:[/red] " + "; ".join(escape(f"{c.name}: {c.detail}") for c in verdict.failed()),
              emoji=False)
    return 1


def _cmd_check(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .ingest import shutdown
    from .pipeline import screen
    from .report import render
    from .rubric import RubricCatalogue
    from .settings import get_settings
    from .submission import from_files, from_folder

    settings = get_settings()
    given = args.narrative or args.reflection or args.artifact or args.self_analysis
    if args.folder is not None:
        if given:
            raise UsageError(Errors.E015)
        submission = from_folder(args.folder, rubric_id=args.rubric)
    else:
        if not args.rubric:
            raise UsageError(Errors.E016)
        submission = from_files(
            narrative=args.narrative, reflection=args.reflection, artifacts=args.artifact,
            self_analysis=args.self_analysis, rubric_id=args.rubric,
        )
    rubric = RubricCatalogue(settings.rubric_dirs).get(submission.rubric_id or "")

    outputs = {"json": args.json, "md": args.md, "html": args.html}
    if args.out is not None or not any(outputs.values()):
        folder = args.out or Path("screening-report")
        outputs = {k: v or folder / f"report.{k}" for k, v in outputs.items()}

    started = time.perf_counter()
    if args.quiet:
        result = screen(submission, rubric, settings)
    else:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("starting", total=1)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=escape(stage), completed=done, total=max(total, 1))

            result = screen(submission, rubric, settings, progress=progress)
    shutdown()
    elapsed = time.perf_counter() - started
    report = result.report
    written = render.write(report, json_path=outputs["json"], md_path=outputs["md"], html_path=outputs["html"])
    if not args.quiet:
        _print_summary(report, out, elapsed)
    for path in written:
        out.print(f"wrote {escape(str(path))}")
    if not result.any_readable:
        problems = "\n".join(f"  - {f.message}" for f in report.flags if f.file)
        err.print(f"[red]{escape(Errors.E010.format(problems=problems))}[/red]")
        return 4
    if args.fail_on:
        worst = min((_SEVERITY_RANK[f.severity] for f in report.flags), default=99)
        if worst <= _SEVERITY_RANK[args.fail_on]:
            return EXIT_FLAGS
    return 0


def _print_summary(report, out: Console, elapsed: float) -> None:  # type: ignore[no-untyped-def]
    s = report.summary
    out.print(f"[bold]{escape(report.rubric.title)}[/bold] ({report.rubric.id} {report.rubric.version}) "
              f"— advisory screening, {elapsed:.1f} s")
    parts = Table(title="Words per part", show_edge=False)
    for col in ("Part", "Files", "Words", "Minimum", "Reached"):
        parts.add_column(col, justify="right" if col in ("Words", "Minimum") else "left")
    for p in report.parts:
        reached = "—" if p.meets_minimum is None else ("yes" if p.meets_minimum else "[red]no[/red]")
        parts.add_row(escape(p.title), escape(", ".join(p.files) or "(none)"), f"{p.words:,}",
                      "" if p.minimum is None else f"{p.minimum:,}", reached)
    out.print(parts)
    details = Table(title="EO details", show_edge=False)
    for col in ("Detail", "Status", "Best evidence"):
        details.add_column(col, no_wrap=col != "Best evidence")
    colour = {"met": "green", "weak": "yellow", "missing": "red"}
    from .report.render import location_label

    for d in report.details:
        best = d.evidence[0] if d.evidence else None
        where = f"{best.file}, {location_label(best)} ({best.score:.2f})" if best else "no passage found"
        details.add_row(d.id, f"[{colour[d.status]}]{d.status}[/{colour[d.status]}]", escape(where))
    out.print(details)
    out.print(f"{s.met} details with passages found, {s.weak} loosely addressed, {s.missing} with no passage found; "
              f"{s.flags.get('error', 0)} errors, {s.flags.get('warning', 0)} warnings, {s.flags.get('info', 0)} notes.")
    for f in report.flags:
        if f.severity == "info":
            continue
        sev = "[red]error[/red]" if f.severity == "error" else "[yellow]warning[/yellow]"
        out.print(f"  {sev} {f.code}: {escape(f.message)}")
    if report.readiness.fixes:
        out.print("[bold]Fixes most worth making first[/bold]")
        for fx in report.readiness.fixes:
            out.print(f"  {fx.priority}. {escape(fx.text)}")


def _cmd_analyse(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .analysis.report import write_analysis
    from .analysis.run import run_analyses
    from .pilot import read_pilot

    data = read_pilot(args.pilot)
    if not data.submissions:
        raise UsageError(Errors.E040.format(path=args.pilot))
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(Errors.E041.format(path=args.out))
    analysis = run_analyses(data, seed=args.seed)
    written = write_analysis(analysis, data, args.out, source=args.pilot.name)
    for r in analysis.rubrics:
        out.print(f"[bold]{escape(r.rubric_id)} {escape(r.rubric_version)}[/bold]: {r.summary.submissions} submissions, "
                  f"{r.summary.double_marked} double-marked, {len(r.findings)} finding(s)")
        for f in r.findings:
            out.print(f"  {f.kind}: {escape(f.message)}")
    out.print(f"wrote {escape(str(written[0]))}, {escape(str(written[1]))} and {len(written) - 2} plots")
    return 0


def _cmd_calibrate(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .calibration import fit_calibration, save
    from .pilot import read_pilot
    from .settings import get_settings

    settings = get_settings()
    data = read_pilot(args.pilot)
    present = sorted({(s.rubric_id, s.rubric_version) for s in data.submissions})
    listed = ", ".join(f"{i}@{v}" for i, v in present) or "none"
    if not present:
        raise UsageError(Errors.E040.format(path=args.pilot))
    if args.rubric:
        rid, _, version = args.rubric.partition("@")
        chosen = [p for p in present if p[0] == rid and (not version or p[1] == version)]
        if not chosen:
            raise UsageError(Errors.E044.format(path=args.pilot, rubric=args.rubric, rubrics=listed))
        if len(chosen) > 1:
            raise UsageError(Errors.E043.format(path=args.pilot, rubrics=listed))
    elif len(present) > 1:
        raise UsageError(Errors.E043.format(path=args.pilot, rubrics=listed))
    else:
        chosen = present
    rid, version = chosen[0]
    if not any(d.features for s in data.submissions if (s.rubric_id, s.rubric_version) == (rid, version) for d in s.details):
        raise UsageError(Errors.E046.format(path=args.pilot))
    cal = fit_calibration(data, rid, version, source=args.pilot.name, mapping=settings.mapping, path_label=str(args.pilot))
    cv = cal.cv
    out.print(f"{rid} {version}: {cal.n} judged details of {cal.submissions} submissions; {cv.folds}-fold CV by submission")
    out.print(f"  calibration: accuracy {cv.accuracy:.3f}, macro-F1 {cv.macro_f1:.3f}, Brier(met) {cv.brier_met:.3f}")
    out.print(f"  thresholds:  accuracy {cv.thresholds_accuracy:.3f}, macro-F1 {cv.thresholds_macro_f1:.3f}")
    if not cv.beats_thresholds and not args.force:
        raise UsageError(Errors.E047.format(rubric=f"{rid} {version}", f1=cv.macro_f1, base=cv.thresholds_macro_f1))
    path = save(cal, args.out or settings.calibration.folder)
    out.print(f"wrote {escape(str(path))}")
    return 0


def _cmd_rubrics(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .rubric import RubricCatalogue, validate_file
    from .settings import get_settings

    settings = get_settings()
    catalogue = RubricCatalogue(settings.rubric_dirs)
    if args.rubrics_command == "list":
        table = Table(show_edge=False)
        for col in ("Id", "Version", "Title", "EOs", "Details", "Hash"):
            table.add_column(col, no_wrap=col in ("Id", "Version", "Hash"))
        for r in catalogue.list():
            table.add_row(r.id, r.version, escape(r.title), str(len(r.essential_outcomes)),
                          str(len(r.details())), r.content_hash[7:19])
        out.print(table)
        for problem in catalogue.problems:
            err.print(f"[yellow]skipped invalid rubric: {escape(str(problem))}[/yellow]")
        return 0
    if args.rubrics_command == "show":
        r = catalogue.get(args.rubric_id)
        out.print(f"[bold]{escape(r.title)}[/bold]  {r.id} {r.version}  {r.content_hash}")
        out.print(f"levels: {', '.join(l.label for l in r.proficiency_levels)} (required: {r.required_level})")
        for p in r.parts:
            minimum = f", minimum {p.word_minimum:,} words" if p.word_minimum else ""
            out.print(f"part {p.kind}: {escape(p.title)}{minimum}")
        for eo in r.essential_outcomes:
            out.print(f"\n[bold]EO {eo.id}[/bold] {escape(eo.text)}")
            for d in eo.details:
                out.print(f"  {d.id} {escape(d.text)}" + (" [dim](derived)[/dim]" if d.derived else ""))
        return 0
    files = args.files or catalogue.files()
    bad = 0
    for f in files:
        data, problems = validate_file(Path(f))
        if problems:
            bad += 1
            for problem in problems:
                err.print(escape(str(problem)))
        else:
            out.print(f"ok {escape(str(f))}")
    return 3 if bad else 0


def _cmd_programs(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .programs import ProgramCatalogue, validate_file
    from .rubric import RubricCatalogue
    from .settings import get_settings

    settings = get_settings()
    catalogue = ProgramCatalogue(settings.program_dirs)
    if args.programs_command == "list":
        table = Table(show_edge=False)
        for col in ("Id", "Version", "Title", "MCs", "With rubric", "Stacks", "Hash"):
            table.add_column(col, no_wrap=col in ("Id", "Version", "Hash"))
        for p in catalogue.list():
            table.add_row(p.id, p.version, escape(p.title), str(len(p.mcs)), str(len(p.rubric_ids())),
                          str(len(p.stacks)), p.content_hash[7:19])
        out.print(table)
        for problem in catalogue.problems:
            err.print(f"[yellow]skipped invalid program: {escape(str(problem))}[/yellow]")
        return 0
    if args.programs_command == "show":
        p = catalogue.get(args.program_id)
        out.print(f"[bold]{escape(p.title)}[/bold]  {p.id} {p.version}  {p.content_hash}")
        if p.provider:
            out.print(f"provider: {escape(p.provider)}")
        for note in p.eligibility:
            out.print(f"eligibility: {escape(note.text)} [dim]({escape(note.source)})[/dim]")
        for name, limit in (("at most in progress at once", p.limits.max_concurrent),
                            ("attempts before a coaching meeting", p.limits.attempts_before_coaching)):
            if limit is not None:
                out.print(f"{name}: {limit.limit} [dim]({escape(limit.source)})[/dim]")
        out.print("\n[bold]MCs[/bold]")
        for m in p.mcs:
            marks = [] if m.published else ["unpublished"]
            marks.append(f"rubric {m.rubric}" if m.rubric else "no rubric")
            out.print(f"  {m.id}  {escape(m.title)}  [dim]({', '.join(marks)})[/dim]")
        for st in p.stacks:
            need = "all" if st.needed == len(st.mcs) else f"any {st.needed}"
            out.print(f"\n[bold]{st.kind} {st.id}[/bold]: {escape(st.title)} ({need} of {len(st.mcs)} MCs)")
            if st.requires:
                out.print(f"  requires: {', '.join(st.requires)}")
            for mc_id in st.mcs:
                out.print(f"  - {mc_id}")
            for y in st.yields:
                flag = "" if y.established else " [dim](not established)[/dim]"
                out.print(f"  yields ({y.kind}): {escape(y.text)}{flag}")
        return 0
    rubric_ids = {r.id for r in RubricCatalogue(settings.rubric_dirs).list()}
    files = args.files or catalogue.files()
    bad = 0
    for f in files:
        _, problems = validate_file(Path(f), rubric_ids)
        if problems:
            bad += 1
            for problem in problems:
                err.print(escape(str(problem)))
        else:
            out.print(f"ok {escape(str(f))}")
    return 3 if bad else 0


def _emit(text: str, output: Path | None, out: Console) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if output.is_dir():
        raise UsageError(Errors.E006.format(path=output))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(Errors.E009.format(path=output, problem=f"cannot be written: {exc.strerror or exc}")) from exc
    out.print(f"wrote {escape(str(output))}", soft_wrap=True)


def _read_json(path: Path) -> object:
    import json

    if not path.is_file():
        raise UsageError(Errors.E006.format(path=path) if path.is_dir() else Errors.E005.format(path=path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(Errors.E019.format(path=path, problem=exc)) from exc


def _cmd_export(args: argparse.Namespace, out: Console, err: Console) -> int:
    import json

    from .exports.case import rubric_to_case, validate_case
    from .exports.ob3_validate import validate_achievement
    from .exports.openbadges import rubric_achievement
    from .rubric import RubricCatalogue
    from .settings import get_settings

    settings = get_settings()
    rubric = RubricCatalogue(settings.rubric_dirs).get(args.rubric_id)
    base_url = args.base_url or settings.exports.base_url
    if args.format == "ob3":
        doc = rubric_achievement(rubric, base_url=base_url)
        schema = args.schema or settings.exports.ob3_schema
        if schema is not None:
            validate_achievement(doc, schema)
    else:
        doc = rubric_to_case(rubric, base_url=base_url)
        validate_case(doc)
    _emit(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", args.output, out)
    return 0


def _cmd_import_case(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .exports.case import case_to_rubric, recorded_hash
    from .rubric import load_file, to_yaml

    doc = _read_json(args.file)
    rubric = case_to_rubric(doc, source=str(args.file))
    text = to_yaml(rubric, comment=f"Imported from the CASE CFRubric {args.file.name} by `screening import-case`.")
    _emit(text, args.output, out)
    load_file(args.output)  # the written file must pass the same validation as every catalogue rubric
    recorded = recorded_hash(doc) if isinstance(doc, dict) else None
    if recorded and recorded != rubric.content_hash:
        err.print(f"[yellow]note:[/yellow] the content differs from the exported rubric {rubric.id} "
                  f"{rubric.version} ({recorded[:19]}…): give it a new version before adding it to the rubric "
                  "folders, or the catalogue will refuse two contents under one version.", soft_wrap=True)
    return 0


def _cmd_diff(args: argparse.Namespace, out: Console, err: Console) -> int:
    from .report.diff import diff_reports, read_report, to_markdown

    diff = diff_reports(read_report(args.old), read_report(args.new))
    text = diff.model_dump_json(indent=2) + "\n" if args.format == "json" else to_markdown(diff)
    _emit(text, args.output, out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False, soft_wrap=True)  # messages stay whole for grep and logs
    args = _parser().parse_args(argv)
    commands = {"check": _cmd_check, "export-rubric": _cmd_export, "import-case": _cmd_import_case,
                "diff": _cmd_diff, "analyse": _cmd_analyse, "calibrate": _cmd_calibrate,
                "verify-credential": _cmd_verify_credential, "programs": _cmd_programs}
    try:
        return commands.get(args.command, _cmd_rubrics)(args, out, err)
    except ScreeningError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        return exc.exit_code
    except ValidationError as exc:  # settings from the environment or screening.toml
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]error:[/red] {escape(Errors.E013.format(problem=problems))}")
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback only on request
        import os
        import traceback

        err.print(f"[red]internal error:[/red] {escape(type(exc).__name__)}: {escape(str(exc))}")
        if os.environ.get("SCREENING_DEBUG"):
            traceback.print_exc()
        else:
            err.print("Set SCREENING_DEBUG=1 to see the traceback, and please report it.")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
