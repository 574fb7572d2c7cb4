"""Analyses of pilot data for program designers (docs/analysis.md): one module per question.

``run_analyses(pilot)`` runs them all and returns the tables and the findings, each finding a
typed record with the numbers and the decision rule that raised it.
"""
