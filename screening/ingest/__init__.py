"""Ingest: files in, extracted ``Document``s (pages, text, problems) out.

The one entry point is :func:`ingest_file`; parsers for each type live in their own modules and
are imported only when a file of that type is read.
"""

from .extract import ingest_file, shutdown

__all__ = ["ingest_file", "shutdown"]
