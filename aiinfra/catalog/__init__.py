"""The accelerator catalog: instance types, fabrics, prices and regions per cloud, loaded from data/*.yaml."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable, Iterator

from aiinfra.catalog import overlay
from aiinfra.catalog.freshness import Origin
from aiinfra.catalog.models import CloudCatalog, Gpu, GpuList, InstanceType

HOURS_PER_MONTH = 730
USER_SOURCE = "spec"


def __getattr__(name: str) -> Any:
    # CLOUDS: the registered clouds (aiinfra.clouds), in their order; each has data/<cloud>.yaml.
    if name == "CLOUDS":
        from aiinfra import clouds

        return clouds.names()
    raise AttributeError(name)


def _data_file(name: str) -> Any:
    """data/<name> ("prices/gcp.yaml" too), one part at a time: a several-argument joinpath breaks on Python 3.10
    where the package is installed zipped."""
    path = resources.files("aiinfra.catalog") / "data"
    for part in name.split("/"):
        path = path / part
    return path


def _read_yaml(name: str) -> Any:
    """libyaml's safe loader where PyYAML has it: the same data, about 8x faster than the pure-Python one
    on the cloud catalogs, which every command reads."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(_data_file(name).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506


def _price_files(cloud: str) -> list[Any]:
    """data/prices/<cloud>.yaml and <cloud>.<source>.yaml, the per-region figures of dated snapshots, the newest
    snapshot first (regional.ordered): where two price the same figure, the newer fills it."""
    from aiinfra.catalog import regional

    folder = _data_file("prices")
    names = sorted(p.name for p in folder.iterdir() if p.name == f"{cloud}.yaml" or (p.name.startswith(f"{cloud}.") and p.name.endswith(".yaml")))
    return regional.ordered([_read_yaml(f"prices/{name}") for name in names])


# Catalogs built from a spec's own data (cloud: existing reads its cluster snapshot), which replace the shipped file.
_INSTALLED: dict[str, CloudCatalog] = {}


def install(cloud: str, data: object) -> CloudCatalog:
    """Use this catalog for `cloud` from now on in this process (the resolver installs a profile's catalog_for)."""
    _INSTALLED[cloud] = CloudCatalog.model_validate(data)
    return _INSTALLED[cloud]


def cloud_catalog(cloud: str) -> CloudCatalog:
    """The shipped catalog with the refreshed prices of `aiinfra catalog refresh` laid over it (catalog.overlay),
    or the one a spec installed."""
    return _INSTALLED.get(cloud) or _cloud_catalog(cloud, overlay.stamp())


def shipped_data(cloud: str) -> Any:
    """The cloud file with its price files laid over (data/prices/), before any refreshed overlay."""
    from aiinfra.catalog import regional

    data = _read_yaml(f"{cloud}.yaml")
    for prices in _price_files(cloud):
        data = regional.lay_over(data, prices)
    return data


@functools.cache
def _cloud_catalog(cloud: str, overlay_stamp: object) -> CloudCatalog:
    return CloudCatalog.model_validate(overlay.lay_over(cloud, shipped_data(cloud)))


@functools.cache
def gpus() -> dict[str, Gpu]:
    return {g.name: g for g in GpuList.model_validate(_read_yaml("gpus.yaml")).gpus}


@functools.cache
def _gpu_names() -> dict[str, str]:
    """Every accepted spelling, lowercased, mapped to the canonical GPU name."""
    names: dict[str, str] = {}
    for gpu in gpus().values():
        for spelling in (gpu.name, *gpu.aliases):
            names[spelling.lower()] = gpu.name
    return names


def capacity_tolerations(cloud: str, capacities: Iterable[str]) -> list[dict[str, str]]:
    """Tolerations for the taints the cloud puts on nodes of these capacity types, in catalog order, once each."""
    taints = cloud_catalog(cloud).capacity_taints
    out: list[dict[str, str]] = []
    for capacity in sorted(set(capacities)):
        out += [t.toleration for t in taints.get(capacity, []) if t.toleration not in out]  # type: ignore[call-overload]  # a str; the catalog keys by Literal
    return out


def pool_facts(cat: CloudCatalog, region: str, name: str, it: InstanceType | None, capacity: str) -> dict[str, object]:
    """What a component needs to know of an instance type beyond the pool's size, from the catalog once: the API's
    names, disks, fabric network layout, the cloud's capacity taints and the zones that offer it. A type the
    catalog lacks (`it` None) is offered in all the region's zones."""
    region_zones = cat.regions.get(region, [])
    if it is None:
        zones = list(region_zones)
    elif region not in it.regions:
        zones = []
    else:
        zones = [z for z in region_zones if z in it.zones.get(region, region_zones)]
    fabric = it.fabric if it else None
    from aiinfra.catalog import families

    arch = families.architecture(cat.cloud, name)
    return {
        "machine_type": (it.machine_type if it else None) or name,
        "accelerator_type": it.accelerator_type if it else None,
        "boot_disk_type": it.boot_disk_type if it else None,
        "local_ssd_count": it.local_ssd_count if it else 0,
        "network_gbps": it.network_gbps if it else None,
        "fabric_networks": cat.fabric_networks.get(fabric.kind) if fabric else None,
        "taints": tuple(cat.capacity_taints.get(capacity, [])) + (families.arm64_taints(cat.cloud) if arch == families.ARM else ()),  # type: ignore[call-overload]  # a str; the catalog keys by Literal
        "zones": tuple(zones),
        "architecture": arch,
    }


def canonical_gpu(name: str) -> str | None:
    return _gpu_names().get(name.strip().lower())


def gpu_spellings() -> list[str]:
    return [g.name for g in gpus().values()] + [a for g in gpus().values() for a in g.aliases]


def uncatalogued(cloud: str, name: str, gpu: str | None, gpu_count: int) -> InstanceType:
    """Stand-in facts for a pinned type the catalog lacks: its GPUs as the spec says, the cloud's API name for
    that GPU from a listed type that has it (GKE needs it), no price, fabric or sizes."""
    known = next((it for it in cloud_catalog(cloud).instance_types.values() if gpu and it.gpu == gpu and it.accelerator_type), None)
    return InstanceType(
        gpu=gpu, gpu_count=gpu_count, vcpus=1, memory_gib=1, regions={}, price_source="", flags=["not_in_catalog"],
        accelerator_type=known.accelerator_type if known else None,
    )


@dataclass(frozen=True)
class Offer:
    """One instance type of one cloud, as a row for listings and resolution."""

    cloud: str
    name: str
    spec: InstanceType

    @property
    def gpu(self) -> str | None:
        return self.spec.gpu


def offers(cloud: str | None = None, gpu: str | None = None) -> Iterator[Offer]:
    from aiinfra import clouds

    for c in clouds.names() if cloud is None else (cloud,):
        for name, spec in cloud_catalog(c).instance_types.items():
            if gpu is None or spec.gpu == gpu:
                yield Offer(c, name, spec)


def nearest_gpus(cloud: str, gpu: str, n: int = 2) -> list[str]:
    """The GPUs of the same family (NVIDIA for NVIDIA, ...) a cloud offers that come closest to one it does not:
    by memory, then by BF16 peak. Rack-scale models (sold only as NVLink domains: GB200/GB300) stand in only for
    each other, since their pools come in whole racks."""
    import math

    want = gpus()[gpu]
    racks = {o.gpu for o in offers() if o.gpu and o.spec.nvlink_domain is not None}
    offered = {
        o.gpu for o in offers(cloud) if o.gpu and o.gpu != gpu and gpus()[o.gpu].family == want.family and (o.gpu in racks) == (gpu in racks)
    }

    def distance(name: str) -> tuple[float, float, str]:
        g = gpus()[name]
        flops = abs((g.bf16_tflops or 0) - (want.bf16_tflops or 0))
        return (abs(math.log(g.memory_gib / want.memory_gib)), flops, name)

    return sorted(offered, key=distance)[:n]


@functools.cache
def price_flag_words() -> dict[str, str]:
    """Catalog flags that make a price stale or suspect, with the words shown beside that price."""
    data = _read_yaml("price_flags.yaml")
    assert isinstance(data, dict)
    return {str(k): str(v) for k, v in data.items()}


def price_flags(cloud: str, instance_type: str) -> list[str]:
    """The stale/suspect flags of a type's price, in words ([] for types outside the catalog)."""
    it = cloud_catalog(cloud).instance_types.get(instance_type)
    words = price_flag_words()
    return [words[f] for f in it.flags if f in words] if it else []


@dataclass(frozen=True)
class Price:
    hourly_usd: float | None
    note: str | None = None
    origin: Origin | None = None  # where the figure came from (refreshed overlay or shipped snapshot)
    basis: str | None = None  # the capacity the figure is the rate of, where it is not the one asked (spot asked, on-demand shown)

    @property
    def known(self) -> bool:
        return self.hourly_usd is not None


def price(cloud: str, instance_type: str, region: str, capacity: str) -> Price:
    """Hourly price of one node, with stale/suspect flags in its note (see _price)."""
    p = _price(cloud, instance_type, region, capacity)
    flags = price_flags(cloud, instance_type) if p.known else []
    return Price(p.hourly_usd, "; ".join([*flags, *([p.note] if p.note else [])]), p.origin, p.basis) if flags else p


def origin(cloud: str, instance_type: str, region: str, field: str) -> Origin:
    """Where one catalog figure comes from: the overlay when it holds it, else the type's snapshot source."""
    entry = overlay.refreshed(cloud, instance_type, region, field)
    if entry:
        return Origin("refreshed", str(entry.get("source", "")), str(entry.get("as_of", "")))
    cat = cloud_catalog(cloud)
    it = cat.instance_types[instance_type]
    here = it.regions.get(region)
    regional_key = here.sources.get(field) if here is not None and field in ("on_demand", "spot") else None  # type: ignore[call-overload]
    key = regional_key or ((it.spot_source or it.price_source) if field == "spot" else it.price_source)
    # A source keyed `spec` holds the user's own figures (cloud existing's existing.prices): never stale.
    return Origin("spec" if key == USER_SOURCE else "snapshot", key, cat.sources[key].as_of)


def _price(cloud: str, instance_type: str, region: str, capacity: str) -> Price:
    """Hourly price of one node; where the region has no figure, the reference region's, said so in the note.

    Reserved capacity is billed at the on-demand rate (AWS ODCR, GCP reservations and
    Azure capacity reservations all charge on-demand prices unless a discount applies).
    """
    cat = cloud_catalog(cloud)
    spec = cat.instance_types[instance_type]
    here = spec.regions.get(region)
    if capacity == "flex-start" and here is not None and here.flex_start is not None:
        return Price(here.flex_start, "flex-start (Dynamic Workload Scheduler) price", origin(cloud, instance_type, region, "flex_start"))
    field = "spot" if capacity == "spot" else "on_demand"
    value = getattr(here, field) if here else None
    if value is not None:
        notes = {
            "reserved": "reserved capacity is billed at the on-demand rate, whether used or not",
            "flex-start": "no flex-start price in the catalog; on-demand rate shown (flex-start is billed at a discount to it)",
        }
        return Price(value, notes.get(capacity), origin(cloud, instance_type, region, field), "on-demand" if capacity == "flex-start" else None)
    ref = spec.regions.get(cat.reference_region)
    ref_value = getattr(ref, field) if ref else None
    if ref_value is not None and region != cat.reference_region:
        note = f"no {field.replace('_', '-')} price for {region} in the catalog; {cat.reference_region} price used"
        return Price(ref_value, note, origin(cloud, instance_type, cat.reference_region, field))
    if capacity == "spot":
        od = price(cloud, instance_type, region, "on-demand")
        if od.known:
            return Price(od.hourly_usd, f"no spot price in the catalog; on-demand price shown ({od.note or region})", od.origin, "on-demand")
    return Price(None, f"the catalog has no {field.replace('_', '-')} price for {instance_type}")


def prices_as_of(cloud: str, instance_types: list[str] | None = None) -> str:
    """The snapshot dates behind the given types' prices (all of the cloud's sources if none given), and the
    refresh date where the overlay has prices for this cloud."""
    cat = cloud_catalog(cloud)
    listed = [t for t in instance_types or [] if t in cat.instance_types]
    keys = {k for t in listed for k in (cat.instance_types[t].price_source, cat.instance_types[t].spot_source) if k} if listed else set(cat.sources)
    entry = overlay.cloud(cloud)
    refreshed = [f"refreshed: {entry.get('as_of')}"] if entry and (not listed or any(t in (entry.get("prices") or {}) for t in listed)) else []
    return "; ".join([*refreshed, *(f"{k}: {cat.sources[k].as_of}" for k in sorted(keys))])
