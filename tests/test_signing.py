"""Data Integrity proofs (eddsa-rdfc-2022) for Open Badges credentials: the W3C test vector, a
round trip, tampering, and the refusals (unknown contexts, undefined terms)."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timezone

import pytest

from screening.exports.signing import (SigningError, SigningKey, b58decode, b58encode, document_loader,
                                       load_or_create_key, sign, verify)

# The published test vector of W3C's "Data Integrity EdDSA Cryptosuites v1.0" (w3c/vc-di-eddsa,
# TestVectors/keyPair.json and TestVectors/eddsa-rdfc-2022/signedDataInt.json).
SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
UNSIGNED = {
    "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
PROOF_VALUE = "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=timezone.utc)


def _loader():  # type: ignore[no-untyped-def]
    # The examples context is one @vocab line; it is given here rather than shipped.
    return document_loader({EXAMPLES: {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}})


def test_the_w3c_test_vector_is_reproduced_exactly():
    key = SigningKey.from_secret_multibase(SECRET)
    assert key.public_multibase == PUBLIC and key.secret_multibase == SECRET
    signed = sign(UNSIGNED, key, CREATED, verification_method=f"https://vc.example/issuers/5678#{PUBLIC}",
                  loader=_loader())
    assert signed["proof"]["proofValue"] == PROOF_VALUE
    assert signed["proof"]["created"] == "2023-02-24T23:36:38Z"
    assert verify(signed, public_key=key.public_bytes, loader=_loader()).ok


def test_any_change_breaks_the_proof_and_says_so():
    key = SigningKey.from_secret_multibase(SECRET)
    signed = sign(UNSIGNED, key, CREATED, loader=_loader(), proof_list=True)
    assert verify(signed, loader=_loader()).ok  # the key from the proof's did:key
    for change in (lambda d: d["credentialSubject"].update(alumniOf="Another School"),
                   lambda d: d.update(validFrom="2024-01-01T00:00:00Z"),
                   lambda d: d["proof"][0].update(created="2023-02-25T00:00:00Z")):
        doc = json.loads(json.dumps(signed))
        change(doc)
        got = verify(doc, loader=_loader())
        assert not got.ok and "changed after signing" in (got.problem or "")
    other = SigningKey.generate()
    forged = json.loads(json.dumps(signed))
    forged["proof"][0]["verificationMethod"] = other.verification_method
    assert not verify(forged, loader=_loader()).ok
    assert "no proof" in (verify(UNSIGNED).problem or "")


def test_nothing_is_fetched_and_undefined_terms_are_refused():
    key = SigningKey.generate()
    with pytest.raises(SigningError, match="contexts are never fetched"):
        sign(UNSIGNED, key, CREATED)  # the examples context is not shipped: an error, not a download
    dropped = {"@context": [{"name": "https://schema.org/name"}], "name": "x", "secretNote": "not covered"}
    with pytest.raises(SigningError, match="secretNote"):
        sign(dropped, key, CREATED, loader=_loader())


def test_base58_round_trips_with_leading_zeros():
    for raw in (b"", b"\0", b"\0\0\x01\xff", os.urandom(34)):
        assert b58decode(b58encode(raw)) == raw


def test_the_issuer_key_is_made_once_private_and_reused(tmp_path):
    path = tmp_path / "keys" / "issuer-key.json"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == first
    assert json.loads(path.read_text())["publicKeyMultibase"] == first.public_multibase
    assert first.did.startswith("did:key:z6Mk")


def test_the_command_line_verifies_a_credential(tmp_path, capsys):
    from screening.cli import main

    key = SigningKey.generate()
    doc = sign({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": {"id": key.did, "name": "Test program"}, "validFrom": "2026-01-01T00:00:00Z",
                "credentialSubject": {"id": "did:example:someone"}}, key, CREATED, proof_list=True)
    good = tmp_path / "credential.json"
    good.write_text(json.dumps(doc))
    assert main(["verify-credential", str(good), "--offline"]) == 0
    shown = capsys.readouterr().out
    assert "ok   key: the issuer's own did:key did:key:" in shown and "verified: issued by Test program" in shown
    doc["credentialSubject"]["id"] = "did:example:someone-else"
    bad = tmp_path / "changed.json"
    bad.write_text(json.dumps(doc))
    assert main(["verify-credential", str(bad)]) == 1
    assert "changed after signing" in capsys.readouterr().err
    assert main(["verify-credential", str(tmp_path / "missing.json")]) != 0


def test_the_shipped_ob_context_is_the_published_one():
    from screening.exports.signing import HERE

    from .conftest import SHARED

    published = SHARED / "standards" / "ob3" / "context-3.0.3.json"
    if not published.exists():
        pytest.skip("../shared/standards is not beside the repository")
    assert json.loads((HERE / "ob-context-3.0.3.json").read_text()) == json.loads(published.read_text())
