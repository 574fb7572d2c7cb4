"""The report: published schema, stable core, readable renderings, advisory wording."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from screening.pipeline import screen
from screening.report import render
from screening.report.model import SCHEMA_VERSION, json_schema
from screening.submission import from_files

from .conftest import REPO

SCHEMA_FILE = REPO / "screening" / "report" / "report.schema.json"
VERDICT_WORDS = re.compile(r"\b(pass(ed|es)?|fail(ed|s)?|award(ed)?|denied|deny|reject(ed)?|approved?|"
                           r"proficient|not proficient|meets? (the )?standard)\b", re.I)


def test_published_schema_is_current():
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema(), "run `python -m screening.report`"


def test_stable_core_fields_are_in_the_schema():
    schema = json_schema()
    props = schema["properties"]
    for key in ("schema_version", "rubric", "parts", "details", "flags"):
        assert key in props and key in schema["required"]
    defs = schema["$defs"]
    assert set(defs["RubricRef"]["properties"]) >= {"id", "version", "content_hash"}
    assert set(defs["PartSummary"]["properties"]) >= {"part", "files", "words", "minimum", "meets_minimum"}
    assert set(defs["DetailResult"]["properties"]) >= {"id", "eo", "text", "status", "evidence"}
    assert set(defs["Evidence"]["properties"]) >= {"file", "page", "start_s", "end_s", "text", "score"}
    assert set(defs["Flag"]["properties"]) >= {"code", "severity", "message", "eo", "detail_id", "file", "location"}
    assert SCHEMA_VERSION == "1.2"


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """A submission whose text tries to inject markup into the HTML report."""
    from screening.rubric import RubricCatalogue
    from screening.settings import Settings

    tmp = tmp_path_factory.mktemp("hostile")
    narrative = tmp / "narrative.md"
    narrative.write_text(
        "Our staff wrote norms together <script>alert('x')</script> and we revisit them at every "
        "PLC meeting so that trust grows & teachers feel safe to try new strategies.\n"
    )
    # thresholds at the floor, so the hostile passage is listed as evidence and rendered
    settings = Settings(cache_dir=tmp / "cache", mapping={"weak_threshold": -1, "met_threshold": 0.9})
    rubric = RubricCatalogue(settings.rubric_dirs).get("mo-il-professional-learning")
    return screen(from_files(narrative=[narrative], rubric_id=rubric.id), rubric, settings).report


@pytest.mark.models
def test_html_escapes_candidate_text(hostile_report):
    html = render.to_html(hostile_report)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert html.count("<script") == 0


@pytest.mark.models
def test_renderings_are_advisory_never_verdicts(hostile_report):
    for text in (render.to_markdown(hostile_report), render.to_html(hostile_report)):
        assert "advisory" in text.lower()
        candidate_text = {ev.text for d in hostile_report.details for ev in d.evidence}
        for line in text.splitlines():
            if any(ct[:40] in line for ct in candidate_text):
                continue  # quoted candidate text is theirs, not ours
            assert not VERDICT_WORDS.search(line), line


def test_flag_messages_are_advisory():
    from screening.flags import CODES

    for fc in CODES.values():
        assert not VERDICT_WORDS.search(fc.template), fc.code
        assert not VERDICT_WORDS.search(fc.hint), fc.code


@pytest.mark.models
def test_write_is_atomic_and_complete(hostile_report, tmp_path):
    paths = render.write(hostile_report, json_path=tmp_path / "a/r.json", md_path=tmp_path / "r.md")
    assert [p.name for p in paths] == ["r.json", "r.md"]
    assert not list(tmp_path.rglob("*.tmp"))
    assert json.loads((tmp_path / "a/r.json").read_text())["schema_version"] == "1.2"
