"""Schemathesis generates requests from the OpenAPI description; none may end in a server error."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency (make setup installs it)")
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from service.app import create_app  # noqa: E402

from .conftest import Api, service_settings  # noqa: E402

# The schema is read when the module is collected, so the app exists from then on; it starts
# (database, migrations) in the fixture below.
_TMP = Path(tempfile.mkdtemp(prefix="schemathesis-"))
atexit.register(shutil.rmtree, _TMP, True)  # also when the test is deselected
APP = create_app(service_settings(_TMP, max_upload_bytes=16 * 1024))
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)


@pytest.fixture(scope="module")
def signed_in():  # type: ignore[no-untyped-def]
    """The started app with a signed-in candidate who has a draft (so calls reach past sign-in)."""
    from service.errors import ApiError

    with TestClient(APP) as client:
        api = Api(client)
        try:
            api.add_user("cand", "candidate")
            api.draft("cand")
        except ApiError:  # set up again in this process (work stealing split the module): same app, same data
            api.tokens["cand"] = api.sign_in("cand")
        yield api


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, signed_in):  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=signed_in.h("cand"), checks=[not_a_server_error])
