"""A decompression bomb, an executable and mutated real files through a real server: upload,
screening, the assessor's download. Each gets a specific answer, and the server's memory stays
bounded (bench/hostile.py runs many more)."""

from __future__ import annotations

import pytest

from bench.hostile import hostile_set, run

pytestmark = pytest.mark.models
RSS_BOUND_MB = 2500  # the server with its models loaded; the bomb alone once took it past 4 GB


@pytest.mark.heavy
def test_hostile_files_get_specific_answers_and_memory_stays_bounded(tmp_path):
    files = hostile_set(per_type=3)
    out = run(files, tmp_path, per_draft=8)
    assert not out.failures, out.failures
    assert out.uploads["415 unsupported_file_type"] >= 1  # the executable, refused at the door
    assert out.uploads["201"] >= len(files) // 2
    assert set(out.jobs) == {"done"}
    assert "409 download_unavailable" in out.downloads and "200" in out.downloads
    assert out.peak_rss_mb < RSS_BOUND_MB, out.peak_rss_mb
