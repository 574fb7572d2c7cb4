"""Docs match the code: generated references are current; every flag, setting and command is documented."""

from __future__ import annotations

from screening import docsgen
from screening.cli import _parser
from screening.flags import CODES

from .conftest import REPO

DOCS = REPO / "docs"


def test_generated_docs_are_current():
    for name, make in docsgen.GENERATED.items():
        assert (DOCS / name).read_text() == make(), f"docs/{name} is stale: run `python -m screening.docsgen`"


def test_every_flag_code_is_documented():
    text = (DOCS / "flags.md").read_text()
    for code in CODES:
        assert f"`{code}`" in text


def test_every_cli_option_is_documented():
    text = (DOCS / "cli.md").read_text()
    parser = _parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert f"screening {name}" in text
        for action in p._actions:
            for opt in action.option_strings:
                if opt.startswith("--") and opt != "--help":
                    assert opt in text, f"{opt} of `screening {name}` is not in docs/cli.md"


def test_readme_links_resolve():
    import re

    readme = (REPO / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (REPO / target).exists(), target
