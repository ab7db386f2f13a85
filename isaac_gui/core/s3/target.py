"""Where results go in S3: the bucket and prefix, and the key of every object a run uploads.

Keys come from the run (its output folder's name) and each photo's path relative to the source
folder, never from a time or a counter, so a retried upload, a resumed run or a rerun of the same
folder overwrites the same objects instead of adding new ones:

    {prefix}/{run}/records/{image}.json     the photo's result record (a results.jsonl line)
    {prefix}/{run}/annotated/{image}.jpg    the photo with its boxes drawn (with upload_annotated)
    {prefix}/{run}/manifest.json            every uploaded key with its size, sha256 and ETag

`.json`/`.jpg` are appended to the photo's whole name (`a.png` -> `a.png.jpg`), so `a.png` and
`a.jpg` in one folder never share a key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$")
_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """`text` encodable as UTF-8 (S3 keys must be): lone surrogates become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def _normalise_prefix(prefix: str) -> str:
    parts = [part for part in prefix.replace("\\", "/").split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise ValueError(f"the S3 prefix {prefix!r} may not contain '.' or '..' segments")
    return "/".join(parts)


@dataclass(frozen=True, slots=True)
class S3Target:
    """An S3 destination. Credentials are never part of it: boto3's standard chain finds them
    (environment variables, the shared config and credentials files or `profile`, SSO)."""

    bucket: str
    prefix: str = ""
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None  # an S3-compatible service (MinIO, SeaweedFS, ...); None: AWS
    upload_annotated: bool = False

    def __post_init__(self) -> None:
        if not _BUCKET.match(self.bucket) or ".." in self.bucket:
            raise ValueError(f"{self.bucket!r} is not a valid S3 bucket name")
        object.__setattr__(self, "prefix", _normalise_prefix(self.prefix))
        for name in ("region", "profile", "endpoint_url"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value.strip() or None) if isinstance(value, str) else None)
        if self.endpoint_url is not None:
            parts = urlsplit(self.endpoint_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"the S3 endpoint URL must look like https://host[:port], not {self.endpoint_url!r}"
                )
            object.__setattr__(self, "endpoint_url", self.endpoint_url.rstrip("/"))

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        upload_annotated: bool = False,
    ) -> S3Target:
        """`s3://bucket/some/prefix` (the prefix is optional). Raises ValueError for anything else."""
        text = (url or "").strip()
        parts = urlsplit(text)
        if parts.scheme.lower() != "s3" or not parts.netloc:
            raise ValueError(f"expected an S3 URL like s3://bucket/prefix, not {url!r}")
        if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
            raise ValueError(
                f"an S3 URL is s3://bucket/prefix, with no port, user, query or fragment: {url!r}"
            )
        return cls(
            bucket=parts.netloc,
            prefix=parts.path,
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            upload_annotated=upload_annotated,
        )

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def destination(self) -> str:
        """What identifies the bucket itself: the same bucket name on another endpoint is another bucket."""
        return f"{self.endpoint_url or 'aws'}|{self.bucket}"

    def layout(self, out_dir: Path) -> KeyLayout:
        """The keys of the run whose output folder is `out_dir`."""
        run = _clean(Path(out_dir).absolute().name) or "results"
        return KeyLayout("/".join(part for part in (self.prefix, run) if part))


@dataclass(frozen=True, slots=True)
class KeyLayout:
    """Every key of one run lives under `base` (`{prefix}/{run}`)."""

    base: str

    def record(self, rel: str) -> str:
        return f"{self.base}/records/{self._rel(rel)}.json"

    def annotated(self, rel: str) -> str:
        return f"{self.base}/annotated/{self._rel(rel)}.jpg"

    @property
    def manifest(self) -> str:
        return f"{self.base}/manifest.json"

    @staticmethod
    def _rel(rel: str) -> str:
        return _clean(rel.replace("\\", "/")).lstrip("/")
