"""The candidate's program pages (/my/programs) and the queue's coaching badge (issue 19)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from ..conftest import REPO
from ..service.conftest import Api, make_api, service_settings
from ..service.test_programs import IL, ORDERED, _decide, _submitted
from .pages import add_people, browser_sign_in, check_page, form_post, sign_in


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Api]:
    """Pages with the shipped programs and the ordered test program (two attempts before coaching)."""
    extra = tmp_path / "programs"
    extra.mkdir()
    (extra / "test-ordered.yaml").write_text(ORDERED)
    settings = service_settings(tmp_path, max_upload_bytes=2 * 1024 * 1024)
    settings = settings.model_copy(update={"program_dirs": [REPO / "programs", extra]})
    for api in make_api(settings):
        add_people(api)
        api.add_user("ann", "assessor")
        yield api


def _row(html: str, mc_id: str) -> str:
    start = html.index(f'id="mc-{mc_id}"')
    return html[start:html.index("</tr>", start)]


def test_programs_are_listed_and_followed_from_the_page(web):
    sign_in(web, "cand")
    home = web.client.get("/my").text
    assert 'href="/my/programs"' in home
    page = web.client.get("/my/programs").text
    for title in ("Missouri Leadership Development System micro-credentials",
                  "Colorado ASCD Teacher Leader Micro-Credentials", "Arkansas DESE approved micro-credentials"):
        assert title in page
    html = web.client.get("/my/programs/mo-mlds").text
    assert "Follow this program" in html and "At most 2" in html
    assert "You may start it" in _row(html, IL[0]) and "Not offered here" in _row(html, "mo-mlds-mc-05")
    r = form_post(web, "/my/programs/mo-mlds", "/my/programs/mo-mlds/follow", {"action": "follow"},
                  follow_redirects=False)
    assert r.status_code == 303
    html = web.client.get("/my/programs/mo-mlds").text
    assert "Stop following" in html and "Following" in html
    # Colorado: the order shows even though none of its MCs can be submitted here yet.
    co = web.client.get("/my/programs/co-tlmc").text
    assert "Complete Teacher as Learner and Leader (entry point) first." in _row(co, "co-tl-collaboration-1")
    assert "Opens when you complete: Teacher as Learner and Leader (entry point)" in co
    assert "3" in co and "coaching meeting" in co
    # A form without the CSRF token changes nothing.
    assert web.client.post("/my/programs/mo-mlds/follow", data={"action": "unfollow"}).status_code == 403


def test_a_draft_over_the_limit_is_refused_on_the_page_with_the_reason(web):
    sign_in(web, "cand")
    form_post(web, "/my/programs/mo-mlds", "/my/programs/mo-mlds/follow", {"action": "follow"})
    web.draft("cand", IL[0])
    web.draft("cand", IL[1])
    html = web.client.get("/my/programs/mo-mlds").text
    assert "Not yet open to you" in _row(html, IL[2]) and "allows 2 at a time" in _row(html, IL[2])
    assert "you have 2 in progress" in html
    r = form_post(web, f"/my/new?rubric={IL[2]}", "/my/new", {"rubric_id": IL[2]})
    assert r.status_code == 409
    assert "Effective Assessment cannot be started under" in r.text and 'role="alert"' in r.text


def test_earned_stack_and_coaching_show_on_the_pages_and_in_the_queue(web):
    sign_in(web, "cand")
    form_post(web, "/my/programs/test-ordered", "/my/programs/test-ordered/follow", {"action": "follow"})
    first = _submitted(web, "mo-il-curriculum")
    _decide(web, first, "mo-il-curriculum", earned=False)
    again = web.call("cand", "POST", f"/api/submissions/{first}/resubmit").json()["id"]
    second = _submitted(web, "mo-il-curriculum", draft=again)

    # The assessor's queue: the second attempt of two needs coaching if it does not earn the MC.
    sign_in(web, "ass")
    queue = web.client.get("/queue").text
    row = queue[queue.index(f'id="row-{second}"'):]
    row = row[:row.index("</tr>")]
    assert "Attempt 2 of 2" in row and "Coaching required" in row
    assert "Casey" not in queue and "cand@example.org" not in queue

    sign_in(web, "cand")
    html = web.client.get("/my/programs/test-ordered").text
    assert "Coaching required" in _row(html, "first-mc") and "2 of 2" in _row(html, "first-mc")
    _decide(web, second, "mo-il-curriculum")  # the second attempt earns it
    html = web.client.get("/my/programs/test-ordered").text
    assert "Earned" in _row(html, "first-mc") and "Coaching required" not in _row(html, "first-mc")
    assert "You may start it" in _row(html, "second-mc")
    r = web.client.get("/my/programs/test-ordered/stacks/entry/credential")
    assert r.status_code == 200 and r.json()["credentialSubject"]["achievement"]["name"] == "Entry stack"
    assert "attachment" in r.headers["content-disposition"]
    # Not complete yet: the page says why instead of a file.
    r = web.client.get("/my/programs/test-ordered/stacks/next/credential")
    assert r.status_code == 409 and "needs 1 micro-credentials earned" in r.text


def test_the_progress_page_in_a_browser_passes_axe(server, browser):
    server.add_user("casey@example.org", "candidate", "Casey Candidate")
    page = browser.new_page()
    try:
        browser_sign_in(page, server.url, "casey@example.org")
        page.goto(server.url + "/my/programs")
        check_page(page, "candidate-programs")
        page.get_by_role("link", name="Missouri Leadership Development System micro-credentials").click()
        page.get_by_role("button", name="Follow this program").click()
        page.wait_for_load_state("networkidle")
        assert page.get_by_role("button", name="Stop following").is_visible()
        check_page(page, "candidate-program-progress")
    finally:
        page.close()
