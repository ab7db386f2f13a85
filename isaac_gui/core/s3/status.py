"""What the uploader tells a quiet indicator, and how patiently it retries."""

from __future__ import annotations

from dataclasses import dataclass

WORKING, IDLE, UNREACHABLE, BLOCKED, CLOSED = "working", "idle", "unreachable", "blocked", "closed"


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long the queue waits after a failure that botocore's own retries did not overcome."""

    initial_s: float = 1.0  # first wait after an outage begins; doubles while it lasts
    max_s: float = 30.0
    setup_s: float = 60.0  # between probes while a setup problem (bucket, credentials) stands


@dataclass(frozen=True, slots=True)
class UploadStatus:
    """For a quiet indicator. Counts are this session's, except `pending` (what waits right now)."""

    state: str  # "working", "idle", "unreachable", "blocked" or "closed"
    pending: int  # objects waiting to be uploaded
    uploaded: int  # objects stored by this uploader (the manifest not included)
    skipped: int  # checks that found the content already stored (an object may be checked twice:
    # when the uploader starts and when its photo finishes again in the run)
    failed: int  # objects given up for this session (kept for the next one)
    requests: int  # PUT requests made, successful or not (botocore's own retries not counted)
    last_problem: str | None  # the latest problem, even after it went away

    @property
    def stuck(self) -> bool:
        """Nothing goes up until something changes: S3 unreachable, or a setup problem."""
        return self.state in (UNREACHABLE, BLOCKED)

    @property
    def message(self) -> str:
        """One line for people: "S3 unreachable, 12 uploads waiting; retrying"."""
        if self.state == UNREACHABLE:
            return f"S3 unreachable, {self.pending} uploads waiting; retrying"
        if self.state == BLOCKED:
            return f"S3 uploads stopped, {self.pending} waiting: {self.last_problem}"
        failed = f", {self.failed} failed" if self.failed else ""
        if self.pending:
            return f"Uploading to S3: {self.pending} waiting, {self.uploaded} uploaded{failed}"
        return f"S3 up to date: {self.uploaded} uploaded now{failed}"
