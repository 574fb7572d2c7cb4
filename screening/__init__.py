"""Advisory pre-screening of micro-credential submissions.

Data flows one way: files -> extracted documents (:mod:`screening.ingest`) -> passages with
provenance (:mod:`screening.passages`) -> evidence per EO detail (:mod:`screening.mapping`) ->
checks (:mod:`screening.checks`) -> report (:mod:`screening.report`). :func:`screening.pipeline.screen`
runs them all. Importing this package loads no model: models load lazily, once per process.
"""

__version__ = "0.1.0"
