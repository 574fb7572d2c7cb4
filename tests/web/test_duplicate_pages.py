"""Shared and duplicate evidence on the pages: the assessor's review page (aliases, no names), the
admin's page (both candidates; approving a team artifact), never the candidate's pages."""

from __future__ import annotations

from ..service.assessing import add_candidate, screen_for_real, submit
from ..service.test_duplicates import ALICE_TEXT, BOB_TEXT, TEAM_PDF
from .pages import form_post, sign_in


def test_assessor_and_admin_pages_show_duplicates_candidates_never(web):
    add_candidate(web, "alice", "Alice Example")
    add_candidate(web, "bob", "Bob Sample")
    a, ja = submit(web, "alice", [("narrative", "alice narrative.txt", ALICE_TEXT.encode()),
                                  ("artifact", "alice-team-minutes.pdf", TEAM_PDF)])
    screen_for_real(web, ja)
    b, jb = submit(web, "bob", [("narrative", "bob narrative.txt", BOB_TEXT.encode()),
                                ("artifact", "bob-plc.pdf", TEAM_PDF)])
    screen_for_real(web, jb)

    sign_in(web, "ass")
    page = web.client.get(f"/review/{b}")
    assert page.status_code == 200, page.text
    assert "Shared or duplicate evidence" in page.text and "possible duplicate" in page.text
    assert f"/review/{a}" in page.text and "artifact-1.pdf" in page.text
    for secret in ("Alice", "alice@example.org", "Bob Sample", "alice-team-minutes", "bob-plc"):
        assert secret not in page.text, secret

    sign_in(web, "adm")
    page = web.client.get("/admin/duplicates")
    assert page.status_code == 200
    assert "Alice Example" in page.text and "Bob Sample" in page.text and "alice-team-minutes.pdf" in page.text
    assert "Approve as shared team artifact" in page.text
    sha = web.call("adm", "GET", f"/api/submissions/{b}/duplicates").json()["items"][0]["sha256"]
    r = form_post(web, "/admin/duplicates", "/admin/shared-evidence", {"sha256": sha}, follow_redirects=True)
    assert r.status_code == 200 and "Approved as shared evidence." in r.text
    assert "approved shared evidence" in r.text

    sign_in(web, "ass")
    assert "approved shared evidence" in web.client.get(f"/review/{b}").text

    for who, sub, job in (("alice", a, ja), ("bob", b, jb)):
        sign_in(web, who)
        for url in (f"/my/submissions/{sub}", f"/my/submissions/{sub}/reports/{job}", "/my"):
            text = web.client.get(url).text
            assert "duplicate" not in text.lower() and "shared evidence" not in text.lower(), url
        assert web.client.get("/admin/duplicates").status_code in (403, 404)
