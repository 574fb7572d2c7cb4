from pathlib import Path

import pytest
from pydantic import ValidationError

from screening.settings import Settings


def test_env_overrides_nested(monkeypatch, tmp_path):
    monkeypatch.setenv("SCREENING_MAPPING__MET_THRESHOLD", "0.61")
    monkeypatch.setenv("SCREENING_LIMITS__MAX_PDF_PAGES", "7")
    s = Settings(cache_dir=tmp_path)
    assert s.mapping.met_threshold == pytest.approx(0.61)
    assert s.limits.max_pdf_pages == 7


def test_toml_file_named_by_env(monkeypatch, tmp_path):
    cfg = tmp_path / "screening.toml"
    cfg.write_text("[mapping]\nweak_threshold = 0.2\nmet_threshold = 0.3\n[models]\ndevice = 'cpu'\n")
    monkeypatch.setenv("SCREENING_CONFIG", str(cfg))
    s = Settings(cache_dir=tmp_path)
    assert s.mapping.weak_threshold == pytest.approx(0.2)
    # env beats the file
    monkeypatch.setenv("SCREENING_MAPPING__WEAK_THRESHOLD", "0.25")
    assert Settings(cache_dir=tmp_path).mapping.weak_threshold == pytest.approx(0.25)


def test_thresholds_must_be_ordered(tmp_path):
    with pytest.raises(ValidationError, match="weak_threshold"):
        Settings(cache_dir=tmp_path, mapping={"weak_threshold": 0.7, "met_threshold": 0.5})


def test_unknown_setting_is_refused(tmp_path):
    with pytest.raises(ValidationError):
        Settings(cache_dir=tmp_path, no_such_setting=1)


def test_bundled_rubrics_are_found_by_default():
    s = Settings()
    assert any((Path(d) / "mo-il-professional-learning.yaml").is_file() for d in s.rubric_dirs)
