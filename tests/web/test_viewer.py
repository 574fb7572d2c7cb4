"""The artifact viewer: each reader sees only what a download would give them, at the cited place."""

from __future__ import annotations

import httpx

from ..service.conftest import PASSWORD
from .pages import browser_sign_in, check_page, sign_in


def _pdf(pages: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


PAGES = ["Agenda for the staff meeting on Monday.",
         "Teachers met in grade-level teams to analyse common formative assessment results and "
         "planned reteaching groups for the students who had not yet mastered the standard.",
         "Sign-in sheet and next steps."]


def _draft_with_files(web) -> tuple[str, dict[str, str]]:
    sub = web.draft("cand")
    ids = {}
    for part, name, data in (("artifact", "plc-minutes.pdf", _pdf(PAGES)),
                             ("narrative", "narrative.md", b"# My narrative\n\nFirst paragraph about our team.\n\n"
                                                           b"Second paragraph: we analysed common formative "
                                                           b"assessment results together.\n")):
        r = web.upload("cand", sub, part, name, data)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    return sub, ids


def test_the_candidate_opens_their_pdf_at_the_cited_page(web):
    sub, ids = _draft_with_files(web)
    sign_in(web, "cand")
    r = web.client.get(f"/view/{sub}/{ids['plc-minutes.pdf']}", params={"page": 2, "q": PAGES[1][:60]})
    assert r.status_code == 200
    assert "plc-minutes.pdf" in r.text and "page 2" in r.text
    assert 'data-mode="pdf"' in r.text and 'data-page="2"' in r.text
    content = web.client.get(f"/view/{sub}/{ids['plc-minutes.pdf']}/content")
    assert content.status_code == 200 and content.headers["content-type"] == "application/pdf"
    assert content.content.startswith(b"%PDF")


def test_text_files_show_their_text_with_the_cited_paragraph_marked(web):
    sub, ids = _draft_with_files(web)
    sign_in(web, "cand")
    r = web.client.get(f"/view/{sub}/{ids['narrative.md']}", params={"q": "we analysed common formative assessment"})
    assert r.status_code == 200
    assert '<mark id="cited">Second paragraph: we analysed common formative assessment results together.</mark>' in r.text
    assert "First paragraph about our team." in r.text


def test_byte_ranges_let_a_recording_start_anywhere(web):
    sub, ids = _draft_with_files(web)
    sign_in(web, "cand")
    url = f"/view/{sub}/{ids['plc-minutes.pdf']}/content"
    whole = web.client.get(url).content
    part = web.client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == whole[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
    tail = web.client.get(url, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == whole[-5:]
    assert web.client.get(url, headers={"Range": f"bytes={len(whole) + 5}-"}).status_code == 416


def test_nobody_else_sees_a_draft_and_assessors_see_aliases_of_submitted_work(web):
    sub, ids = _draft_with_files(web)
    sign_in(web, "ass")
    assert web.client.get(f"/view/{sub}/{ids['plc-minutes.pdf']}").status_code == 404
    assert web.client.get(f"/view/{sub}/{ids['plc-minutes.pdf']}/content").status_code == 404
    r = web.call("cand", "POST", f"/api/submissions/{sub}/submit")
    assert r.status_code == 202
    page = web.client.get(f"/view/{sub}/{ids['plc-minutes.pdf']}", params={"page": 2})
    assert page.status_code == 200
    assert "plc-minutes" not in page.text and "Casey" not in page.text  # the alias, never the candidate's name
    got = web.client.get(f"/view/{sub}/{ids['plc-minutes.pdf']}/content")
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    text = web.client.get(f"/view/{sub}/{ids['narrative.md']}")
    assert text.status_code == 200 and "First paragraph about our team." in text.text
    sign_in(web, "adm")  # admins read content only to reconcile
    refused = web.client.get(f"/view/{sub}/{ids['plc-minutes.pdf']}")
    assert refused.status_code == 409 and "reconcile" in refused.text


def test_a_panel_is_a_fragment_for_the_review_page(web):
    sub, ids = _draft_with_files(web)
    sign_in(web, "cand")
    r = web.client.get(f"/view/{sub}/{ids['plc-minutes.pdf']}/panel", params={"page": 3})
    assert r.status_code == 200 and "<html" not in r.text and 'data-page="3"' in r.text


def test_in_a_browser_the_pdf_is_drawn_at_the_page_with_the_passage_marked(server, browser):
    server.add_user("casey@example.org", "candidate", "Casey Candidate")
    token = httpx.post(server.url + "/api/auth/token",
                       json={"email": "casey@example.org", "password": PASSWORD}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    sub = httpx.post(server.url + "/api/submissions", json={"rubric_id": "mo-il-professional-learning"},
                     headers=auth).json()["id"]
    # A multipart upload, as `curl -F` sends it: the stored file is the PDF, not the form.
    up = httpx.post(server.url + f"/api/submissions/{sub}/files", headers=auth,
                    files={"file": ("plc-minutes.pdf", _pdf(PAGES), "application/pdf")}, data={"part": "artifact"})
    assert up.status_code == 201 and up.json()["kind"] == "pdf", up.text
    from playwright.sync_api import expect

    page = browser.new_page()
    try:
        browser_sign_in(page, server.url, "casey@example.org")
        page.goto(server.url + f"/view/{sub}/{up.json()['id']}?page=2&q=" + PAGES[1].replace(" ", "+"))
        page.wait_for_selector(".viewer .textLayer span.hit", timeout=30_000)
        assert page.locator(".viewer").get_attribute("aria-label") == "Page 2 of 3"
        assert page.locator("[data-viewer-page]").input_value() == "2"
        check_page(page, "viewer-pdf")
        page.get_by_role("button", name="Next page").click()
        expect(page.locator(".viewer")).to_have_attribute("aria-label", "Page 3 of 3")
    finally:
        page.close()
