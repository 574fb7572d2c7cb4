"""Checks: small units, each with a stable flag code (see flags.py) and a registered name.

Importing this package registers the built-in checks. ``DEFAULT_CHECKS`` is the order they run.
"""

from .base import Check, RaisedFlag, ScreeningContext
from . import citations, echo, evidence, files, parts, privacy  # noqa: F401  (registration)

DEFAULT_CHECKS: tuple[str, ...] = (
    "screening.file_problems.v1",
    "screening.part_missing.v1",
    "screening.word_minimum.v1",
    "screening.evidence.v1",
    "screening.rubric_echo.v1",
    "screening.citations.v1",
    "screening.student_privacy.v1",
)

__all__ = ["Check", "RaisedFlag", "ScreeningContext", "DEFAULT_CHECKS"]
