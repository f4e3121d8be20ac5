"""Bad input is reported plainly: one-line fixtures, each checked for its path, the offending value and a fix."""

import re
from pathlib import Path

import pytest

from aiinfra.problems import SpecError, shown
from aiinfra.resolve.resolver import load
from aiinfra.spec import parse_spec

SPECS = Path(__file__).parent / "fixtures" / "specs"
BASE = "name: llm-train\ncloud: aws\nregion: us-east-1\n"


def problems(name: str):
    with pytest.raises(SpecError) as info:
        load(SPECS / name)
    return info.value.problems


def only(name: str):
    found = problems(name)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    "fixture, path, value, message, hint",
    [
        ("aws.bad.hyphenated-key.yaml", "node-pools", "node-pools", "unknown field 'node-pools'", "did you mean node_pools?"),
        ("aws.bad.duplicate-key.yaml", "node_pools[0].nodes", "nodes", "on lines 7 and 8", "delete one of them"),
        ("aws.bad.invalid-cidr.yaml", "network.cidr", "10.0.0.300/16", "not an IP range in CIDR form", "10.0.0.0/16"),
        ("aws.bad.cidr-host-bits.yaml", "network.cidr", "10.0.0.1/16", "bits set after the /16 prefix", "did you mean 10.0.0.0/16?"),
        ("aws.bad.absurd-nodes.yaml", "node_pools[0].nodes", 10**30, "more than one node pool can hold (at most 1,000)", "several pools"),
        ("aws.bad.absurd-disk.yaml", "node_pools[0].disk_gib", 10_000_000, "must be at most 16384, got 10000000 (16 TiB", "16384"),
        ("aws.bad.pattern-name.yaml", "node_pools[0].name", "Train_Pool", "lowercase letters, digits and hyphens", "did you mean train-pool?"),
        ("aws.bad.nodes-type.yaml", "node_pools[0].nodes", "lots", "expected a whole number or {min, max}, got the text 'lots'", "nodes: {min: 1, max: 4}"),
        ("azure.bad.aws-region.yaml", "region", "us-east-1", "us-east-1 is an AWS region (Northern Virginia, US), not an Azure one", "set region: eastus"),
        ("gcp.bad.azure-region.yaml", "region", "eastus", "eastus is an Azure region", "set region: us-east4"),
    ],
)
def test_one_line_fixture_says_path_value_and_fix(fixture, path, value, message, hint):
    p = only(fixture)
    assert (p.path, p.value) == (path, value)
    assert message in p.message and hint in (p.hint or "")


def test_duplicate_keys_are_reported_with_the_specs_other_problems():
    text = BASE + "node_pools:\n  - name: a\n    nodes: 1\n    nodes: -4\n    zone: x\n    zone: y\n"
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    found = [(p.path, p.message) for p in info.value.problems]
    assert ("node_pools[0].nodes", "the key 'nodes' appears twice, on lines 6 and 7; YAML would silently keep only the last") in found
    assert ("node_pools[0].zone", "the key 'zone' appears twice, on lines 8 and 9; YAML would silently keep only the last") in found
    assert ("node_pools[0].nodes", "nodes cannot be negative (got -4)") in found


def test_yaml_that_is_not_plain_data_is_refused_plainly():
    cases = {
        BASE + "tags: !!python/object:os.system x\n": "the YAML tag !!python/object:os.system",
        BASE + "node_pools:\n\t- name: a\n": "a tab character",
        BASE + "---\nname: other\n": "more than one YAML document",
        BASE + "tags: {a: 1\n": "not valid YAML at line",
    }
    for text, words in cases.items():
        with pytest.raises(SpecError) as info:
            parse_spec(text)
        [p] = info.value.problems
        assert p.path == "(yaml)" and words in p.message and p.hint, p


@pytest.mark.parametrize("fixture", ["aws.bad.deep-nesting.yaml", "aws.bad.alias-bomb.yaml"])
def test_nesting_and_alias_bombs_are_refused_before_building_data(fixture):
    p = only(fixture)
    assert "nested too deeply" in p.message or "more than 20,000 values" in p.message
    assert p.hint


def test_deeper_than_the_parser_can_go_is_a_clean_error():
    with pytest.raises(SpecError) as info:
        parse_spec(BASE + "tags: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in info.value.problems[0].message


def test_non_utf8_file_says_which_byte_and_line():
    p = only("aws.bad.not-utf8.yaml")
    assert p.path == "(file)" and "byte 0xe9 on line 1" in p.message and "UTF-8" in (p.hint or "")


def test_odd_keys_never_crash():
    for text in (BASE + "1.5: x\n", BASE + "true: x\n", BASE + "? [a, b]\n: c\n", BASE + "node_pools: [{name: a, 7: b}]\n", BASE + "tags: {1: 2}\n"):
        with pytest.raises(SpecError) as info:
            parse_spec(text)
        assert all(p.path and p.message for p in info.value.problems)


def test_messages_never_show_pydantic_words_or_regular_expressions():
    texts = [
        BASE.replace("llm-train", "LLM"),
        BASE + "gcp: {project: X}\n",
        BASE + "azure: {subscription_id: nope, resource_group: 'a.'}\n",
        BASE + "cluster: {kubernetes_version: latest}\n",
        BASE + "workload: {data: nowhere, images: {tag: ':bad'}}\n",
        BASE + "node_pools: [{name: a, nodes: {min: x}}, {name: b, gpu: 8}, {name: c, memory_gib: .inf}]\n",
        BASE + "storage: {buckets: yes}\nmlops: {serving: triton}\n",
    ]
    jargon = re.compile(r"Input should|valid dictionary|instance of|Extra inputs|\^|\$'|\\d|\[a-z|constrained|function-after")
    for text in texts:
        with pytest.raises(SpecError) as info:
            parse_spec(text)
        for p in info.value.problems:
            assert not jargon.search(p.message) and not jargon.search(p.hint or ""), p


def test_upper_bounds_say_why():
    with pytest.raises(SpecError) as info:
        parse_spec(BASE + "node_pools: [{name: a, cpus: 100000, memory_gib: 1e9}]\nworkload: {steps: 10000000000000}\n")
    found = {p.path: p for p in info.value.problems}
    assert "vCPUs" in found["node_pools[0].cpus"].message
    assert "TiB of memory" in found["node_pools[0].memory_gib"].message
    assert "workload.steps" in found


def test_long_values_are_cut_in_messages():
    with pytest.raises(SpecError) as info:
        load_text(BASE.replace("us-east-1", "x" * 39))
    p = info.value.problems[0]
    assert p.path == "region" and len(p.message) < 200
    assert shown("y" * 1000).endswith("…'")


def load_text(text: str):
    from aiinfra.resolve.resolver import resolve

    return resolve(parse_spec(text))


def test_catalog_gaps_are_said_as_gaps():
    with pytest.raises(SpecError) as info:
        load_text(BASE + "node_pools: [{name: a, gpu: 'MI300X:8'}, {name: b, gpu: 'H100:3'}, {name: c, gpu: 'Z9:1'}]\n")
    for p in info.value.problems:
        assert "aiinfra's catalog" in p.message, p
        assert "not offered" not in p.message


def test_uncatalogued_instance_type_is_accepted_unpriced_with_a_warning():
    env = load(SPECS / "aws.ok.uncatalogued-type.yaml")
    pool = next(p for p in env.pools if p.name == "train")
    assert (pool.instance_type, pool.gpu, pool.gpus_per_node, pool.hourly_usd_per_node) == ("g7.48xlarge", "RTX-PRO-4500", 8, None)
    assert "unpriced" in (pool.price_note or "")
    [w] = env.warnings
    assert w.path == "node_pools[0].instance_type" and "not in aiinfra's catalog" in w.message and w.value == "g7.48xlarge"


def test_stale_prices_carry_their_flag_in_the_note(monkeypatch):
    # No catalog row carries a doubtful-price flag since the 2026 refresh (market-2026.md §1.4): p5.48xlarge is current.
    env = load_text(BASE + "node_pools: [{name: train, gpu: 'H100:8'}]\n")
    train = next(p for p in env.pools if p.name == "train")
    assert train.instance_type == "p5.48xlarge" and "stale price" not in (train.price_note or "")
    # A flag listed in price_flags.yaml still puts its words in the note (here one p5.48xlarge carries).
    from aiinfra import catalog

    monkeypatch.setattr(catalog, "price_flag_words", lambda: {"spot_is_min_over_us-east-1_AZs": "stale price: test words"})
    env = load_text(BASE + "node_pools: [{name: train, gpu: 'H100:8'}]\n")
    train = next(p for p in env.pools if p.name == "train")
    assert train.instance_type == "p5.48xlarge" and "stale price: test words" in (train.price_note or "")
