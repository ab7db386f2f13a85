"""The S3 target: parsing an s3:// URL and the keys of a run's objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from isaac_gui.core.s3 import S3Target


def test_target_from_url_and_key_layout(tmp_path: Path) -> None:
    target = S3Target.from_url("s3://my-bucket/some//prefix/", endpoint_url="http://127.0.0.1:9000/")
    assert (target.bucket, target.prefix, target.endpoint_url) == (
        "my-bucket",
        "some/prefix",
        "http://127.0.0.1:9000",
    )
    assert target.url == "s3://my-bucket/some/prefix"
    assert not target.upload_annotated and target.region is None and target.profile is None
    layout = target.layout(tmp_path / "line-3-results")
    assert layout.record("a/b.jpg") == "some/prefix/line-3-results/records/a/b.jpg.json"
    assert layout.annotated("a/b.png") == "some/prefix/line-3-results/annotated/a/b.png.jpg"
    assert layout.manifest == "some/prefix/line-3-results/manifest.json"
    bare = S3Target.from_url("s3://bucket", upload_annotated=True, region="eu-west-1", profile="ops")
    assert (bare.prefix, bare.region, bare.profile, bare.upload_annotated) == ("", "eu-west-1", "ops", True)
    assert bare.layout(tmp_path / "out").record("x.jpg") == "out/records/x.jpg.json"
    for bad in ("bucket/prefix", "https://bucket/prefix", "s3://", "s3:///prefix", "s3://b/x", "s3://a b/x"):
        with pytest.raises(ValueError):
            S3Target.from_url(bad)
    with pytest.raises(ValueError):
        S3Target.from_url("s3://bucket/a/../b")
    with pytest.raises(ValueError):
        S3Target.from_url("s3://bucket/p", endpoint_url="localhost:9000")
