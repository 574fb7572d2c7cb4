"""Schemathesis generates requests from the OpenAPI description; none may end in a server error."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency (make setup installs it)")
from hypothesis import HealthCheck, settings  # noqa: E402 - only once schemathesis is known to be there
from schemathesis.checks import not_a_server_error  # noqa: E402

from .conftest import make_api, service_settings  # noqa: E402


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The app, started, with a draft of a signed-in candidate (so calls reach past sign-in)."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    for api in make_api(service_settings(tmp, max_upload_bytes=16 * 1024)):
        api.add_user("cand", "candidate")
        api.draft("cand")
        yield api


@pytest.fixture(scope="module")
def api_schema(signed_in):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/api/openapi.json", signed_in.client.app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, signed_in):  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=signed_in.h("cand"), checks=[not_a_server_error])
