"""The spec's data layer: shared file systems beside the buckets (`storage.filesystems`).

Only the shape is checked here; sizes and throughput tiers differ per cloud, so the resolver checks them
against the cloud's data (aiinfra/catalog/data/filesystems.yaml) and lists the valid values.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aiinfra.problems import Invalid
from aiinfra.spec.limits import NAME_PATTERN

# Largest file system any cloud offers is ~80 PiB (GCP Managed Lustre, Dynamic tier); the cap only stops typos.
MAX_FILESYSTEM_TIB = 100_000
MAX_FILESYSTEMS = 4


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class FileSystem(_Strict):
    """A shared POSIX file system every training pod mounts, optionally linked to one of the buckets."""

    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=24, description="lowercase letters, digits, hyphens; also the mount path /mnt/<name>")]
    kind: Literal["lustre"] = Field(description="the managed Lustre service of the environment's cloud")
    size_tib: float = Field(gt=0, le=MAX_FILESYSTEM_TIB, description="capacity; each cloud has its own minimum and increment (errors list the valid sizes)")
    throughput_mbps_per_tib: int | None = Field(
        default=None, ge=1, le=10_000, description="throughput tier in MB/s per TiB; default: the cloud's default tier"
    )
    import_from: str | None = Field(
        default=None, max_length=40, description="one of storage.buckets: its objects appear in the file system and results flow back"
    )


class Storage(_Strict):
    buckets: list[Annotated[str, Field(pattern=NAME_PATTERN, max_length=40)]] = Field(default_factory=list)
    delete_with_environment: bool = Field(
        default=False,
        description="let `down` delete the buckets and their data; off by default so data outlives the cluster",
    )
    mount_buckets: bool = Field(default=False, description="pods can mount the buckets as file systems (the cloud's bucket CSI driver)")
    filesystems: list[FileSystem] = Field(default_factory=list, max_length=MAX_FILESYSTEMS, description="shared Lustre file systems, mounted at /mnt/<name>")

    @model_validator(mode="after")
    def _unique_filesystems(self) -> Storage:
        names = [f.name for f in self.filesystems]
        if len(set(names)) != len(names):
            raise Invalid("storage.filesystems names a file system twice", "give each file system its own name")
        return self
