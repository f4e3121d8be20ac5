"""Pulumi program of the stacks/ project: deploys the environment spec named by the stack's `aiinfra:spec`, with
node pools where `aiinfra:placement` records that failover put them (aiinfra.resolve.placement)."""

from __future__ import annotations

from pathlib import Path

import pulumi

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Load and resolve the spec; report every problem through the engine and stop, or build the environment with
    the recorded placements that the spec still allows (the others are warned about and left out)."""
    from aiinfra.problems import SpecError
    from aiinfra.program import program
    from aiinfra.resolve.placement import from_config, placement_of
    from aiinfra.resolve.resolver import load

    config = pulumi.Config("aiinfra")
    source = config.require("spec")
    path = Path(source) if Path(source).is_absolute() else HERE / source
    try:
        env = load(path, lambda _name: from_config(config.get("placement")))
    except SpecError as err:
        for p in err.problems:
            pulumi.log.error(f"{source}: {p.path}: {p.message}" + (f" (hint: {p.hint})" if p.hint else ""))
        noun = "problem" if len(err.problems) == 1 else "problems"
        raise pulumi.RunError(f"{source} is not valid ({len(err.problems)} {noun}); nothing was changed") from None
    placed = placement_of(env)
    for line in placed.kept():
        pulumi.log.info(f"placement: {line}")
    for line in placed.warnings():
        pulumi.log.warn(f"placement: {line}")
    program(env, export=True)()


if __name__ == "__main__":
    main()
