"""The `screening` command: reports written, exit codes, and every bad input a clear message."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from screening.cli import main
from screening.report.model import json_schema

from .conftest import REPO, shared_data

pytestmark = pytest.mark.models
EXAMPLE = REPO / "examples" / "professional-learning"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path / "cache"))
    from screening.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_example_folder_end_to_end(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["check", str(EXAMPLE), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    jsonschema.validate(report, json_schema())
    assert report["rubric"]["id"] == "mo-il-professional-learning"
    assert report["rubric"]["content_hash"].startswith("sha256:")
    parts = {p["part"]: p for p in report["parts"]}
    assert parts["narrative"]["meets_minimum"] and parts["narrative"]["words"] >= 1000
    assert parts["reflection"]["meets_minimum"] and parts["reflection"]["words"] >= 500
    assert len(report["details"]) == 13
    assert all(d["status"] != "missing" for d in report["details"])
    # every detail's evidence points into a real file and page
    pdfs = {f["name"]: f["pages"] for f in report["files"] if f["kind"] == "pdf"}
    for d in report["details"]:
        for ev in d["evidence"]:
            if ev["page"] is not None:
                assert 1 <= ev["page"] <= pdfs[ev["file"]]
                assert ev["fragment"] == f"#page={ev['page']}"
    assert not [f for f in report["flags"] if f["severity"] == "error"]
    # the summary names the rubric, the parts and the report paths
    assert "Professional Learning" in printed and "Responsive narrative" in printed
    flat = printed.replace("\n", "")  # the console wraps a long path mid-word
    for name in ("report.json", "report.md", "report.html"):
        assert (out / name).is_file() and name in flat
    md = (out / "report.md").read_text()
    assert "advisory" in md.lower() and "## Evidence by essential outcome" in md


def test_files_by_part_with_explicit_outputs(tmp_path):
    args = ["check", "--rubric", "mo-il-professional-learning",
            "--narrative", str(EXAMPLE / "narrative.docx"), "--reflection", str(EXAMPLE / "reflection.md"),
            "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"), "--quiet"]
    assert main(args) == 0
    assert (tmp_path / "r.json").is_file() and (tmp_path / "r.html").is_file()
    assert not (tmp_path / "r.md").exists()
    report = json.loads((tmp_path / "r.json").read_text())
    codes = {f["code"] for f in report["flags"]}
    assert "part_missing" in codes  # no artifacts, no self-analysis


@pytest.mark.heavy
def test_every_shared_pdf_is_screened_or_flagged_specifically(tmp_path):
    pdf_dir = shared_data("pdf")
    pdfs = sorted(pdf_dir.glob("*.pdf"))
    args = ["check", "--rubric", "mo-il-professional-learning", "--narrative", str(EXAMPLE / "narrative.docx"),
            "--json", str(tmp_path / "r.json"), "--quiet"]
    for p in pdfs:
        args += ["--artifact", str(p)]
    assert main(args) == 0  # bad files are flagged; the rest is screened
    report = json.loads((tmp_path / "r.json").read_text())
    by_file = {}
    for f in report["flags"]:
        by_file.setdefault(f["file"], set()).add(f["code"])
    expected = {
        "empty.pdf": "file_empty",
        "invalid.pdf": "file_unreadable",
        "password-example.pdf": "file_unreadable",
        "crazyones-encrypted-256.pdf": "file_unreadable",
        "libreoffice-writer-password.pdf": "file_unreadable",
        "c02-22.pdf": "no_text_layer",
        "skew.pdf": "no_text_layer",
        "2400dpi.pdf": "no_text_layer",
    }
    for name, code in expected.items():
        assert code in by_file.get(name, set()), (name, by_file.get(name))
    messages = {f["file"]: f["message"] for f in report["flags"] if f["code"] == "file_unreadable"}
    assert "password" in messages["password-example.pdf"]
    readable = {f["name"] for f in report["files"] if f["readable"]}
    assert {"crazyones.pdf", "federal-register-2020-17221.pdf", "issue-848.pdf"} <= readable
    assert len(report["files"]) == len(pdfs) + 1  # nothing dropped


def test_only_unreadable_files_exit_4_with_report(tmp_path, capsys):
    bad = shared_data("pdf", "invalid.pdf")
    code = main(["check", "--rubric", "mo-il-professional-learning", "--narrative", str(bad),
                 "--out", str(tmp_path), "--quiet"])
    assert code == 4
    assert "[E010]" in capsys.readouterr().err
    assert (tmp_path / "report.json").is_file()


@pytest.mark.parametrize(
    "args,code,text",
    [
        (["check", "--rubric", "no-such-mc", "--narrative", "{example}/narrative.docx"], 3, "[E001]"),
        (["check", "--rubric", "mo-il-professional-learning", "--narrative", "{tmp}/missing.docx"], 2, "[E005]"),
        (["check", "--rubric", "mo-il-professional-learning"], 2, "[E007]"),
        (["check", "--narrative", "{example}/narrative.docx"], 2, "[E016]"),
        (["check", "{tmp}"], 2, "[E008]"),
        (["check", "{example}", "--narrative", "{example}/narrative.docx"], 2, "[E015]"),
        (["check", "--rubric", "mo-il-professional-learning", "--narrative", "{example}"], 2, "[E006]"),
        (["check", "--rubric", "mo-il-professional-learning", "--narrative", "{example}/narrative.docx",
          "--artifact", "{example}/narrative.docx"], 2, "[E014]"),
    ],
)
def test_usage_errors(tmp_path, capsys, args, code, text):
    args = [a.format(example=EXAMPLE, tmp=tmp_path) for a in args]
    assert main(args + ["--out", str(tmp_path / "out")]) == code
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err


def test_bad_submission_yaml(tmp_path, capsys):
    (tmp_path / "submission.yaml").write_text("rubric: mo-il-professional-learning\nnarative: x.docx\n")
    assert main(["check", str(tmp_path)]) == 2
    assert "unknown keys ['narative']" in capsys.readouterr().err


def test_folder_files_that_fit_no_part_are_reported(tmp_path):
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    (sub / "notes.txt").write_text("my notes")
    (sub / ".DS_Store").write_bytes(b"\x00\x01")
    assert main(["check", str(sub), "--json", str(tmp_path / "r.json"), "--quiet"]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    ignored = [f for f in report["flags"] if f["code"] == "file_ignored"]
    assert [f["file"] for f in ignored] == ["notes.txt"]


def test_fail_on(tmp_path):
    args = ["check", "--rubric", "mo-il-professional-learning", "--narrative", str(EXAMPLE / "reflection.md"),
            "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    assert main(args + ["--fail-on", "error"]) == 1  # too short for the narrative minimum, no artifacts


def test_rubrics_commands(tmp_path, capsys):
    assert main(["rubrics", "list"]) == 0
    out = capsys.readouterr().out
    for rid in ("mo-il-curriculum", "mo-il-instructional-practice", "mo-il-assessment", "mo-il-professional-learning"):
        assert rid in out
    assert main(["rubrics", "show", "mo-il-assessment"]) == 0
    assert "EO 3" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "rubrics" / "mo-il-assessment.yaml").read_text().replace("required_level: demonstrated\n", ""))
    assert main(["rubrics", "validate", str(bad)]) == 3
    err = capsys.readouterr().err
    assert str(bad) in err and "required_level" in err
    assert main(["rubrics", "validate"]) == 0


def test_installed_command_shows_no_traceback_for_user_errors(tmp_path):
    exe = Path(sys.executable).with_name("screening")
    proc = subprocess.run([str(exe), "check", "--rubric", "nope", "--narrative", str(tmp_path / "x.txt")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2  # the missing file is found before the rubric is looked up
    assert "[E005]" in proc.stderr and "Traceback" not in proc.stderr


def test_invalid_setting_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setenv("SCREENING_MAPPING__MET_THRESHOLD", "high")
    from screening.settings import get_settings

    get_settings.cache_clear()
    assert main(["rubrics", "list"]) == 2
    err = capsys.readouterr().err
    assert "[E013]" in err and "met_threshold" in err and "Traceback" not in err
