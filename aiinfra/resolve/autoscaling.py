"""`cluster.autoscaling` as each cloud takes it: the profile's default for `auto`, a problem for one it lacks."""

from __future__ import annotations

from aiinfra import clouds
from aiinfra.problems import Problem
from aiinfra.spec import EnvironmentSpec


def choose_autoscaler(spec: EnvironmentSpec) -> tuple[str, list[Problem]]:
    """`cluster.autoscaling` as the cloud takes it: `auto` is the profile's default; one the cloud lacks is a problem
    naming the clouds that have it."""
    profile = clouds.get(spec.cloud)
    asked = spec.cluster.autoscaling
    chosen = profile.default_autoscaler if asked == "auto" else asked
    if chosen == "none" or chosen in profile.autoscalers:
        return chosen, []
    where = [f"{p.kubernetes} ({p.name})" for p in clouds.all_profiles() if chosen in p.autoscalers]
    offered = ", ".join(["auto", *profile.autoscalers, "none"])
    return chosen, [
        Problem(
            "cluster.autoscaling",
            f"{profile.kubernetes} has no {chosen}" + (f"; it exists on {', '.join(where)}" if where else ""),
            f"on {profile.display} use one of: {offered}",
            asked,
        )
    ]
