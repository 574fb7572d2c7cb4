"""docs/service.md documents every error code, job error code, command and endpoint."""

from __future__ import annotations

from service.__main__ import _parser
from service.errors import CODES
from service.worker import JOB_ERROR_CODES

from ..conftest import REPO
from .conftest import api_routes

TEXT = (REPO / "docs" / "service.md").read_text()


def test_every_code_is_documented_with_its_status():
    for code, spec in CODES.items():
        assert f"| {spec.status} | `{code}` |" in TEXT, code
    for code in JOB_ERROR_CODES:
        assert f"| `{code}` |" in TEXT, code


def test_every_command_and_endpoint_is_documented():
    sub = next(a for a in _parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f"python -m service {name}" in TEXT, name
    for method, path in api_routes():
        path = path.replace("{submission_id}", "{id}").replace("{job_id}", "{id}").replace("{rubric_id}", "{id}")
        assert f"{method} {path}" in TEXT, (method, path)
