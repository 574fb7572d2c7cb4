"""The assessor workflow through the API, on SQLite and PostgreSQL: the queue, claims (racing,
expiring, assigned), decisions and their refusals, release, second marking, resubmission and the
pilot export. The report judged is a real screening of the submitted files (made once per module)."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service import assessment as flow
from service.models import Assessment, Decision, utcnow

from .assessing import current_rubric, finish_with, full_marking, submit, tiny_report
from .conftest import RUBRIC, make_api, rubric_yaml, service_settings, tiny_submission

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:  # type: ignore[type-arg]
    """The real screening report of tiny_submission() (the same file names as uploaded)."""
    out = tiny_report(tmp_path_factory.mktemp("tiny"))
    assert out["flags"], "the test needs a report with flags to decide on"
    return out  # type: ignore[no-any-return]


def _problem(r, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.json()["code"] == code, r.text


def _screened(api, report, who: str = "cand") -> str:  # type: ignore[no-untyped-def]
    if who not in api.ids:
        api.add_user(who, "candidate")
    sub, job = submit(api, who)
    finish_with(api, job, report)
    return sub


def _rubric(api):  # type: ignore[no-untyped-def]
    return current_rubric(api)


def test_two_assessors_claim_decide_release_and_export(api, report):
    for name in ("ann", "bob"):
        api.add_user(name, "assessor")
    api.add_user("designer", "program_designer")
    sub = _screened(api, report)

    # Both see the same anonymised queue.
    for who in ("ann", "bob"):
        q = api.call(who, "GET", "/api/queue").json()
        assert q["total"] == 1 and q["claimable"] == 1 and q["by_stage"] == {"first": 1}
        item = q["items"][0]
        assert item["submission_id"] == sub and item["rubric_id"] == RUBRIC and item["version"] == 1
        assert item["details"] == {k: report["summary"][k] for k in ("met", "weak", "missing")}
        assert sum(item["flag_codes"].values()) == len(report["flags"])
        assert "candidate_id" not in json.dumps(q) and api.ids["cand"] not in json.dumps(q)

    # Ann claims; Bob cannot, and cannot decide either.
    r = api.call("ann", "POST", f"/api/queue/{sub}/claim")
    assert r.status_code == 200 and r.json()["claim"]["by_me"] and r.json()["stage"] == "first"
    _problem(api.call("bob", "POST", f"/api/queue/{sub}/claim"), 409, "claim_held")
    _problem(api.call("bob", "PUT", f"/api/assessments/{sub}/decision", json={}), 409, "no_claim")
    bob_view = api.call("bob", "GET", "/api/queue").json()["items"][0]
    assert bob_view["claim"] == {"claimed": True, "by_me": False, "expires_at": None} and not bob_view["claimable"]

    rubric = _rubric(api)
    marking = full_marking(report, rubric, flip=2)
    # Precise refusals: a level not in the rubric, an unknown target, release while undecided.
    bad_level = {"eo_levels": {rubric.essential_outcomes[0].id: {"level": "excellent"}}}
    _problem(api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json=bad_level), 422, "unknown_level")
    _problem(api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json={"flags": {"f999": {"decision": "confirmed"}}}),
             422, "unknown_target")
    _problem(api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json={"flags": {"f1": {"decision": "maybe"}}}),
             422, "invalid_request")
    _problem(api.call("ann", "POST", f"/api/assessments/{sub}/release"), 409, "undecided_flags")
    r = api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json={"flags": marking["flags"]})
    assert r.status_code == 200, r.text
    _problem(api.call("ann", "POST", f"/api/assessments/{sub}/release"), 409, "undecided_details")
    api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json={"details": marking["details"]})
    _problem(api.call("ann", "POST", f"/api/assessments/{sub}/release"), 409, "undecided_levels")
    r = api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json={"eo_levels": marking["eo_levels"]})
    decision = r.json()
    assert decision["state"] == "draft" and decision["role"] == "first"
    assert decision["rubric"] == {"id": rubric.id, "version": rubric.version, "content_hash": rubric.content_hash}
    assert decision["job_id"] == api.call("ann", "GET", f"/api/assessments/{sub}").json()["job_id"]
    assert decision["details"] == marking["details"] and decision["flags"] == marking["flags"]

    r = api.call("ann", "POST", f"/api/assessments/{sub}/release")
    assert r.status_code == 200 and r.json()["stage"] == "released" and not r.json()["claim"]["claimed"]
    _problem(api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json={}), 409, "already_released")
    _problem(api.call("bob", "POST", f"/api/queue/{sub}/claim"), 409, "already_released")
    assert api.call("bob", "GET", "/api/queue").json()["total"] == 0
    assert api.call("bob", "GET", "/api/queue", params={"stage": "released"}).json()["total"] == 1
    released = api.call("bob", "GET", f"/api/assessments/{sub}/decisions").json()
    assert [d["state"] for d in released] == ["final"] and released[0]["eo_levels"] == marking["eo_levels"]

    # The pilot export: advice beside the judgment, de-identified.
    pilot = api.call("designer", "GET", "/api/exports/pilot", params={"rubric_id": RUBRIC}).json()
    assert pilot["format"] == "mc-pilot/1" and len(pilot["submissions"]) == 1
    row = pilot["submissions"][0]
    assert row["outcome"] == "earned"  # every EO at the required level
    assert [d["advisory_status"] for d in row["details"]] == [d["status"] for d in report["details"]]
    (j,) = row["judgments"]
    assert j["assessor"] == "a1" and j["role"] == "first"
    assert j["details"] == {k: v["status"] for k, v in marking["details"].items()}
    assert j["flags"] == {k: "confirmed" for k in marking["flags"]}
    assert [f["ref"] for f in row["flags"]] == [f"f{i + 1}" for i in range(len(report["flags"]))]
    dumped = json.dumps(pilot)
    for secret in (sub, api.ids["cand"], api.ids["ann"], "cand@example.org", "narrative.txt", "growth plan.pdf",
                   "seen", "fractions"):
        assert secret not in dumped, secret
    z = api.call("designer", "GET", "/api/exports/pilot", params={"rubric_id": RUBRIC, "format": "zip"})
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(z.content)).namelist())
    assert names == {"pilot.json", "rubrics.csv", "rubric_details.csv", "submissions.csv", "details.csv",
                     "flags.csv", "judgments.csv"}
    judged = zipfile.ZipFile(io.BytesIO(z.content)).read("judgments.csv").decode()
    assert judged.count("\n") == 1 + len(marking["flags"]) + len(marking["details"]) + len(marking["eo_levels"])
    _problem(api.call("designer", "GET", "/api/exports/pilot", params={"rubric_id": "nope"}), 422, "unknown_rubric")


def test_a_rubric_edit_never_changes_a_past_decision(api, report):
    api.add_user("ann", "assessor")
    api.add_user("designer", "program_designer")
    sub = _screened(api, report)
    rubric = _rubric(api)
    api.call("ann", "POST", f"/api/queue/{sub}/claim")
    api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json=full_marking(report, rubric))
    assert api.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200
    before = api.call("ann", "GET", f"/api/assessments/{sub}/decisions").json()
    export_before = api.call("designer", "GET", "/api/exports/pilot", params={"rubric_id": RUBRIC}).json()

    # An admin publishes an edited rubric (levels renamed, so the required level changes too) and
    # retires the version the decision was made on.
    api.add_user("root", "admin")
    edited = rubric_yaml("99.0").replace("demonstrated", "mastered")
    r = api.call("root", "POST", "/api/rubrics", content=edited.encode(), headers={"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    assert api.call("root", "POST", f"/api/rubrics/{RUBRIC}/versions/{rubric.version}/retire").status_code == 200
    assert {o["id"]: o["version"] for o in api.call("root", "GET", "/api/rubrics").json()}[RUBRIC] == "99.0"

    assert api.call("ann", "GET", f"/api/assessments/{sub}/decisions").json() == before
    with api.state.sessions() as s:
        d = s.scalars(select(Decision)).one()
        assert flow.rubric_of(d).content_hash == rubric.content_hash and flow.outcome(d) == "earned"
    export_after = api.call("designer", "GET", "/api/exports/pilot", params={"rubric_id": RUBRIC}).json()
    assert export_after["rubrics"] == export_before["rubrics"]
    assert export_after["submissions"] == export_before["submissions"]


def test_two_concurrent_claims_one_wins(api, report):
    api.add_user("ann", "assessor")
    api.add_user("bob", "assessor")
    subs = [_screened(api, report) for _ in range(4)]
    for sub in subs:
        barrier = threading.Barrier(2)
        codes: dict[str, int] = {}

        def race(who: str) -> None:
            barrier.wait()
            codes[who] = api.call(who, "POST", f"/api/queue/{sub}/claim").status_code

        threads = [threading.Thread(target=race, args=(w,)) for w in ("ann", "bob")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes.values()) == [200, 409], codes
        with api.state.sessions() as s:
            holder = s.get(Assessment, sub).claimed_by
        winner = next(w for w, c in codes.items() if c == 200)
        assert holder == api.ids[winner]


def test_claims_expire_and_are_released_by_hand(api, report):
    api.add_user("ann", "assessor")
    api.add_user("bob", "assessor")
    api.add_user("admin", "admin")
    sub = _screened(api, report)
    assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
    minutes = api.state.settings.service.claim_minutes
    with api.state.sessions() as s:
        expires = s.get(Assessment, sub).claim_expires_at
    assert timedelta(minutes=minutes - 1) < expires - utcnow() <= timedelta(minutes=minutes)
    with api.state.sessions() as s:  # the claim runs out
        s.execute(update(Assessment).values(claim_expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    _problem(api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json={}), 409, "claim_expired")
    assert api.call("bob", "GET", "/api/queue").json()["items"][0]["claimable"]
    assert api.call("bob", "POST", f"/api/queue/{sub}/claim").status_code == 200
    _problem(api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json={}), 409, "no_claim")
    _problem(api.call("ann", "DELETE", f"/api/queue/{sub}/claim"), 409, "no_claim")
    assert api.call("bob", "DELETE", f"/api/queue/{sub}/claim").status_code == 204
    assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
    assert api.call("admin", "DELETE", f"/api/queue/{sub}/claim").status_code == 204  # an admin frees it
    assert api.call("bob", "POST", f"/api/queue/{sub}/claim").status_code == 200


def test_admin_assignment(api, report):
    api.add_user("ann", "assessor")
    api.add_user("bob", "assessor")
    api.add_user("admin", "admin")
    sub = _screened(api, report)
    other = _screened(api, report)
    _problem(api.call("admin", "PUT", f"/api/queue/{sub}/assignment", json={"assessor_id": api.ids["cand"]}), 422,
             "not_an_assessor")
    r = api.call("admin", "PUT", f"/api/queue/{sub}/assignment", json={"assessor_id": api.ids["ann"]})
    assert r.status_code == 200 and r.json()["assigned"]
    _problem(api.call("bob", "POST", f"/api/queue/{sub}/claim"), 409, "assigned_elsewhere")
    bob = {i["submission_id"]: i for i in api.call("bob", "GET", "/api/queue").json()["items"]}
    assert not bob[sub]["claimable"] and bob[sub]["assigned"] and not bob[sub]["assigned_to_me"]
    assert bob[sub]["assigned_to"] is None  # only admins see to whom
    admin_view = {i["submission_id"]: i for i in api.call("admin", "GET", "/api/queue").json()["items"]}
    assert admin_view[sub]["assigned_to"] == api.ids["ann"]
    ann = api.call("ann", "GET", "/api/queue", params={"mine": True}).json()
    assert [i["submission_id"] for i in ann["items"]] == [sub]
    assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
    _problem(api.call("admin", "POST", f"/api/queue/{other}/claim"), 409, "reconciler_only")
    assert api.call("admin", "PUT", f"/api/queue/{sub}/assignment", json={"assessor_id": None}).json()["assigned"] is False


def test_queue_filters_and_sorting(api, report):
    api.add_user("ann", "assessor")
    first = _screened(api, report)
    api.call("cand", "POST", f"/api/submissions/{first}/resubmit")
    v2 = api.call("cand", "GET", "/api/submissions").json()
    draft = next(s["id"] for s in v2 if s["status"] == "draft")
    second, job = submit(api, "cand", draft=draft)
    finish_with(api, job, report)
    unscreened, _ = submit(api, "cand")  # its screening has not finished: not in the queue
    q = api.call("ann", "GET", "/api/queue").json()
    assert [i["submission_id"] for i in q["items"]] == [first, second]  # longest waiting first
    assert unscreened not in json.dumps(q)
    assert [i["submission_id"] for i in api.call("ann", "GET", "/api/queue", params={"sort": "-waiting"}).json()
            ["items"]] == [second, first]
    assert [i["submission_id"] for i in api.call("ann", "GET", "/api/queue", params={"version": 2}).json()
            ["items"]] == [second]
    assert [i["version"] for i in api.call("ann", "GET", "/api/queue", params={"sort": "version"}).json()
            ["items"]] == [2, 1]
    code = report["flags"][0]["code"]
    assert api.call("ann", "GET", "/api/queue", params={"flag": code}).json()["total"] == 2
    assert api.call("ann", "GET", "/api/queue", params={"flag": "no_such_code"}).json()["total"] == 0
    assert api.call("ann", "GET", "/api/queue", params={"rubric_id": "mo-il-assessment"}).json()["total"] == 0
    _problem(api.call("ann", "GET", "/api/queue", params={"sort": "name"}), 422, "invalid_request")
    _problem(api.call("ann", "POST", f"/api/queue/{unscreened}/claim"), 409, "not_screened")


def test_resubmission_shows_the_previous_released_decision(api, report):
    api.add_user("ann", "assessor")
    v1 = _screened(api, report)
    rubric = _rubric(api)
    api.call("ann", "POST", f"/api/queue/{v1}/claim")
    api.call("ann", "PUT", f"/api/assessments/{v1}/decision", json=full_marking(report, rubric, level="not_yet"))
    assert api.call("ann", "POST", f"/api/assessments/{v1}/release").json()["stage"] == "released"
    v1_job = api.call("ann", "GET", f"/api/assessments/{v1}").json()["job_id"]
    v1_decision = api.call("ann", "GET", f"/api/assessments/{v1}/decisions").json()[0]

    draft = api.call("cand", "POST", f"/api/submissions/{v1}/resubmit").json()["id"]
    v2, job = submit(api, "cand", draft=draft)
    # The new version's report: one detail moved, the first flag cleared, the narrative longer.
    changed = json.loads(json.dumps(report))
    moved = changed["details"][0]
    old_status = moved["status"]
    moved["status"] = "met" if old_status != "met" else "weak"
    cleared = changed["flags"].pop(0)
    narrative = next(p for p in changed["parts"] if p["part"] == "narrative")
    narrative["words"] += 120
    finish_with(api, job, changed)
    view = api.call("ann", "GET", f"/api/assessments/{v2}").json()
    assert view["version"] == 2 and view["job_id"] == job
    assert view["previous"] == {"submission_id": v1, "version": 1, "job_id": v1_job, "decision": v1_decision}
    assert view["previous"]["decision"]["eo_levels"][rubric.essential_outcomes[0].id]["level"] == "not_yet"
    diff = view["diff"]
    assert [(m["detail_id"], m["old"], m["new"]) for m in diff["details_moved"]] == [
        (moved["id"], old_status, moved["status"])]
    assert [f["code"] for f in diff["flags_cleared"]] == [cleared["code"]] and diff["flags_added"] == []
    assert {w["part"]: w["delta"] for w in diff["words"]}["narrative"] == 120
    for name in (n for _, n, _ in tiny_submission()):  # files appear by alias only, as in the report
        assert name not in json.dumps(diff)
    assert api.call("ann", "GET", f"/api/assessments/{v1}").json()["previous"] is None


def test_second_marking_sealed_agreement_and_reconciliation(tmp_path, database_url, report):
    settings = service_settings(tmp_path, database_url=database_url, second_marking=[RUBRIC], agreement_bar=0.8)
    for api in make_api(settings):
        for name in ("ann", "bob", "cat"):
            api.add_user(name, "assessor")
        api.add_user("admin", "admin")
        api.add_user("designer", "program_designer")
        sub = _screened(api, report)
        rubric = _rubric(api)
        ann_marking = full_marking(report, rubric)
        bob_marking = full_marking(report, rubric, flip=4)

        assert api.call("ann", "POST", f"/api/queue/{sub}/claim").json()["double_marking"] is True
        api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json=ann_marking)
        _problem(api.call("ann", "GET", f"/api/assessments/{sub}/decisions"), 403, "decision_sealed")
        assert api.call("ann", "POST", f"/api/assessments/{sub}/release").json()["stage"] == "second"

        _problem(api.call("ann", "POST", f"/api/queue/{sub}/claim"), 409, "already_marked")
        assert api.call("bob", "POST", f"/api/queue/{sub}/claim").status_code == 200
        view = api.call("bob", "GET", f"/api/assessments/{sub}").json()
        assert view["assessment"]["stage"] == "second" and view["my_decision"] is None  # not Ann's
        for who in ("bob", "ann", "cat"):  # nobody peeks before both are in
            _problem(api.call(who, "GET", f"/api/assessments/{sub}/decisions"), 403, "decision_sealed")
        _problem(api.call("admin", "GET", f"/api/assessments/{sub}/decisions"), 409, "reconciler_only")
        api.call("bob", "PUT", f"/api/assessments/{sub}/decision", json=bob_marking)
        assert api.call("bob", "POST", f"/api/assessments/{sub}/release").json()["stage"] == "reconcile"

        # Agreement: share of details and EO levels on which the two agree (4 details differ).
        n = len(ann_marking["details"]) + len(ann_marking["eo_levels"])
        expected = (n - 4) / n
        q = api.call("cat", "GET", "/api/queue").json()
        item = q["items"][0]
        assert item["stage"] == "reconcile" and item["agreement"] == pytest.approx(expected)
        assert item["needs_reconciliation"] is (expected < 0.8) and q["needs_reconciliation"] == int(expected < 0.8)

        # Both markings readable now; the markers cannot reconcile their own work.
        both = api.call("cat", "GET", f"/api/assessments/{sub}/decisions").json()
        assert [(d["role"], d["assessor_id"]) for d in both] == [("first", api.ids["ann"]), ("second", api.ids["bob"])]
        for who in ("ann", "bob"):
            _problem(api.call(who, "POST", f"/api/queue/{sub}/claim"), 409, "already_marked")
        assert api.call("admin", "GET", f"/api/assessments/{sub}").status_code == 200  # may reconcile
        assert api.call("cat", "POST", f"/api/queue/{sub}/claim").status_code == 200
        _problem(api.call("admin", "POST", f"/api/queue/{sub}/claim"), 409, "claim_held")
        api.call("cat", "PUT", f"/api/assessments/{sub}/decision", json=ann_marking)
        assert api.call("cat", "POST", f"/api/assessments/{sub}/release").json()["stage"] == "released"

        pilot = api.call("designer", "GET", "/api/exports/pilot", params={"rubric_id": RUBRIC}).json()
        (row,) = pilot["submissions"]
        assert [(j["assessor"], j["role"]) for j in row["judgments"]] == [("a1", "first"), ("a2", "second"),
                                                                          ("a3", "reconciler")]
        assert row["outcome"] == "earned"


def test_a_policy_change_does_not_alter_work_under_way(tmp_path, database_url, report):
    settings = service_settings(tmp_path, database_url=database_url)
    for api in make_api(settings):
        api.add_user("ann", "assessor")
        sub = _screened(api, report)
        assert api.call("ann", "POST", f"/api/queue/{sub}/claim").json()["double_marking"] is False
        api.state.settings.service.second_marking = ["*"]
        later = _screened(api, report)
        items = {i["submission_id"]: i for i in api.call("ann", "GET", "/api/queue").json()["items"]}
        assert items[sub]["double_marking"] is False and items[later]["double_marking"] is True


def _tagged_recording(fmt: str, name: str) -> bytes:
    """A second of silence whose container and stream tags name ``name``."""
    import av
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        out.metadata["artist"] = name
        out.metadata["title"] = f"{name} teaching"
        stream = out.add_stream("pcm_s16le", rate=8000)
        stream.metadata["comment"] = name
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 8000), dtype=np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return buf.getvalue()


def test_images_and_recordings_lose_their_metadata_and_uncleanable_files_are_not_offered(api):
    import av
    from PIL import Image, PngImagePlugin

    from service.redact import CannotClean, clean

    api.add_user("ann", "assessor")
    api.add_user("cand", "candidate")
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Cand Idate")
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(png, format="PNG", pnginfo=info)
    wav = _tagged_recording("wav", "Cand Idate")
    assert b"Cand Idate" in wav
    sub, _ = submit(api, "cand", [("artifact", "photo.png", png.getvalue()), ("artifact", "talk.wav", wav)])
    files = {f["kind"]: f for f in api.call("ann", "GET", f"/api/submissions/{sub}/files").json()}
    assert set(files) == {"image", "audio"}
    image = api.call("ann", "GET", f"/api/submissions/{sub}/files/{files['image']['id']}/content")
    assert image.status_code == 200 and b"Cand Idate" not in image.content
    assert Image.open(io.BytesIO(image.content)).size == (8, 8)
    audio = api.call("ann", "GET", f"/api/submissions/{sub}/files/{files['audio']['id']}/content")
    assert audio.status_code == 200 and b"Cand Idate" not in audio.content
    with av.open(io.BytesIO(audio.content)) as got:  # still the same recording, tags gone
        assert got.streams.audio[0].sample_rate == 8000 and not {k: v for k, v in got.metadata.items()
                                                                  if "Cand" in v}
        assert abs(float(got.duration) / 1e6 - 1.0) < 0.05
    own = api.call("cand", "GET", f"/api/submissions/{sub}/files/{files['image']['id']}/content")
    assert b"Cand Idate" in own.content  # the candidate gets the file as uploaded
    with pytest.raises(CannotClean):  # a recording that cannot be read is never sent as it is
        clean("audio", b"RIFF\x00\x00\x00\x00WAVEnot really", None)  # type: ignore[arg-type]


def test_a_released_decision_becomes_an_open_badges_credential(api, report):
    from screening.exports.decision import Recipient
    from screening.exports.ob3_validate import validate_credential

    from ..conftest import SHARED

    api.add_user("ann", "assessor")
    api.add_user("root", "admin")
    api.add_user("other", "candidate")
    rubric = _rubric(api)
    earned, not_yet = _screened(api, report), _screened(api, report)
    _problem(api.call("cand", "GET", f"/api/assessments/{earned}/credential"), 409, "not_released")
    for sub, level in ((earned, None), (not_yet, "not_yet")):
        api.call("ann", "POST", f"/api/queue/{sub}/claim")
        api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json=full_marking(report, rubric, level=level))
        assert api.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200

    doc = api.call("cand", "GET", f"/api/assessments/{earned}/credential").json()
    validate_credential(doc, SHARED / "standards" / "ob3" / "achievementcredential.schema.json")
    assert api.call("root", "GET", f"/api/assessments/{earned}/credential").json() == doc  # the same every time
    subject = doc["credentialSubject"]
    identity = subject["identifier"][0]
    assert Recipient(identity_hash=identity["identityHash"], salt=identity["salt"]).matches("cand@example.org")
    assert "cand@example.org" not in json.dumps(doc) and api.ids["cand"] not in json.dumps(doc)
    assert len(subject["result"]) == len(rubric.essential_outcomes) + len(rubric.details())
    # Signed (eddsa-rdfc-2022) by a key the issuer publishes (tests/service/test_credentials.py goes further).
    [proof] = doc["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022" and proof["verificationMethod"].startswith(doc["issuer"]["id"] + "#")
    _problem(api.call("cand", "GET", f"/api/assessments/{not_yet}/credential"), 409, "not_earned")
    _problem(api.call("other", "GET", f"/api/assessments/{earned}/credential"), 404, "not_found")
    _problem(api.call("ann", "GET", f"/api/assessments/{earned}/credential"), 403, "forbidden")


def test_an_office_bomb_is_never_unpacked_for_an_assessor_and_cleaned_documents_stay_compressed(api):
    from ..test_ingest import _bomb_docx
    from .conftest import REPO

    api.add_user("ann", "assessor")
    api.add_user("cand", "candidate")
    api.state.settings.service.max_upload_bytes = 2_000_000
    normal = (REPO / "examples" / "professional-learning" / "narrative.docx").read_bytes()
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        bomb = _bomb_docx(Path(tmp) / "b.docx").read_bytes()
    sub, _ = submit(api, "cand", [("narrative", "narrative.docx", normal), ("artifact", "notes.docx", bomb)])
    files = {f["size_bytes"]: f for f in api.call("ann", "GET", f"/api/submissions/{sub}/files").json()}
    refused = api.call("ann", "GET", f"/api/submissions/{sub}/files/{files[len(bomb)]['id']}/content")
    _problem(refused, 409, "download_unavailable")
    assert "times larger than it is" in refused.json()["detail"]
    cleaned = api.call("ann", "GET", f"/api/submissions/{sub}/files/{files[len(normal)]['id']}/content")
    assert cleaned.status_code == 200 and cleaned.content[:2] == b"PK"
    assert len(cleaned.content) < 2 * len(normal)  # compressed like the original, not stored
    with zipfile.ZipFile(io.BytesIO(cleaned.content)) as z:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())
