"""Cleaning files for assessors runs in the resource-limited worker ingest uses: a file that gets
past the archive checks still cannot exhaust the server."""

from __future__ import annotations

import pytest

from screening.ingest.archive import ArchiveLimits
from screening.ingest.extract import IsolationFailed, run_isolated
from screening.settings import LimitSettings
from service.anonymise import Scrubber

from ..test_ingest import _bomb_docx
from .conftest import REPO

SCRUB = Scrubber(names={}, person=["Casey Candidate"])


def test_a_normal_document_is_cleaned_in_the_worker():
    path = REPO / "examples" / "professional-learning" / "narrative.docx"
    got = run_isolated("service.redact:clean_file", (str(path), "docx", SCRUB, None), LimitSettings(), "cleaning it")
    assert isinstance(got, bytes) and got[:2] == b"PK"


def test_a_bomb_let_through_the_archive_checks_hits_the_workers_memory_limit_not_the_servers(tmp_path):
    path = _bomb_docx(tmp_path / "b.docx", zeros_mb=600)
    no_checks = ArchiveLimits(max_bytes=10**12, max_ratio=10**9, max_entries=10**6)
    try:
        got = run_isolated("service.redact:clean_file", (str(path), "docx", SCRUB, no_checks),
                           LimitSettings(ingest_memory_mb=400), "cleaning it")
    except IsolationFailed as exc:  # the worker died of it: refused all the same
        got = str(exc)
    assert isinstance(got, str) and ("more memory" in got or "400 MB" in got), got
    # With the checks, the same file is refused before anything is unpacked.
    got = run_isolated("service.redact:clean_file", (str(path), "docx", SCRUB, LimitSettings().archive_limits()),
                       LimitSettings(), "cleaning it")
    assert isinstance(got, str) and "too large to clean" in got


def test_only_allow_listed_transformations_run_in_the_worker():
    with pytest.raises(IsolationFailed, match="may not run in the worker"):
        run_isolated("os:system", ("true",), LimitSettings(), "running it")
