"""A video among the artifacts: its speech becomes time-stamped passages that map like any other,
and a damaged recording beside it does not stop the rest being screened."""

from __future__ import annotations

import json

import pytest

from screening.cli import main

from .conftest import shared_data
from .test_media import make_mp4

pytestmark = pytest.mark.models


def test_video_evidence_is_time_stamped_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path / "cache"))
    # thresholds at the floor: the clip (JFK) is not about professional learning, but its passage
    # must still travel through mapping and into the report with its time span
    monkeypatch.setenv("SCREENING_MAPPING__WEAK_THRESHOLD", "-1")
    monkeypatch.setenv("SCREENING_MAPPING__COMPETITION_MARGIN", "2")
    from screening.settings import get_settings

    get_settings.cache_clear()
    jfk = shared_data("audio", "jfk.flac")
    video = make_mp4(tmp_path / "classroom.mp4", jfk)
    truncated = tmp_path / "meeting.flac"
    truncated.write_bytes(jfk.read_bytes()[:300_000])
    out = tmp_path / "out"
    # time stamps as candidates write them: within the 11 s clip, and past its end
    explanation = "The recording shows me speaking to the staff about service and what each of us can give."
    (tmp_path / "sa.csv").write_text(
        "EO detail,Artifact,Location,Explanation\n"
        f"1.1,classroom.mp4,at 0:05,{explanation}\n"
        f"1.2,classroom.mp4,02:45,{explanation}\n"
        f"1.3,classroom.mp4,0:03-0:09,{explanation}\n"
        f"1.4,classroom.mp4,0:08-1:02:10,{explanation}\n"
    )
    try:
        code = main(["check", "--rubric", "mo-il-professional-learning", "--artifact", str(video), "--artifact", str(truncated),
                     "--self-analysis", str(tmp_path / "sa.csv"), "--out", str(out), "--quiet"])
    finally:
        get_settings.cache_clear()
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    files = {f["name"]: f for f in report["files"]}
    assert files["classroom.mp4"]["kind"] == "video" and files["classroom.mp4"]["media"]["speech_s"] > 5
    timed = [e for d in report["details"] for e in d["evidence"] if e["file"] == "classroom.mp4"]
    assert timed, "the video's speech should appear as evidence"
    for e in timed:
        assert e["start_s"] is not None and e["end_s"] > e["start_s"]
        assert e["fragment"] == f"#t={e['start_s']:g},{e['end_s']:g}"
        assert "country" in e["text"].lower()
    unreadable = [f for f in report["flags"] if f["file"] == "meeting.flac"]
    assert [f["code"] for f in unreadable] == ["file_unreadable"]
    assert "cut short" in unreadable[0]["message"]
    out_of_range = [f for f in report["flags"] if f["code"] == "citation_time_out_of_range"]
    assert sorted(f["location"]["row"] for f in out_of_range) == [3, 5]
    assert "02:45" in out_of_range[0]["message"] and "00:11" in out_of_range[0]["message"]
    md = (out / "report.md").read_text()
    assert "classroom.mp4, 00:0" in md  # mm:ss–mm:ss location in the readable report
