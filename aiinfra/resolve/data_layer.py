"""The data layer's decisions: each `storage.filesystems` entry as its cloud takes it (size in the cloud's unit,
throughput tier, zone, price), and whether the cloud can mount buckets or run the Ray preprocessing at all.

The rules are the cloud's data (aiinfra/catalog/data/filesystems.yaml); this module names no cloud.
"""

from __future__ import annotations

from aiinfra import clouds
from aiinfra.catalog import HOURS_PER_MONTH
from aiinfra.catalog.filesystems import LustreOffer, Tier, cloud_data, offer
from aiinfra.problems import Problem, did_you_mean
from aiinfra.resolve.result import ResolvedFileSystem, ResolvedPool
from aiinfra.spec import EnvironmentSpec
from aiinfra.spec.storage import FileSystem

__all__ = ["HOURS_PER_MONTH", "check", "resolve_filesystems"]


def _tib(value: float) -> str:
    return f"{value:g}"


def _size_problem(path: str, fs: FileSystem, lustre: LustreOffer, throughput: int, capacity: float) -> Problem | None:
    tier = lustre.tier(throughput)
    assert tier is not None
    if tier.sizes.valid(capacity):
        return None
    per = lustre.per_tib()
    s = tier.sizes
    rule = f"from {_tib(s.min / per)} TiB in steps of {_tib(s.step / per)} TiB"
    if s.also:
        rule = f"{', '.join(_tib(a / per) for a in s.also)} TiB, then " + rule
    if s.until is not None and s.then_step is not None:
        rule += f" up to {_tib(s.until / per)} TiB, then steps of {_tib(s.then_step / per)} TiB"
    if s.max is not None:
        rule += f", at most {_tib(s.max / per)} TiB"
    near = [_tib(v / per) for v in s.nearest(capacity)]
    unit_note = "" if lustre.unit == "TiB" else f" ({lustre.gib_per_tib:,} GiB per TiB, as {lustre.service} counts its sizes)"
    return Problem(
        f"{path}.size_tib",
        f"{lustre.service} at {throughput} MB/s/TiB takes {rule}{unit_note}; {_tib(fs.size_tib)} TiB is not one of them",
        f"valid sizes nearest to it: {' or '.join(near)} TiB",
        fs.size_tib,
    )


def _zone(spec_zones: list[str], pools: list[ResolvedPool]) -> str | None:
    """Beside the GPU pools: the first GPU pool's pinned zone, else its first offered zone on the network."""
    candidates = [p for p in pools if p.gpu and not p.system] or [p for p in pools if not p.system]
    if not candidates:
        return spec_zones[0] if spec_zones else None
    pool = candidates[0]
    if pool.zone:
        return pool.zone
    on_network = [z for z in pool.zones if z in spec_zones]
    zones = on_network or spec_zones
    return zones[0] if zones else None


def resolve_filesystems(spec: EnvironmentSpec, pools: list[ResolvedPool], zones: list[str]) -> tuple[list[ResolvedFileSystem], list[Problem]]:
    out: list[ResolvedFileSystem] = []
    problems: list[Problem] = []
    profile = clouds.get(spec.cloud)
    for i, fs in enumerate(spec.storage.filesystems):
        path = f"storage.filesystems[{i}]"
        lustre = offer(spec.cloud, fs.kind)
        if lustre is None:
            problems.append(Problem(f"{path}.kind", f"aiinfra has no managed {fs.kind} file system on {profile.display}", "remove the file system, or use another cloud", fs.kind))
            continue
        if fs.import_from is not None and fs.import_from not in spec.storage.buckets:
            hint = did_you_mean(fs.import_from, spec.storage.buckets) or (
                f"buckets: {', '.join(spec.storage.buckets)}" if spec.storage.buckets else "add the bucket to storage.buckets"
            )
            problems.append(Problem(f"{path}.import_from", f"{fs.import_from!r} is not one of storage.buckets", hint, fs.import_from))
        throughput = fs.throughput_mbps_per_tib or lustre.default_throughput
        tier = lustre.tier(throughput)
        if tier is None:
            offered = [t.throughput for t in lustre.tiers]
            near = min(offered, key=lambda t: abs(t - throughput))
            problems.append(
                Problem(
                    f"{path}.throughput_mbps_per_tib",
                    f"{lustre.service} has no {throughput} MB/s/TiB tier (tiers: {', '.join(map(str, offered))})",
                    f"did you mean {near}?",
                    throughput,
                )
            )
            continue
        capacity = round(fs.size_tib * lustre.per_tib(), 6)
        bad = _size_problem(path, fs, lustre, throughput, capacity)
        if bad:
            problems.append(bad)
            continue
        monthly = None if tier.usd_per_unit_month is None else round(capacity * tier.usd_per_unit_month, 2)
        prefix = next((row["prefix"] for row in lustre.subnet_prefix if fs.size_tib <= row["tib"]), 0)
        out.append(
            ResolvedFileSystem(
                name=fs.name,
                kind=fs.kind,
                service=lustre.service,
                size_tib=fs.size_tib,
                capacity=capacity,
                unit=lustre.unit,
                throughput=throughput,
                tier=tier.sku,
                zone=_zone(zones, pools),
                import_from=fs.import_from,
                monthly_usd=monthly,
                price_note=_price_note(tier, spec.region, monthly),
                deployment_type=lustre.deployment_type,
                subnet_prefix=prefix,
                ports=tuple(lustre.ports),
            )
        )
    prefixes = [f.subnet_prefix for f in out if f.subnet_prefix]
    room = profile.filesystem_subnets(spec, prefixes) if prefixes else None
    if room:
        problems.append(Problem("network.cidr", room, "use a larger network, e.g. cidr: 10.0.0.0/16", spec.network.cidr))
    return out, problems


def _price_note(tier: Tier, region: str, monthly: float | None) -> str:
    """Where the figure was read for another region, the note says whose figure it is rather than hide it."""
    if monthly is None:
        return f"no price: {tier.price_source}"
    borrowed = f"priced as {tier.price_region} (no {region} figure): " if tier.price_region and tier.price_region != region else ""
    return f"{borrowed}{tier.price_source}, as of {tier.price_as_of}"


# Physical bucket names get an 8-character random suffix from Pulumi auto-naming; S3 and GCS cap names at 63.
MAX_BUCKET_STEM = 54


def check(spec: EnvironmentSpec) -> list[Problem]:
    """Bucket names that fit the clouds' limits; mount_buckets and mlops.data: ray need something to work on and a
    cloud that can do it."""
    problems = [
        Problem(f"storage.buckets[{i}]", f"'{spec.name}-{bucket}' is too long for a bucket name once a random suffix is added",
                f"keep name + bucket within {MAX_BUCKET_STEM - 1} characters")
        for i, bucket in enumerate(spec.storage.buckets) if len(spec.name) + 1 + len(bucket) > MAX_BUCKET_STEM
    ]
    data = cloud_data(spec.cloud)
    display = clouds.get(spec.cloud).display
    if spec.storage.mount_buckets:
        if not spec.storage.buckets:
            problems.append(Problem("storage.mount_buckets", "mount_buckets is on but storage.buckets is empty: there is nothing to mount", "add buckets, or remove mount_buckets", True))
        elif data.bucket_mount is None:
            problems.append(Problem("storage.mount_buckets", f"aiinfra cannot mount {display} buckets in pods (no bucket CSI driver known for {display})", "remove mount_buckets; pods reach buckets through the SDKs", True))
    if spec.mlops.data == "ray" and not spec.storage.buckets:
        problems.append(Problem("mlops.data", "data: ray tokenizes a bucket into training shards, but storage.buckets is empty", "add a bucket (e.g. buckets: [datasets]), or set data: none", "ray"))
    return problems
