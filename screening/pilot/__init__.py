"""Pilot data: screened submissions beside the assessors' judgments, de-identified.

This is what the service exports to program designers (``/api/exports/pilot``) and what
``screening analyse`` reads. It exists in two equal forms, one JSON file or a folder of CSV
tables (docs/pilot-data.md), so a designer without a server can work from plain files.
"""

from .build import flag_ref, passage_key, pilot_rubric, pilot_submission
from .io import csv_tables, read_pilot, write_csv, write_json
from .model import (
    FORMAT,
    Judgment,
    PilotData,
    PilotDetail,
    PilotFlag,
    PilotRubric,
    PilotRubricDetail,
    PilotSubmission,
)

__all__ = [
    "FORMAT", "Judgment", "PilotData", "PilotDetail", "PilotFlag", "PilotRubric", "PilotRubricDetail",
    "PilotSubmission", "csv_tables", "flag_ref", "passage_key", "pilot_rubric", "pilot_submission", "read_pilot", "write_csv", "write_json",
]
