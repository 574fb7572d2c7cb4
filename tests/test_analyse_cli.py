"""`screening analyse` and `screening calibrate`: files written, coded errors for bad input."""

from __future__ import annotations

import json
from markupsafe import escape
import re
from pathlib import Path

import pytest

from screening.cli import main
from screening.pilot import write_json
from screening.pilot.generate import PilotSpec, combine, generate

from .conftest import REPO

PILOT = REPO / "examples" / "pilot"
VERDICT = re.compile(r"\b(pass(es|ed)?|fail(s|ed)?|incompetent|poor marker|bad marker)\b", re.I)


@pytest.mark.parametrize("form", ["pilot.json", "csv"])
def test_analyse_writes_the_report_its_plots_and_findings(tmp_path: Path, capsys, form: str) -> None:
    out = tmp_path / "analysis"
    assert main(["analyse", str(PILOT / form), "-o", str(out)]) == 0
    html = (out / "report.html").read_text()
    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert plots == ["1-agreement.png", "1-pairs.png", "1-rates.png", "1-severity.png", "1-size.png"]
    for name in plots:
        assert (out / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="plots/{name}"' in html
    assert "<script" not in html and "http" not in html  # self-contained: nothing fetched
    findings = json.loads((out / "findings.json").read_text())
    truth = json.loads((PILOT / "truth.json").read_text())["planted"][0]["expected_findings"]
    assert sorted([f["kind"], f["subject"]] for f in findings["findings"]) == sorted(truth)
    for f in findings["findings"]:
        assert str(escape(f["message"])) in html and not VERDICT.search(f["message"])
    assert "finding(s)" in capsys.readouterr().out


def test_analyse_bad_input_gets_coded_errors(tmp_path: Path, capsys, pl_rubric) -> None:
    assert main(["analyse", str(tmp_path / "none.json")]) == 2
    assert "[E005]" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text('{"format": "mc-pilot/1", "rubrics": []}')
    assert main(["analyse", str(tmp_path / "bad.json")]) == 2
    assert "[E030]" in capsys.readouterr().err
    empty = generate(pl_rubric, seed=1).data.model_copy(update={"submissions": []})
    assert main(["analyse", str(write_json(empty, tmp_path / "empty.json"))]) == 2
    assert "[E040]" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["analyse", str(PILOT / "pilot.json"), "-o", str(tmp_path / "file")]) == 2
    assert "[E041]" in capsys.readouterr().err


def test_calibrate_writes_json_and_refuses_bad_requests(tmp_path: Path, capsys, catalogue, pl_rubric) -> None:
    out = tmp_path / "cal"
    assert main(["calibrate", str(PILOT / "pilot.json"), "-o", str(out)]) == 0
    written = json.loads((out / "mo-il-professional-learning-2026.1.json").read_text())
    assert written["format"] == "mc-calibration/1" and written["rubric_hash"] == pl_rubric.content_hash
    assert "macro-F1" in capsys.readouterr().out

    two = combine(generate(pl_rubric, seed=1, prefix="P"), generate(catalogue.get("mo-il-assessment"), seed=1, prefix="Q"))
    both = write_json(two.data, tmp_path / "two.json")
    assert main(["calibrate", str(both), "-o", str(out)]) == 2
    assert "[E043]" in capsys.readouterr().err
    assert main(["calibrate", str(both), "--rubric", "mo-il-curriculum", "-o", str(out)]) == 2
    assert "[E044]" in capsys.readouterr().err
    assert main(["calibrate", str(both), "--rubric", "mo-il-assessment@2026.1", "-o", str(out), "--force"]) == 0
    assert json.loads((out / "mo-il-assessment-2026.1.json").read_text())["rubric_id"] == "mo-il-assessment"

    bare = generate(pl_rubric, seed=1).data
    for s in bare.submissions:
        for d in s.details:
            d.features.clear()
    assert main(["calibrate", str(write_json(bare, tmp_path / "bare.json")), "-o", str(out)]) == 2
    assert "[E046]" in capsys.readouterr().err

    small = generate(pl_rubric, PilotSpec(submissions=4, resubmissions=0), seed=1).data
    assert main(["calibrate", str(write_json(small, tmp_path / "small.json")), "-o", str(out)]) == 2
    assert "[E042]" in capsys.readouterr().err
