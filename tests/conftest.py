from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The OpenVINO export (built from the bundled weights on first use, keyed by model revision and
# OpenVINO version) is shared by every test's private cache: built once per machine, not per test.
os.environ.setdefault(
    "SCREENING_MODELS__EXPORT_DIR", str(Path(tempfile.gettempdir()) / "mc-screening-test-exports")
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Longest first: pytest-xdist hands tests out in this order, so the tail of the run is short
    # tests that even out the processes rather than one journey keeping a single process busy.
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)


@pytest.fixture
def settings(tmp_path: Path):
    """Settings with a private cache, independent of the environment and any screening.toml."""
    from screening.settings import Settings

    return Settings(cache_dir=tmp_path / "cache", rubric_dirs=[REPO / "rubrics"])


@pytest.fixture(scope="session")
def catalogue():
    from screening.rubric import RubricCatalogue

    return RubricCatalogue([REPO / "rubrics"])


@pytest.fixture(scope="session")
def pl_rubric(catalogue):
    return catalogue.get("mo-il-professional-learning")


def shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not found: {path}")
    return path
