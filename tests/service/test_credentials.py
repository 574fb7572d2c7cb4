"""Signed credentials as a relying party checks them: the issuer's published keys, rotation,
revoked keys and revoked credentials (service/issuing.py, screening/exports/verification.py)."""

from __future__ import annotations

import json

import pytest

from screening.exports.verification import bit, verify_credential

from .assessing import current_rubric, full_marking
from .test_assess import _problem, _screened, report  # noqa: F401  (the module's real report fixture)

pytestmark = pytest.mark.models
BASE = "https://mc-screening.example"


def _fetch(api):  # type: ignore[no-untyped-def]
    """What a verifier fetches from the issuer's address, served by this app."""
    def get(url: str) -> dict:  # type: ignore[type-arg]
        assert url.startswith(BASE + "/"), url
        r = api.client.get(url[len(BASE):])
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]
    return get


def _released(api, report) -> str:  # type: ignore[no-untyped-def]
    sub = _screened(api, report)
    api.call("ann", "POST", f"/api/queue/{sub}/claim")
    api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json=full_marking(report, current_rubric(api)))
    assert api.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200
    return sub


def _failed(verdict) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.name: c.detail for c in verdict.failed()}


def test_an_issued_credential_verifies_and_any_change_does_not(api, report):
    api.add_user("ann", "assessor")
    sub = _released(api, report)
    doc = api.call("cand", "GET", f"/api/assessments/{sub}/credential").json()
    assert doc["issuer"]["id"] == f"{BASE}/issuer"
    assert doc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    verdict = verify_credential(doc, fetch=_fetch(api))
    assert verdict.ok, verdict.failed()
    assert {c.name for c in verdict.checks} == {"proof", "key", "dates", "revocation"}
    text = json.dumps(doc)
    changed = json.loads(text.replace('"assessorComment": "seen"', '"assessorComment": "seem"', 1))
    assert changed != doc
    assert "changed after signing" in _failed(verify_credential(changed, fetch=_fetch(api)))["proof"]
    offline = verify_credential(doc)  # without the issuer's documents nothing can be confirmed
    assert not offline.ok and "needed" in _failed(offline)["key"]


def test_the_issuer_profile_and_revocation_list_are_public_and_signed(api, report):
    api.add_user("ann", "assessor")
    _released(api, report)
    profile = api.client.get("/issuer").json()  # no sign-in: verifiers fetch it
    assert profile["id"] == f"{BASE}/issuer" and profile["type"] == ["Profile"]
    [vm] = profile["verificationMethod"]
    assert vm["type"] == "Multikey" and vm["publicKeyMultibase"].startswith("z6Mk")
    assert profile["assertionMethod"] == [vm["id"]] and "secret" not in json.dumps(profile).lower()
    listed = api.client.get("/status/1").json()
    assert "BitstringStatusListCredential" in listed["type"]
    assert verify_credential(listed, fetch=_fetch(api)).ok
    assert api.client.get("/status/2").status_code == 404


def test_revoking_a_credential_shows_in_the_list_and_fails_verification(api, report):
    api.add_user("ann", "assessor")
    api.add_user("root", "admin")
    sub = _released(api, report)
    doc = api.call("cand", "GET", f"/api/assessments/{sub}/credential").json()
    [issued] = api.call("root", "GET", "/api/credentials").json()
    assert issued["submission_id"] == sub and issued["revoked_at"] is None
    _problem(api.call("cand", "POST", f"/api/credentials/{issued['decision_id']}/revoke", json={}), 403, "forbidden")
    r = api.call("root", "POST", f"/api/credentials/{issued['decision_id']}/revoke", json={"reason": "plagiarism"})
    assert r.status_code == 200 and r.json()["revoked_at"]
    listed = api.client.get("/status/1").json()
    assert bit(listed["credentialSubject"]["encodedList"], int(doc["credentialStatus"]["statusListIndex"]))
    assert _failed(verify_credential(doc, fetch=_fetch(api)))["revocation"] == "revoked by the issuer"
    # The credential asked for again keeps its place in the list: still revoked.
    again = api.call("cand", "GET", f"/api/assessments/{sub}/credential").json()
    assert again["credentialStatus"] == doc["credentialStatus"]
    _problem(api.call("root", "POST", "/api/credentials/nope/revoke", json={}), 404, "not_found")


def test_rotation_keeps_old_credentials_valid_and_a_revoked_key_invalidates_them(api, report):
    api.add_user("ann", "assessor")
    api.add_user("root", "admin")
    sub = _released(api, report)
    old = api.call("cand", "GET", f"/api/assessments/{sub}/credential").json()
    [first] = api.call("root", "GET", "/api/issuer/keys").json()
    assert first["state"] == "signing"
    new = api.call("root", "POST", "/api/issuer/keys")
    assert new.status_code == 201 and new.json()["state"] == "signing"
    states = {k["id"]: k["state"] for k in api.call("root", "GET", "/api/issuer/keys").json()}
    assert states == {first["id"]: "retired", new.json()["id"]: "signing"}
    assert verify_credential(old, fetch=_fetch(api)).ok  # retired, not revoked: still valid
    fresh = api.call("cand", "GET", f"/api/assessments/{sub}/credential").json()
    assert fresh["proof"][0]["verificationMethod"] == new.json()["verification_method"]
    r = api.call("root", "POST", f"/api/issuer/keys/{first['id']}/revoke")
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    assert "revoked this key" in _failed(verify_credential(old, fetch=_fetch(api)))["key"]
    assert verify_credential(fresh, fetch=_fetch(api)).ok
    _problem(api.call("ann", "POST", "/api/issuer/keys"), 403, "forbidden")


def test_the_command_line_verifies_an_issued_credential_from_local_copies(api, report, tmp_path, capsys):
    from screening.cli import main

    from ..conftest import SHARED

    api.add_user("ann", "assessor")
    api.add_user("root", "admin")
    sub = _released(api, report)
    files = {}
    for name, url in (("credential", f"/api/assessments/{sub}/credential"), ("issuer", "/issuer"),
                      ("status", "/status/1")):
        r = api.call("cand", "GET", url) if name == "credential" else api.client.get(url)
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(r.text)
    args = ["verify-credential", str(files["credential"]), "--offline",
            "--document", f"{BASE}/issuer={files['issuer']}", "--document", f"{BASE}/status/1={files['status']}"]
    schema = SHARED / "standards" / "ob3" / "achievementcredential.schema.json"
    if schema.exists():
        args += ["--schema", str(schema)]
    assert main(args) == 0, capsys.readouterr()
    shown = capsys.readouterr().out
    assert "ok   revocation: not revoked" in shown and "verified: issued by" in shown
    # One byte changed in the file: not verified.
    text = files["credential"].read_text()
    changed = text.replace('"validFrom":"2', '"validFrom":"1', 1)
    assert changed != text
    files["credential"].write_text(changed)
    assert main(args) == 1
    assert "FAIL proof" in capsys.readouterr().out
    # Revoked since the copies were made: the fresh list says so.
    files["credential"].write_text(text)
    [issued] = api.call("root", "GET", "/api/credentials").json()
    api.call("root", "POST", f"/api/credentials/{issued['decision_id']}/revoke", json={"reason": "test"})
    files["status"].write_text(api.client.get("/status/1").text)
    assert main(args) == 1
    assert "revoked by the issuer" in capsys.readouterr().err
