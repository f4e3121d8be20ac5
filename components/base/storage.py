"""The storage contract: every cloud's ObjectStorage gives `bucket_names` and `bucket_urls` (spec bucket -> name,
URL), the URL in its profile's bucket_scheme; and the rules it states once (the spec states the user-facing version
with its hints), each returning Problems with Args paths."""

from __future__ import annotations

from typing import Any, Sequence

from aiinfra.problems import Problem


def url(cloud: str, bucket: Any) -> Any:
    """A bucket's data URL (s3://name, gs://name, az://name): its cloud's bucket_scheme; an Output stays one."""
    from aiinfra import clouds

    prefix = f"{clouds.facts(cloud).bucket_scheme}://"
    return bucket.apply(lambda b: prefix + b) if hasattr(bucket, "apply") else prefix + bucket


def bucket_urls(cloud: str, names: Any) -> Any:
    """The URL map of a storage component's name map (an Output of spec bucket -> bucket name)."""
    return names.apply(lambda m: {k: url(cloud, v) for k, v in m.items()})


def buckets(names: Sequence[str]) -> list[Problem]:
    repeated = sorted({b for b in names if list(names).count(b) > 1})
    return [Problem("buckets", f"bucket names repeat: {repeated}", "list each bucket once", list(names))] if repeated else []
