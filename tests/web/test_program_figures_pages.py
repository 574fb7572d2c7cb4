"""The program designer's program figures in a real browser: from the home page to the list of
programs and one program's per-stack figures; each page screenshotted and checked with axe-core.
(The figures themselves are tested in tests/service/test_program_figures.py.)"""

from __future__ import annotations

import pytest

from .pages import browser_sign_in, check_page


@pytest.mark.heavy
def test_a_designer_opens_the_program_figures(server, browser):
    server.add_user("dee@example.org", "program_designer")
    page = browser.new_page()
    try:
        browser_sign_in(page, server.url, "dee@example.org")
        page.get_by_role("link", name="Program figures").first.click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/designer/programs")
        check_page(page, "designer-programs")
        page.locator('a[href="/designer/programs/mo-mlds"]').click()
        page.wait_for_load_state("networkidle")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Missouri Leadership")
        assert page.get_by_text("Where candidates stall in Instructional Leadership").count() >= 1
        check_page(page, "designer-program-figures")
    finally:
        page.close()
