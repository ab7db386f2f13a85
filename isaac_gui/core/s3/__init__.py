"""Optional streaming of a run's results to S3 (or an S3-compatible service) while it goes.

    target = S3Target.from_url("s3://bucket/prefix", endpoint_url=None, upload_annotated=True)
    uploader = S3Uploader(target, out_dir, classes=classes, on_problem=print)
    ...  # pass every engine event to uploader.on_event (from any thread)
    uploader.close()  # bounded wait, then {prefix}/{run}/manifest.json

Credentials come only from boto3's standard chain (environment, shared config and credentials
files or a named profile, SSO). Keys are deterministic (see `target`), so retries and reruns
overwrite instead of duplicating; pending uploads live in the run's journal file (see `store`) and
survive outages and restarts; problems are sorted and told once (see `problems`).
"""

from isaac_gui.core.s3.bodies import record_body
from isaac_gui.core.s3.problems import Problem, classify
from isaac_gui.core.s3.status import Backoff, UploadStatus
from isaac_gui.core.s3.target import KeyLayout, S3Target
from isaac_gui.core.s3.uploader import S3Uploader

__all__ = [
    "Backoff",
    "KeyLayout",
    "Problem",
    "S3Target",
    "S3Uploader",
    "UploadStatus",
    "classify",
    "record_body",
]
