"""Part 2's evidence self-analysis: the table of citations a candidate gives for every EO
detail (artifact, place in it, explanation), read from CSV, XLSX, DOCX, PDF, JSON or YAML.

Nothing here loads a model or judges the evidence: it reads what the candidate wrote, resolves
it against the rubric, and says plainly what it could not read.
"""

from __future__ import annotations

from .artifacts import match_artifact, split_artifact_names, written_as_file_name
from .locations import artifact_mentions, parse_locations
from .model import Citation, Location, ProblemCode, SelfAnalysis, SelfAnalysisProblem
from .reader import read_self_analysis

__all__ = [
    "Citation",
    "Location",
    "ProblemCode",
    "SelfAnalysis",
    "SelfAnalysisProblem",
    "artifact_mentions",
    "match_artifact",
    "parse_locations",
    "read_self_analysis",
    "split_artifact_names",
    "written_as_file_name",
]
