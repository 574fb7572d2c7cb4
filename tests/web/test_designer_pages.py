"""The program designer's pages with the TestClient: the list of MCs, an MC's analyses with no
data, with screened but unmarked work, and with released decisions (double-marked and
reconciled, so every table has something), the plots as PNG images, the downloads, and refusals.
The screening report is a real screening of the tiny test submission (made once per module)."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from ..service.assessing import add_candidate, current_rubric, finish_with, full_marking, submit, tiny_report
from ..service.conftest import RUBRIC, Api, make_api, service_settings
from .pages import add_people, sign_in

MC = f"/designer/{RUBRIC}"
HX = {"HX-Request": "true"}


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def web2(tmp_path: Path) -> Iterator[Api]:
    """Like ``web``, with every submission marked twice and reconciled, and a second assessor ``bob``."""
    for api in make_api(service_settings(tmp_path, second_marking=["*"])):
        add_people(api)
        api.add_user("bob", "assessor")
        yield api


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, Any]:
    """The real screening report of tiny_submission() (the same file names as uploaded)."""
    out = tiny_report(tmp_path_factory.mktemp("tiny"))
    assert out["flags"] and out["details"]
    return out  # type: ignore[no-any-return]


def _screened(api: Api, report: dict[str, Any], who: str) -> str:
    if who not in api.ids:
        add_candidate(api, who, f"Person {who}")
    sub, job = submit(api, who)
    finish_with(api, job, report)
    return sub


def _mark(api: Api, who: str, sub: str, marking: dict[str, Any]) -> None:
    assert api.call(who, "POST", f"/api/queue/{sub}/claim").status_code == 200
    r = api.call(who, "PUT", f"/api/assessments/{sub}/decision", json=marking)
    assert r.status_code == 200, r.text
    r = api.call(who, "POST", f"/api/assessments/{sub}/release")
    assert r.status_code == 200, r.text


def _released(api: Api, report: dict[str, Any], n: int) -> list[str]:
    """``n`` submissions marked by ass and bob independently (bob changing some details) and
    reconciled by the admin; every other one below the required level (not yet earned)."""
    rubric = current_rubric(api)
    lowest = rubric.proficiency_levels[-1].id
    subs = []
    for i in range(n):
        sub = _screened(api, report, f"c{i}")
        level = None if i % 2 == 0 else lowest
        _mark(api, "ass", sub, full_marking(report, rubric, level))
        _mark(api, "bob", sub, full_marking(report, rubric, level, flip=i % 3))
        _mark(api, "adm", sub, full_marking(report, rubric, level))
        subs.append(sub)
    return subs


# --- refusals and empty states ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["cand", "ass"])
def test_candidates_and_assessors_get_403(web, name):
    sign_in(web, name)
    for url in ("/designer", MC, f"{MC}/analysis", f"{MC}/pilot.zip", f"{MC}/pilot.json", f"{MC}/screenings.json",
                f"{MC}/findings.json", f"{MC}/plots/abc/0/rates.png"):
        r = web.client.get(url)
        assert r.status_code == 403 and "for the role program_designer or admin" in r.text, url


def test_a_stranger_is_sent_to_sign_in(web):
    r = web.client.get(MC, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next={MC}"


def test_the_home_page_lists_each_mc_with_a_link(web):
    sign_in(web, "des")
    page = web.client.get("/designer")
    assert page.status_code == 200 and "<h1>Rubric analyses</h1>" in page.text
    assert f'href="{MC}"' in page.text and "Professional Learning" in page.text
    assert "No submitted work yet" in _text(page.text)
    assert "No screening of submitted work has raised a flag yet." in _text(page.text)


def test_an_unknown_mc_is_a_404_page(web):
    sign_in(web, "des")
    r = web.client.get("/designer/no-such-mc")
    assert r.status_code == 404 and "There is no MC" in r.text


def test_with_no_data_the_page_says_what_is_missing(web):
    sign_in(web, "des")
    page = web.client.get(MC)
    assert page.status_code == 200
    # The analyses come in by htmx, with a loading message meanwhile; and without scripts, a link.
    assert f'hx-get="{MC}/analysis"' in page.text and 'hx-trigger="load"' in page.text
    assert "Computing the analyses" in page.text and f'<a href="{MC}/analysis">Show the analyses</a>' in page.text
    fragment = web.client.get(f"{MC}/analysis", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "No screened submissions yet for this MC" in _text(fragment.text)
    whole = web.client.get(f"{MC}/analysis")  # no htmx: the whole page with the section in place
    assert "<html" in whole.text and "No screened submissions yet for this MC" in _text(whole.text)
    # The downloads work, empty.
    pilot = web.client.get(f"{MC}/pilot.json")
    assert pilot.status_code == 200 and pilot.json()["submissions"] == []
    assert web.client.get(f"{MC}/screenings.json").json() == []


def test_admins_may_open_the_analyses_too(web):
    sign_in(web, "adm")
    assert web.client.get(MC).status_code == 200


# --- with data ----------------------------------------------------------------------------------

@pytest.mark.models
def test_screened_but_unmarked_work_says_no_released_decisions(web, report):
    _screened(web, report, "cand")
    sign_in(web, "des")
    words = _text(web.client.get(f"{MC}/analysis", headers=HX).text)
    assert "1 screened submission;" in words and "0 with a released decision" in words
    assert "No assessor has finished marking a submission of this version yet" in words
    assert "No finding" in words
    # The screener's side is there: advised missing per detail, and the flags raised.
    first_detail = report["details"][0]["id"]
    assert first_detail in words
    for code in {f["code"] for f in report["flags"]}:
        assert code in words


@pytest.mark.models
def test_released_decisions_give_tables_plots_agreement_and_exports(web2, report):
    subs = _released(web2, report, 3)
    sign_in(web2, "des")
    home = _text(web2.client.get("/designer").text)
    assert "3 submitted submissions" in home

    r = web2.client.get(f"{MC}/analysis", headers=HX)
    assert r.status_code == 200
    words = _text(r.text)
    assert "3 screened submissions; 3 with a released decision (2 earned, 1 not yet); 3 assessors; " \
           "3 marked twice independently, 3 reconciled" in words
    assert "No released decisions" not in words and "No assessor has finished" not in words
    # The tables that matter, with row headers.
    for caption in ("Evidence missing or weak, per detail", "Marking agreement (95% intervals)",
                    "Assessor offsets (pseudonyms)", "Advice precision per flag code",
                    "Advice against the first assessor, per detail", "Size against released outcome"):
        assert caption in words, caption
    assert re.search(r'<th scope="row">Detail [^<]+</th>', r.text)  # agreement per detail
    assert '<th scope="row">All details</th>' in r.text and '<th scope="row">EO levels</th>' in r.text
    for pseudonym in ("a1", "a2"):
        assert f'<th scope="row">{pseudonym}</th>' in r.text
    # Nobody's identity: no candidate, no assessor, no submission id.
    for secret in ("c0@example.org", "Person c0", "ass@example.org", "bob@example.org", *subs):
        assert secret not in r.text

    # Every plot shown is a PNG image drawn on request.
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', r.text)
    kinds = {src.rsplit("/", 1)[1] for src, _ in images}
    assert {"rates.png", "pairs.png", "agreement.png", "severity.png", "size.png"} <= kinds
    for src, alt in images:
        png = web2.client.get(src)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png", src
        assert png.content.startswith(b"\x89PNG") and alt
    key = images[0][0].split("/")[4]
    assert web2.client.get(f"{MC}/plots/{key}/0/other.png").status_code == 404
    assert web2.client.get(f"{MC}/plots/{key}/7/rates.png").status_code == 404
    assert web2.client.get(f"{MC}/plots/0000/0/rates.png").status_code == 404  # data of another state

    # The downloads: the same exports as the API.
    z = web2.client.get(f"{MC}/pilot.zip")
    assert z.status_code == 200 and "attachment" in z.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert "pilot.json" in names and any(n.endswith(".csv") for n in names)
    api_pilot = web2.call("des", "GET", "/api/exports/pilot", params={"rubric_id": RUBRIC}).json()
    page_pilot = web2.client.get(f"{MC}/pilot.json").json()
    assert page_pilot["submissions"] == api_pilot["submissions"] and len(page_pilot["submissions"]) == 3
    rows = web2.client.get(f"{MC}/screenings.json").json()
    assert rows == web2.call("des", "GET", "/api/exports/screenings").json()
    findings = web2.client.get(f"{MC}/findings.json").json()
    assert findings["format"] == "mc-pilot-analysis/1" and len(findings["rubrics"]) == 1


@pytest.mark.models
def test_new_data_gives_a_fresh_analysis(web2, report):
    _released(web2, report, 1)
    sign_in(web2, "des")
    first = web2.client.get(f"{MC}/analysis", headers=HX).text
    assert "1 screened submission;" in _text(first)
    assert "No submission was marked twice" not in _text(first)
    _screened(web2, report, "late")
    second = _text(web2.client.get(f"{MC}/analysis", headers=HX).text)
    assert "2 screened submissions;" in second
