"""The example submission screens cleanly; its copy with planted problems
(examples/src/professional-learning/planted.yaml) gets exactly those problems, with locations."""

from __future__ import annotations

import filecmp
import sys
from pathlib import Path

import pytest
import yaml

from screening.pipeline import screen
from screening.submission import from_folder

from .conftest import REPO

sys.path.insert(0, str(REPO / "examples"))
from build import build, load_plants  # noqa: E402

pytestmark = pytest.mark.models

SRC = REPO / "examples" / "src" / "professional-learning"
CLEAN = REPO / "examples" / "professional-learning"
PLANTED = REPO / "examples" / "professional-learning-planted"
# The one flag the clean example gets: its 1.3 evidence ("flops" shared at faculty meetings) is
# real, but scores 0.59 against the detail's wording, below the 0.62 met threshold: a known
# mapping miss (issue 8), not a planted problem.
KNOWN_CLEAN_FLAGS = {("weak_evidence", "1.3")}


@pytest.fixture(scope="module")
def reports(catalogue):
    from screening.settings import Settings

    settings = Settings(rubric_dirs=[REPO / "rubrics"], use_cache=False)
    rubric = catalogue.get("mo-il-professional-learning")
    return {name: screen(from_folder(folder), rubric, settings).report
            for name, folder in (("clean", CLEAN), ("planted", PLANTED))}


def _key(flag) -> tuple:
    return (flag.code, flag.detail_id, flag.file, flag.part, flag.location.row if flag.location else None)


def test_committed_planted_copy_is_current(tmp_path):
    out = tmp_path / "planted"
    build(SRC, out, plants=load_plants(SRC))
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        assert filecmp.cmp(path, PLANTED / path.relative_to(out), shallow=False), path.name
    assert sorted(p.relative_to(PLANTED) for p in PLANTED.rglob("*") if p.is_file()) == \
        sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())


def test_clean_example_screens_cleanly(reports):
    report = reports["clean"]
    assert {(f.code, f.detail_id) for f in report.flags} == KNOWN_CLEAN_FLAGS
    assert all(p.meets_minimum is not False for p in report.parts)
    assert report.readiness.citation_problems == report.readiness.echo_passages == 0


def test_planted_copy_gets_exactly_the_planted_flags(reports):
    expected = load_plants(SRC)["expect"]
    clean = {_key(f) for f in reports["clean"].flags}
    added = [f for f in reports["planted"].flags if _key(f) not in clean]
    unmatched = list(added)
    for want in expected:
        hits = [f for f in unmatched if f.code == want["code"] and all(
            (f.location.row if f.location else None) == v if k == "row" else getattr(f, k) == v
            for k, v in want.items() if k != "code")]
        assert len(hits) == 1, f"{want}: {len(hits)} matching flags among {[_key(f) for f in added]}"
        unmatched.remove(hits[0])
    assert unmatched == [], f"flags not planted: {[_key(f) for f in unmatched]}"


def test_planted_flags_carry_their_locations(reports):
    flags = {f.code: f for f in reports["planted"].flags}
    echo = flags["rubric_echo"]
    from screening.ingest import ingest_file
    from screening.settings import LimitSettings

    narrative = ingest_file(PLANTED / "narrative.docx", LimitSettings(), display_name="narrative.docx").text
    planted = " ".join(load_plants(SRC)["narrative_append"][0].split())
    assert narrative[echo.location.char_start:echo.location.char_end] == planted
    wrong = flags["citation_wrong_location"]
    assert wrong.file == "artifacts/pl-plan-2025-26.pdf" and "page 4 of pl-plan-2025-26.pdf" in wrong.message
    assert "page 9" in flags["citation_page_out_of_range"].message
    assert "pl-monitoring-dashboard.pdf" in flags["citation_missing_artifact"].message
    assert flags["word_minimum"].file == "reflection.md" or flags["word_minimum"].part == "reflection"


def test_planted_readiness_lists_the_fixes(reports):
    r = reports["planted"].readiness
    assert r.word_minimum_problems == 1 and r.echo_passages == 1 and r.citation_problems == 6
    codes = [c for fx in r.fixes for c in fx.codes]
    assert codes.index("word_minimum") < codes.index("citation_page_out_of_range") < codes.index("rubric_echo")


def test_planted_yaml_documents_every_expected_flag():
    data = yaml.safe_load((SRC / "planted.yaml").read_text())
    assert {e["code"] for e in data["expect"]} >= {
        "citation_missing_row", "citation_page_out_of_range", "citation_wrong_location", "citation_missing_artifact",
        "citation_unparsed", "explanation_too_short", "rubric_echo", "word_minimum"}
