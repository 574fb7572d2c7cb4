"""The screening service: a FastAPI app (``service.app:app``) over the screening library.

Candidates upload submissions, screening runs as persisted background jobs, and each role sees
only what it needs (docs/service.md).
"""
