"""Backups and restores (service/backup.py) through the commands, on SQLite (the online backup
API) and PostgreSQL (pg_dump / pg_restore against the real server): back up, lose and change data,
restore, and the whole journey (draft → upload → submit → screen → claim → decide → release →
credential) passes on the restored copy, beside the work that was backed up."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from service import audit
from service.models import StoredFile, User

from ..conftest import REPO
from .assessing import add_candidate, current_rubric, full_marking, screen_for_real, submit
from .conftest import make_api, service_settings
from .processes import service_env

pytestmark = pytest.mark.models


def _command(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = service_env(tmp_path, database_url=database_url)
    return subprocess.run([sys.executable, "-m", "service", *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def _journey(api, who: str) -> tuple[str, dict]:  # type: ignore[no-untyped-def, type-arg]
    """draft → upload → submit → screen → claim → decide → release → credential; (submission, credential)."""
    sub, job = submit(api, who)
    screen_for_real(api, job)
    report = api.call("ann", "GET", f"/api/jobs/{job}/report")
    assert report.status_code == 200, report.text
    assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
    r = api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json=full_marking(report.json(), current_rubric(api)))
    assert r.status_code == 200, r.text
    assert api.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200
    cred = api.call(who, "GET", f"/api/assessments/{sub}/credential")
    assert cred.status_code == 200, cred.text
    return sub, cred.json()


@pytest.mark.heavy
def test_backup_lose_data_restore_and_the_journey_passes_on_the_copy(tmp_path, database_url):
    settings = service_settings(tmp_path, database_url=database_url, max_upload_bytes=64 * 1024)
    storage_dir = settings.service.resolved_storage_dir()
    for api in make_api(settings):
        add_candidate(api, "cand")
        api.add_user("ann", "assessor")
        api.add_user("root", "admin")
        first, credential = _journey(api, "cand")
        with api.state.sessions() as s:
            keys = list(s.scalars(select(StoredFile.storage_key)))
            head = audit.verify(s).head

    dest = tmp_path / "backup-1"
    done = _command(tmp_path, database_url, "backup", str(dest))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["files"] == len(keys) and manifest["uploads"] == "copied" and manifest["revision"]
    assert (dest / ("service.db" if database_url.startswith("sqlite") else "database.dump")).is_file()
    again = _command(tmp_path, database_url, "backup", str(dest))
    assert again.returncode == 1 and "not empty" in again.stderr

    # Lose and change data after the backup: a new account, files and rows gone.
    for api in make_api(settings):
        add_candidate(api, "late")
        with api.state.sessions() as s:
            s.execute(delete(StoredFile).where(StoredFile.storage_key == keys[0]))
            s.commit()
    shutil.rmtree(storage_dir)

    refused = _command(tmp_path, database_url, "restore", str(dest))
    assert refused.returncode == 1 and "--force" in refused.stderr
    done = _command(tmp_path, database_url, "restore", str(dest), "--force")
    assert done.returncode == 0, done.stderr

    for api in make_api(settings):
        with api.state.sessions() as s:
            assert s.scalar(select(User).where(User.email == "late@example.org")) is None
            assert set(s.scalars(select(StoredFile.storage_key))) == set(keys)
            verified = audit.verify(s)
            assert verified.problem is None and verified.head == head
        assert all(api.state.storage.exists(k) for k in keys)
        api.tokens["cand"], api.tokens["ann"] = api.sign_in("cand"), api.sign_in("ann")
        with api.state.sessions() as s:
            api.ids.update({u.email.split("@")[0]: u.id for u in s.scalars(select(User))})
        assert api.call("cand", "GET", f"/api/assessments/{first}/credential").json() == credential
        r = api.call("cand", "GET", f"/api/submissions/{first}/files")
        content = api.call("cand", "GET", f"/api/submissions/{first}/files/{r.json()[0]['id']}/content")
        assert content.status_code == 200 and content.content
        _journey(api, "cand")  # the whole journey on the restored copy
        add_candidate(api, "late")  # the email is free again: it was added after the backup


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    url = f"sqlite:///{tmp_path / 'svc' / 'service.db'}"
    (tmp_path / "nothing").mkdir()
    done = _command(tmp_path, url, "restore", str(tmp_path / "nothing"))
    assert done.returncode == 1 and "not a backup" in done.stderr
    assert not (tmp_path / "svc" / "service.db").exists()
