"""A candidate's name and email planted everywhere (file names, PDF and DOCX metadata, narrative,
reflection and self-analysis text) reach the candidate's own report but never an assessor: every
response body and every downloaded byte stream an assessor can get is searched."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from .assessing import add_candidate, current_rubric, full_marking, screen_for_real, submit
from .conftest import NARRATIVE, REFLECTION

pytestmark = pytest.mark.models

NAME = "Zebulon Quartermaine"
EMAIL = "zebulon.quartermaine@example.org"
FILES = {
    "narrative": f"{NAME} narrative.txt",
    "reflection": "reflection by Zebulon.md",
    "artifact": "Quartermaine growth plan.pdf",
    "self_analysis": "zebulon.quartermaine self-analysis.docx",
}


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    for key in ("author", "title", "subject", "keywords", "creator"):
        getattr(pdf, f"set_{key}")(f"{NAME} <{EMAIL}>")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, f"Professional growth plan of {NAME}. Goal: use formative assessment weekly. "
                         f"Evidence: exit tickets, coaching notes. Contact: {EMAIL}.")
    return bytes(pdf.output())


def _docx() -> bytes:
    import docx

    d = docx.Document()
    props = d.core_properties
    props.author = props.last_modified_by = NAME
    props.title = props.subject = props.keywords = props.comments = f"Self-analysis of {NAME}"
    d.sections[0].header.paragraphs[0].text = f"{NAME}, {EMAIL}"
    p = d.add_paragraph("I, ")
    p.add_run("Zebu")  # the name split over runs, as word processors do
    p.add_run("lon Quarter")
    p.add_run("maine, cite my coaching notes as evidence for the professional learning goals.")
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Evidence of professional learning: the coaching log, page 2"
    table.cell(0, 1).text = f"Prepared by {EMAIL}"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _files() -> list[tuple[str, str, bytes]]:
    planted = f" I am {NAME} and my email is {EMAIL}. {NAME.split()[1]} met the coach weekly."
    return [
        ("narrative", FILES["narrative"], NARRATIVE + planted.encode()),
        ("reflection", FILES["reflection"], REFLECTION + f" Zebulon learned a lot. Write to {EMAIL}.".encode()),
        ("artifact", FILES["artifact"], _pdf()),
        ("self_analysis", FILES["self_analysis"], _docx()),
    ]


def _secrets(api, sub: str) -> list[str]:  # type: ignore[no-untyped-def]
    words = [w.lower() for w in (NAME, EMAIL, "zebulon", "quartermaine", *FILES.values())]
    return [*words, api.ids["zebulon.quartermaine"]]


def _leaks(blob: bytes | str, secrets: list[str]) -> list[str]:
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    return [s for s in secrets if s in text.lower()]


def _pdf_streams(data: bytes) -> list[bytes]:
    """Every object of a PDF as bytes, streams decoded, so compressed text is searched too."""
    import pikepdf

    out = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/Info" not in pdf.trailer or not dict(pdf.docinfo)
        assert "/Metadata" not in pdf.Root
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    out.append(obj.read_bytes())
                except pikepdf.PdfError:
                    out.append(obj.read_raw_bytes())
            else:
                out.append(repr(obj).encode())
    return out


def _pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def _download_parts(kind: str, data: bytes) -> list[bytes]:
    """The downloaded bytes, plus what they hold once decompressed (PDF streams, DOCX members)."""
    parts = [data]
    if kind == "pdf":
        parts += _pdf_streams(data) + [_pdf_text(data).encode()]
    if kind == "docx":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts += [z.read(n) for n in z.namelist()]
    return parts


def test_no_candidate_name_or_email_reaches_an_assessor(api):
    add_candidate(api, "zebulon.quartermaine", NAME)
    api.add_user("ann", "assessor")
    sub, job = submit(api, "zebulon.quartermaine", _files())
    screen_for_real(api, job)
    secrets = _secrets(api, sub)

    # The planted name did reach what the candidate sees: report (file names and evidence) and files.
    own = api.call("zebulon.quartermaine", "GET", f"/api/jobs/{job}/report").json()
    own_text = json.dumps(own).lower()
    assert FILES["artifact"].lower() in own_text and "quartermaine" in own_text
    assert any("quartermaine" in e["text"].lower() or "zebulon" in e["text"].lower()
               for d in own["details"] for e in d["evidence"]), "no evidence quote holds the planted name"
    own_files = api.call("zebulon.quartermaine", "GET", f"/api/submissions/{sub}/files").json()
    pdf_id = next(f["id"] for f in own_files if f["part"] == "artifact")
    original = api.call("zebulon.quartermaine", "GET", f"/api/submissions/{sub}/files/{pdf_id}/content")
    assert b"Quartermaine" in original.content and "Quartermaine" in original.headers["content-disposition"]

    # Everything an assessor can ask for, in the order of the work.
    bodies: dict[str, bytes | str] = {}

    def get(method: str, path: str, **kw) -> object:  # type: ignore[no-untyped-def]
        r = api.call("ann", method, path, **kw)
        assert r.status_code < 300, (path, r.text)
        bodies[f"{method} {path}"] = r.content + json.dumps(dict(r.headers)).encode()
        return r.json() if r.headers.get("content-type", "").startswith("application/json") else r

    get("GET", "/api/queue")
    get("GET", "/api/submissions")
    get("GET", f"/api/submissions/{sub}")
    get("GET", f"/api/submissions/{sub}/jobs")
    get("GET", f"/api/jobs/{job}")
    report = get("GET", f"/api/jobs/{job}/report")
    files = get("GET", f"/api/submissions/{sub}/files")
    get("POST", f"/api/queue/{sub}/claim")
    review = get("GET", f"/api/assessments/{sub}")
    marking = full_marking(review["report"], current_rubric(api))  # type: ignore[index]
    get("PUT", f"/api/assessments/{sub}/decision", json=marking)
    get("POST", f"/api/assessments/{sub}/release")
    get("GET", f"/api/assessments/{sub}/decisions")
    get("GET", f"/api/assessments/{sub}")

    aliases = {f["part"]: f["name"] for f in files}  # type: ignore[union-attr]
    assert aliases == {"narrative": "narrative-1.txt", "reflection": "reflection-1.md", "artifact": "artifact-1.pdf",
                       "self_analysis": "self-analysis-1.docx"}
    # The same aliases everywhere the report names a file.
    for shown in (report, review["report"]):  # type: ignore[index]
        assert {f["name"] for f in shown["files"]} == set(aliases.values())  # type: ignore[index]
        assert {e["file"] for d in shown["details"] for e in d["evidence"]} <= set(aliases.values())  # type: ignore[index]
        assert {f["file"] for f in shown["flags"] if f.get("file")} <= set(aliases.values())  # type: ignore[index]
    assert "[candidate]" in json.dumps(report)

    for f in files:  # type: ignore[union-attr]
        r = api.call("ann", "GET", f"/api/submissions/{sub}/files/{f['id']}/content")
        assert r.status_code == 200, r.text
        assert f"filename*=UTF-8''{f['name']}" in r.headers["content-disposition"]
        for i, part in enumerate(_download_parts(f["kind"], r.content)):
            bodies[f"download {f['name']} part {i}"] = part
        bodies[f"download {f['name']} headers"] = json.dumps(dict(r.headers))
        if f["kind"] == "docx":
            import docx

            props = docx.Document(io.BytesIO(r.content)).core_properties  # still a valid document
            assert (props.author, props.last_modified_by, props.title) == ("", "", "")
        if f["kind"] == "pdf":
            assert _pdf_text(r.content) == ""  # rebuilt from images: the name's page had no other way out
            assert b"%PDF" == r.content[:4]

    leaks = {where: found for where, blob in bodies.items() if (found := _leaks(blob, secrets))}
    assert not leaks, leaks
    assert len([k for k in bodies if k.startswith("download")]) >= 8
