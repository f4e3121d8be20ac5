"""GpuRequest (aiinfra/spec/gpu.py): the one parser of `MODEL:COUNT`, used by the spec, the resolver and `init`."""

from __future__ import annotations

import pytest

from aiinfra.spec import parse_spec
from aiinfra.spec.gpu import GpuRequest


@pytest.mark.parametrize(("text", "model", "count"), [("H100:8", "H100", 8), ("A100-80GB:4", "A100-80GB", 4), (" l4:1 ", "l4", 1), ("MI300X:8", "MI300X", 8)])
def test_parses_model_and_count(text, model, count):
    request = GpuRequest.parse(text)
    assert (request.model, request.count) == (model, count)
    assert str(request) == f"{model}:{count}"


@pytest.mark.parametrize(("text", "words"), [("H100", "how many GPUs"), ("H100:", "how many GPUs"), ("H100:eight", "MODEL:COUNT"), (":8", "MODEL:COUNT"), ("H 100:8", "MODEL:COUNT")])
def test_rejects_what_is_not_a_request(text, words):
    with pytest.raises(ValueError, match=words):
        GpuRequest.parse(text)


def test_spec_pool_gives_typed_requests_in_preference_order():
    spec = parse_spec("name: alt\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: g, gpu: ['L4:1', 'A10:2']}]\n")
    assert spec.node_pools[0].gpu_requests == [GpuRequest("L4", 1), GpuRequest("A10", 2)]


def test_model_of_takes_a_bare_model_or_a_request():
    assert GpuRequest.model_of("H100") == GpuRequest.model_of(" H100:8") == "H100"
