"""Uploads in an S3-compatible bucket: a real S3 API served by moto's server mode (from PyPI)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from service.models import StoredFile
from service.worker import Worker

from .conftest import make_api, service_settings, tiny_submission


def _objects(client) -> set[str]:  # type: ignore[no-untyped-def]
    listed = client.list_objects_v2(Bucket="uploads").get("Contents", [])
    return {o["Key"] for o in listed}


@pytest.mark.models
def test_candidate_path_and_screening_on_s3(tmp_path, s3):
    url, client = s3
    settings = service_settings(tmp_path, storage="s3", s3_bucket="uploads", s3_prefix="sub/", s3_endpoint_url=url,
                                max_upload_bytes=64 * 1024, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    for api in make_api(settings):
        api.add_user("cand", "candidate")
        sub = api.draft("cand")
        for part, name, data in tiny_submission():
            r = api.upload("cand", sub, part, name, data)
            assert r.status_code == 201, r.text
            assert r.json()["sha256"] == hashlib.sha256(data).hexdigest()
        kinds = {f["name"]: f["kind"] for f in api.call("cand", "GET", f"/api/submissions/{sub}/files").json()}
        assert kinds == {"narrative.txt": "text", "reflection.md": "markdown", "growth plan.pdf": "pdf"}
        # Refused uploads leave no object behind.
        assert api.upload("cand", sub, "artifact", "big.txt", b"x" * (64 * 1024 + 1)).status_code == 413
        assert api.upload("cand", sub, "artifact", "a.zip", b"PK\x05\x06" + b"\0" * 18).status_code == 415
        extra = api.upload("cand", sub, "artifact", "extra.txt", b"to be deleted").json()["id"]
        assert api.call("cand", "DELETE", f"/api/submissions/{sub}/files/{extra}").status_code == 204

        def keys() -> set[str]:
            with api.state.sessions() as s:
                return {"sub/" + k for k in s.scalars(select(StoredFile.storage_key))}

        assert _objects(client) == keys() and len(keys()) == 3
        assert not (tmp_path / "svc" / "uploads").exists()  # nothing on local disk

        job_id = api.call("cand", "POST", f"/api/submissions/{sub}/submit").json()["job"]["id"]
        st = api.state
        assert Worker(st.sessions, st.storage, st.settings).run_once() == job_id
        job = api.call("cand", "GET", f"/api/jobs/{job_id}").json()
        assert job["state"] == "done", job
        report = api.call("cand", "GET", f"/api/jobs/{job_id}/report").json()
        assert {f["name"]: f["kind"] for f in report["files"]} == kinds

        v2 = api.call("cand", "POST", f"/api/submissions/{sub}/resubmit").json()["id"]
        assert len(api.call("cand", "GET", f"/api/submissions/{v2}/files").json()) == 3
        assert _objects(client) == keys() and len(keys()) == 6
