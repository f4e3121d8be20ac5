"""A stand-in `pulumi` CLI for the deploy tests.

Put first on PATH (as `pulumi`, through a shim the tests write). It appends every call's argv and the
Pulumi variables of its environment to $FAKE_PULUMI_DIR/calls.jsonl, keeps stacks (config, deployment)
in $FAKE_PULUMI_DIR/stacks.json, answers in the formats the Automation API parses, writes engine events
to --event-log, and behaves like the real CLI where aiinfra relies on it: a stack lock refuses updates,
`destroy` refuses protected resources unless --exclude-protected, a passphrase stack needs a passphrase.
Scenario knobs come from $FAKE_PULUMI_DIR/scenario.json.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HOME = Path(os.environ["FAKE_PULUMI_DIR"])
VERSION = "3.200.0"  # <= 3.205: the Automation API reads engine events from the --event-log file
ENV_KEYS = ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_HOME", "PULUMI_AUTOMATION_API")
LOCKED = "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`."


def load(name: str, default):
    path = HOME / name
    return json.loads(path.read_text()) if path.exists() else default


def save(name: str, data) -> None:
    (HOME / name).write_text(json.dumps(data, indent=1))


def fail(message: str, stdout: str = "") -> None:
    sys.stdout.write(stdout)
    sys.stderr.write(message + "\n")
    sys.exit(255)


def opt(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def opts(args: list[str], name: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == name and i + 1 < len(args)]


class Events:
    def __init__(self, path: str | None):
        self.path = path
        self.seq = 0

    def emit(self, **event) -> None:
        if not self.path:
            return
        self.seq += 1
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"sequence": self.seq, "timestamp": 1700000000 + self.seq, **event}) + "\n")

    def step(self, kind: str, op: str, r: dict) -> None:
        state = {k: r.get(k) for k in ("type", "urn", "parent", "custom", "protect", "retainOnDelete")}
        meta = {"op": op, "urn": r["urn"], "type": r["type"], "provider": "", "old": None if op == "create" else state, "new": None if op == "delete" else state}
        self.emit(**{kind: {"metadata": meta}})

    def finish(self, changes: dict[str, int]) -> None:
        self.emit(summaryEvent={"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": changes, "PolicyPacks": {}})
        self.emit(cancelEvent={})


def main() -> None:
    argv = sys.argv[1:]
    args = [a for a in argv if a != "--non-interactive"]
    with open(HOME / "calls.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"args": args, "cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in ENV_KEYS}}) + "\n")
    if args[:1] == ["version"]:
        print("v" + VERSION)
        return
    scenario = load("scenario.json", {})
    stacks = load("stacks.json", {})
    if not os.environ.get("PULUMI_BACKEND_URL"):
        fail("error: PULUMI_BACKEND_URL not set (aiinfra always sets it)")
    name = opt(args, "--stack")
    if args[:2] == ["stack", "init"]:
        name = args[2]
        if name in stacks:
            fail(f"error: stack '{name}' already exists")
        provider = opt(args, "--secrets-provider")
        stacks[name] = {"config": {}, "secrets": provider or "service", "deployment": {"manifest": {}, "resources": []}, "history": []}
        check_passphrase(stacks[name])
        save("stacks.json", stacks)
        return
    if name not in stacks:
        fail(f"error: no stack named '{name}' found")
    stack = stacks[name]
    check_passphrase(stack)
    cmd = args[:2] if args[0] in ("stack", "config") else args[:1]
    dep = stack["deployment"]
    events = Events(opt(args, "--event-log"))

    if cmd == ["stack", "select"]:
        return
    if cmd == ["config", "set-all"]:
        i = 2
        while i < len(args):
            if args[i] in ("--plaintext", "--secret"):
                key, value = args[i + 1].split("=", 1)
                stack["config"][key] = value
                i += 2
            else:
                i += 1
        settings_file(name, stack)
    elif cmd == ["config", "set"]:
        stack["config"][args[2]] = args[args.index("--") + 1]
        settings_file(name, stack)
    elif cmd == ["config", "rm"]:
        if args[2] not in stack["config"]:
            fail(f"error: configuration key '{args[2]}' not found for stack '{name}'")
        del stack["config"][args[2]]
        settings_file(name, stack)
    elif cmd[0] == "config" and "--json" in args and len(cmd) > 1 and cmd[1].startswith("--"):
        print(json.dumps({k: {"value": v, "secret": False} for k, v in stack["config"].items()}))
    elif cmd == ["stack", "export"]:
        print(json.dumps({"version": 3, "deployment": dep}))
    elif cmd == ["stack", "output"]:
        outs = scenario.get("outputs", {}) if dep["resources"] else {}
        secret = set(scenario.get("secret_outputs", []))
        show = "--show-secrets" in args
        print(json.dumps({k: (v if show or k not in secret else "[secret]") for k, v in outs.items()}))
    elif cmd == ["stack", "history"]:
        print(json.dumps(stack["history"][-1:]))
    elif cmd[0] in ("up", "destroy", "refresh"):
        if scenario.get("locked"):
            fail(LOCKED)
        try:
            {"up": up, "destroy": destroy, "refresh": refresh}[cmd[0]](args, stack, scenario, events)
        finally:  # like Pulumi's checkpoints: what happened before a failure stays recorded
            save("stacks.json", stacks)
    else:
        fail(f"error: the fake pulumi does not know {' '.join(args)}")
    save("stacks.json", stacks)


def settings_file(name: str, stack: dict) -> None:
    """Like the real CLI, stack config lives in the project folder's Pulumi.<stack>.yaml (the current directory)."""
    import yaml

    Path(f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": stack["config"]}, sort_keys=True))


def check_passphrase(stack: dict) -> None:
    if stack["secrets"] != "passphrase":
        return
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE"):
        return
    path = os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if path and Path(path).is_file() and Path(path).read_text().strip():
        return
    fail("error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables")


def history(stack: dict, kind: str, result: str, changes: dict[str, int]) -> None:
    stack["history"].append(
        {"kind": kind, "startTime": "2025-01-02T03:04:05.000Z", "endTime": "2025-01-02T03:14:05.000Z", "message": "",
         "environment": {}, "config": {}, "result": result, "resourceChanges": changes}
    )


def up(args: list[str], stack: dict, scenario: dict, events: Events) -> None:
    assert "--client" in " ".join(args) and opt(args, "--exec-kind") == "auto.inline", "inline program expected"
    targets = set(opts(args, "--target"))
    dep = stack["deployment"]
    if targets:
        # A targeted update of the data resources under a program with delete_with_environment on.
        changed = 0
        for r in dep["resources"]:
            if r["urn"] in targets:
                r["protect"] = False
                r["retainOnDelete"] = False
                r.setdefault("inputs", {})["forceDestroy"] = True
                events.step("resourcePreEvent", "update", r)
                events.step("resOutputsEvent", "update", r)
                changed += 1
        history(stack, "update", "succeeded", {"update": changed})
        events.finish({"update": changed})
        return
    existing = {r["urn"] for r in dep["resources"]}
    created = 0
    for r in scenario["resources"]:
        if r["urn"] in existing:
            continue
        events.step("resourcePreEvent", "create", r)
        # fail_create_times: {urn: [message, ...]}: the next `up`s fail creating that resource with these messages, in order.
        queued = scenario.get("fail_create_times", {}).get(r["urn"])
        if r["urn"] == scenario.get("fail_create") or queued:
            message = queued.pop(0) if queued else "creating failed: InsufficientInstanceCapacity"
            save("scenario.json", scenario)
            events.emit(diagnosticEvent={"urn": r["urn"], "message": message + "\n", "severity": "error", "color": "never"})
            events.step("resOpFailedEvent", "create", r)
            history(stack, "update", "failed", {"create": created})
            events.finish({"create": created})
            fail("error: update failed", "Updating (stack):\n")
        dep["resources"].append(dict(r))
        events.step("resOutputsEvent", "create", r)
        created += 1
    history(stack, "update", "succeeded", {"create": created, "same": len(existing)})
    events.finish({"create": created, "same": len(existing)})
    print(f"Updating ({opt(args, '--stack')}):\nResources:\n    + {created} created")


def destroy(args: list[str], stack: dict, scenario: dict, events: Events) -> None:
    dep = stack["deployment"]
    by_urn = {r["urn"]: r for r in dep["resources"]}
    keep: set[str] = set()
    targets = set(opts(args, "--target"))
    if targets and "--target-dependents" in args:
        grown = True
        while grown:  # what depends on a target, or is its child, goes with it
            more = {r["urn"] for r in dep["resources"] if r.get("parent") in targets or targets & set(r.get("dependencies", []))}
            grown = bool(more - targets)
            targets |= more
    if targets:
        keep = {r["urn"] for r in dep["resources"]} - targets
    if "--exclude-protected" in args:
        for r in dep["resources"]:
            if r.get("protect"):
                node = r
                while node is not None and node["urn"] not in keep:
                    keep.add(node["urn"])
                    keep.update(node.get("dependencies", []))
                    node = by_urn.get(node.get("parent"))
    else:
        protected = [r["urn"] for r in dep["resources"] if r.get("protect") and r["urn"] not in keep]
        if protected:
            fail(f"error: resource {protected[0]} cannot be deleted because it is protected. To unprotect the resource, "
                 "either remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`, "
                 "or use the command: `pulumi state unprotect`")
    failing = set(scenario.get("fail_delete", []))
    left, deleted, failed = [], 0, 0
    for r in reversed(dep["resources"]):
        if r["urn"] in keep:
            left.append(r)
            continue
        events.step("resourcePreEvent", "delete", r)
        if r["urn"] in failing:
            events.emit(diagnosticEvent={"urn": r["urn"], "message": "deleting failed: DependencyViolation: still in use\n", "severity": "error", "color": "never"})
            events.step("resOpFailedEvent", "delete", r)
            left.append(r)
            failed += 1
            if "--continue-on-error" not in args:
                break
            continue
        if not r.get("retainOnDelete"):
            (HOME / "deleted-in-cloud.txt").open("a").write(r["urn"] + "\n")
            # A Karpenter NodePool's delete returns only after its instances are terminated (foreground, finalizers).
            for instance in scenario.get("launched_by", {}).get(r["urn"], []):
                (HOME / "deleted-in-cloud.txt").open("a").write(instance + "\n")
        events.step("resOutputsEvent", "delete", r)
        deleted += 1
    dep["resources"] = list(reversed(left)) if not failed or "--continue-on-error" in args else dep["resources"]
    history(stack, "destroy", "failed" if failed else "succeeded", {"delete": deleted})
    events.finish({"delete": deleted})
    if failed:
        fail(f"error: {failed} resource(s) failed to delete")


def refresh(args: list[str], stack: dict, scenario: dict, events: Events) -> None:
    dep = stack["deployment"]
    pending = dep.get("pending_operations") or []
    clear_creates = "--clear-pending-creates" in args
    dep["pending_operations"] = [op for op in pending if op["type"] == "creating" and not clear_creates]
    history(stack, "refresh", "succeeded", {"same": len(dep["resources"])})
    events.finish({"same": len(dep["resources"])})


if __name__ == "__main__":
    main()
