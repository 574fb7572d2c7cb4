"""Data Integrity proofs for Open Badges 3.0 credentials: ``eddsa-rdfc-2022``.

The cryptosuite OB 3.0 issuers must support (W3C *Data Integrity EdDSA Cryptosuites v1.0*):
the credential without its proof and the proof's options are each canonicalised with RDF Dataset
Canonicalization (RDFC-1.0, which pyld implements as URDNA2015) and hashed with SHA-256; the
Ed25519 signature over hash(options) + hash(credential) is the proof's ``proofValue``
(multibase base58btc).

Nothing is fetched: JSON-LD contexts come from files shipped in ``contexts/`` (the W3C VC 2.0
context and 1EdTech's OB 3.0.3 context, identical to the published files), and a context this
module does not hold is an error, never a download. A term that no context defines would be
silently dropped by canonicalisation, leaving data the signature does not cover, so signing
refuses a credential with such a term (the Data Integrity "safe mode"). (VC 2.0's context maps
otherwise undefined terms to its issuer-dependent vocabulary, so they are signed, not dropped.)

Keys are Ed25519 ``Multikey``s named by ``did:key``: a verifier resolves the key from the
identifier itself, offline.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "contexts"
CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
}
CRYPTOSUITE = "eddsa-rdfc-2022"
_ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub, as a varint
_ED25519_PRIV = b"\x80\x26"  # multicodec ed25519-priv
_UNDEFINED = "urn:mc-screening:undefined-term:"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class SigningError(Exception):
    """A credential that cannot be signed or a proof that does not verify; the message says why."""


# --- multibase base58btc ----------------------------------------------------------------------

def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58decode(text: str) -> bytes:
    n = 0
    for ch in text:
        i = _B58.find(ch)
        if i < 0:
            raise SigningError(f"not base58btc: {ch!r}")
        n = n * 58 + i
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def multibase(data: bytes) -> str:
    return "z" + b58encode(data)


def from_multibase(text: str) -> bytes:
    if not text.startswith("z"):
        raise SigningError("only base58btc multibase values ('z…') are used here")
    return b58decode(text[1:])


# --- keys -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 key pair; ``seed`` is the 32-byte secret."""

    seed: bytes

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(os.urandom(32))

    @classmethod
    def from_secret_multibase(cls, text: str) -> "SigningKey":
        raw = from_multibase(text)
        if raw[:2] != _ED25519_PRIV or len(raw) != 34:
            raise SigningError("not an Ed25519 secret key multibase")
        return cls(raw[2:])

    def _private(self):  # type: ignore[no-untyped-def]
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public_bytes(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return self._private().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)  # type: ignore[no-any-return]

    @property
    def public_multibase(self) -> str:
        return multibase(_ED25519_PUB + self.public_bytes)

    @property
    def secret_multibase(self) -> str:
        return multibase(_ED25519_PRIV + self.seed)

    @property
    def did(self) -> str:
        return f"did:key:{self.public_multibase}"

    @property
    def verification_method(self) -> str:
        return f"{self.did}#{self.public_multibase}"

    def sign(self, data: bytes) -> bytes:
        return self._private().sign(data)  # type: ignore[no-any-return]


def load_or_create_key(path: Path) -> SigningKey:
    """The issuer's key from ``path`` (JSON with ``secretKeyMultibase``), made on first use and
    readable by its owner only. Losing it means credentials already issued still verify (their
    key is in their did:key) but new ones are signed by a new key."""
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        return SigningKey.from_secret_multibase(data["secretKeyMultibase"])
    key = SigningKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"type": "Multikey", "publicKeyMultibase": key.public_multibase,
                   "secretKeyMultibase": key.secret_multibase}, fh)
    try:
        os.link(tmp, path)  # never overwrite a key another process made meanwhile
    except FileExistsError:
        tmp.unlink()
        return load_or_create_key(path)
    tmp.unlink()
    return key


def public_key_of(verification_method: str) -> bytes:
    """The raw Ed25519 public key a ``did:key`` verification method names."""
    did = verification_method.split("#", 1)[0]
    if not did.startswith("did:key:z"):
        raise SigningError(f"cannot resolve {verification_method!r} offline: only did:key is resolved here")
    raw = from_multibase(did[len("did:key:"):])
    if raw[:2] != _ED25519_PUB or len(raw) != 34:
        raise SigningError("the did:key is not an Ed25519 key")
    return raw[2:]


# --- canonicalisation -------------------------------------------------------------------------

class Loader:
    """A pyld document loader that serves the shipped contexts (and ``extra`` URL → document)
    and refuses every other URL: nothing is fetched. ``refused`` keeps the URLs it refused, so the
    error can name them (pyld reports a refusal only as a failed dereference)."""

    def __init__(self, extra: dict[str, Any] | None = None) -> None:
        self.docs: dict[str, Any] = dict(extra or {})
        self.refused: list[str] = []

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        if url not in self.docs:
            if url not in CONTEXT_FILES:
                self.refused.append(url)
                raise SigningError(f"unknown JSON-LD context {url}: contexts are never fetched")
            self.docs[url] = json.loads((HERE / CONTEXT_FILES[url]).read_text(encoding="utf-8"))
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(self.docs[url])}

    def problem(self, exc: Exception) -> str:
        if self.refused:
            return f"unknown JSON-LD context {self.refused[-1]}: contexts are never fetched"
        return _cause(exc)


def document_loader(extra: dict[str, Any] | None = None) -> Loader:
    return Loader(extra)


def undefined_terms(doc: dict[str, Any], loader: Loader) -> list[str]:
    """Terms of ``doc`` that its contexts do not define (canonicalisation would drop them)."""
    from pyld import jsonld

    probe = copy.deepcopy(doc)
    ctx = probe.get("@context", [])
    # First, so any @vocab of the credential's own contexts (VC 2.0 has one) takes precedence: a
    # term that still lands in the sentinel namespace is one that canonicalisation would drop.
    probe["@context"] = [{"@vocab": _UNDEFINED}, *(ctx if isinstance(ctx, list) else [ctx])]
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k.startswith(_UNDEFINED):
                    found.add(k[len(_UNDEFINED):])
                if k == "@type":
                    for t in v if isinstance(v, list) else [v]:
                        if isinstance(t, str) and t.startswith(_UNDEFINED):
                            found.add(t[len(_UNDEFINED):])
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    try:
        walk(jsonld.expand(probe, {"documentLoader": loader}))
    except jsonld.JsonLdError as exc:
        raise SigningError(f"the credential is not valid JSON-LD: {loader.problem(exc)}") from None
    return sorted(found)


def _cause(exc: Exception) -> str:
    while getattr(exc, "cause", None) is not None:
        exc = exc.cause  # type: ignore[assignment]
    return str(exc).splitlines()[0]


def canonical(doc: dict[str, Any], loader: Loader) -> str:
    from pyld import jsonld

    try:
        return jsonld.normalize(doc, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                      "documentLoader": loader, "safe": True})  # type: ignore[no-any-return]
    except jsonld.JsonLdError as exc:
        raise SigningError(f"the credential cannot be canonicalised: {loader.problem(exc)}") from None


def _hash_data(unsecured: dict[str, Any], options: dict[str, Any], loader: Loader) -> bytes:
    config = {"@context": unsecured.get("@context"), **options}
    return (hashlib.sha256(canonical(config, loader).encode()).digest()
            + hashlib.sha256(canonical(unsecured, loader).encode()).digest())


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- proofs -----------------------------------------------------------------------------------

def sign(credential: dict[str, Any], key: SigningKey, created: datetime, *,
         verification_method: str | None = None, loader: Loader | None = None,
         proof_list: bool = False) -> dict[str, Any]:
    """The credential with an ``eddsa-rdfc-2022`` DataIntegrityProof (``assertionMethod``).
    ``proof_list``: the proof as a one-element list (Open Badges 3.0's schema wants an array)."""
    loader = loader or document_loader()
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    missing = undefined_terms(unsecured, loader)
    if missing:
        raise SigningError("these terms are defined by none of the credential's contexts, so a signature would "
                           f"not cover them: {', '.join(missing)}")
    options = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": _iso(created),
               "verificationMethod": verification_method or key.verification_method,
               "proofPurpose": "assertionMethod"}
    signature = key.sign(_hash_data(unsecured, options, loader))
    proof = {**options, "proofValue": multibase(signature)}
    return {**unsecured, "proof": [proof] if proof_list else proof}


@dataclass(frozen=True)
class Verified:
    ok: bool
    problem: str | None = None
    verification_method: str | None = None


def verify(secured: dict[str, Any], *, public_key: bytes | None = None, loader: Loader | None = None) -> Verified:
    """Check a credential's ``eddsa-rdfc-2022`` proof. The key comes from ``public_key`` or from
    the proof's did:key verification method."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    loader = loader or document_loader()
    proof = secured.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]  # a set of one proof: it signs the credential without its proof, as alone
    if not isinstance(proof, dict):
        return Verified(False, "the credential has no proof, or a set of several (not verified here)")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return Verified(False, f"not a {CRYPTOSUITE} DataIntegrityProof")
    if proof.get("proofPurpose") != "assertionMethod":
        return Verified(False, "the proof's purpose is not assertionMethod")
    method = str(proof.get("verificationMethod", ""))
    try:
        key = public_key or public_key_of(method)
        signature = from_multibase(str(proof.get("proofValue", "")))
        options = {k: v for k, v in proof.items() if k != "proofValue"}
        unsecured = {k: v for k, v in secured.items() if k != "proof"}
        data = _hash_data(unsecured, options, loader)
    except SigningError as exc:
        return Verified(False, str(exc), method)
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return Verified(False, "the signature does not match the credential: it was changed after signing, "
                               "or signed by another key", method)
    return Verified(True, None, method)
