"""The job state machine, as pure functions: no database, no web. The worker applies them.

    queued ──claim──▶ running ──finish──▶ done
                        │  └───fail────▶ failed (with a code and a reason)
                        └─lease expired─▶ running again (next attempt), or failed: worker_lost
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

State = Literal["queued", "running", "done", "failed"]
FINAL: frozenset[str] = frozenset({"done", "failed"})


class IllegalTransition(Exception):
    pass


@dataclass(frozen=True)
class JobView:
    """What the rules need to know about a job."""

    state: str
    attempts: int
    lease_expires_at: datetime | None


def claimable(job: JobView, now: datetime) -> bool:
    """A queued job, or a running one whose worker stopped sending heartbeats."""
    if job.state == "queued":
        return True
    return job.state == "running" and job.lease_expires_at is not None and job.lease_expires_at <= now


def lost_for_good(job: JobView, now: datetime, max_attempts: int) -> bool:
    """A job whose workers died max_attempts times is not tried again (it may be what kills them)."""
    return claimable(job, now) and job.state == "running" and job.attempts >= max_attempts


def lease_until(now: datetime, lease_s: float) -> datetime:
    return now + timedelta(seconds=lease_s)


_ALLOWED: dict[tuple[str, str], str] = {
    ("queued", "claim"): "running",
    ("running", "claim"): "running",  # only when the lease expired: see claimable()
    ("running", "finish"): "done",
    ("running", "fail"): "failed",
}


def next_state(state: str, event: str) -> str:
    try:
        return _ALLOWED[(state, event)]
    except KeyError:
        raise IllegalTransition(f"a {state} job cannot {event}") from None
