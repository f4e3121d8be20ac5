"""`catalog refresh` against the local price server: each source's rules, paging, errors, and the overlay."""

import json

import pytest

from aiinfra import catalog
from aiinfra.catalog import overlay
from aiinfra.catalog.refresh import refresh


def _prices(cloud):
    return json.loads(overlay.path().read_text())["clouds"][cloud]["prices"]


def test_azure_rules_and_paging(price_server):
    data = refresh(["azure"])
    [r] = data["clouds"]
    assert r["status"] == "partial" and data["written"]
    h100 = _prices("azure")["Standard_ND96isr_H100_v5"]["eastus"]
    # newest Linux consumption rate; not Windows 104.2, DevTest 51, reservation 61, the older 90; spot not Low Priority 19.1
    assert h100 == {"on_demand": 95.5, "spot": 38.2}
    assert _prices("azure")["Standard_D4s_v5"]["eastus"] == {"on_demand": 0.2, "spot": 0.0384}
    assert _prices("azure")["Standard_NC24ads_A100_v4"]["eastus"] == {"on_demand": 3.7}  # the EUR row skipped
    assert any("not in USD" in n for n in r["notes"])
    assert any("$skip=1000" in p for p in price_server.requests), "NextPageLink was not followed"
    assert "Standard_NC24ads_A100_v4 westus on-demand" in r["unpriced"]  # a westus row inside the eastus answer is not westus's


def test_aws_rules_and_spot_kept(price_server):
    [r] = refresh(["aws"])["clouds"]
    prices = _prices("aws")
    # Linux, shared, no software, Used, OnDemand: not Windows/RHEL/SUSE, Dedicated, SQL, reserved, capacity block or reservation rows
    assert prices["p5.48xlarge"]["us-east-1"] == {"on_demand": 54.0}
    assert prices["g5.xlarge"]["us-east-1"] == {"on_demand": 1.006}
    assert any("spot stays the catalog snapshot" in n for n in r["notes"])
    assert "m7i.large" not in prices  # not a catalog type
    assert catalog.price("aws", "p5.48xlarge", "us-east-1", "spot").origin.kind == "snapshot"


def test_gcp_without_credentials_is_skipped_not_fatal(price_server):
    data = refresh(["gcp", "azure"])
    gcp, azure = data["clouds"]
    assert gcp["status"] == "skipped" and "AIINFRA_GCP_API_KEY" in gcp["message"]
    assert azure["status"] == "partial" and data["written"]
    assert "gcp" not in json.loads(overlay.path().read_text())["clouds"]


def test_gcp_sums_host_and_gpu_skus_matched_exactly(price_server, monkeypatch):
    monkeypatch.setenv("AIINFRA_GCP_API_KEY", "k")
    [r] = refresh(["gcp"])["clouds"]
    prices = _prices("gcp")
    # 12 vCPU x 0.031611 + 85 GiB x 0.004237 + 1 x A100 2.933908; the DWS, commitment and custom SKUs are not matched
    assert prices["a2-highgpu-1g"]["us-central1"]["on_demand"] == pytest.approx(12 * 0.031611 + 85 * 0.004237 + 2.933908)
    assert prices["a2-highgpu-1g"]["us-central1"]["spot"] == pytest.approx(12 * 0.01108 + 85 * 0.001485 + 1.6295)
    assert prices["e2-standard-4"]["us-central1"]["on_demand"] == pytest.approx(0.134012)
    assert prices["e2-standard-4"]["us-east1"] == {"on_demand": pytest.approx(0.134012)}
    assert "g2-standard-4" not in prices  # two different L4 list prices: ambiguous, left unpriced
    assert any(n.startswith("g2-standard-4 us-central1 on-demand: more than one SKU") for n in r["notes"])
    assert any("?pageToken=" in p or "&pageToken=" in p for p in price_server.requests)


def test_overlay_wins_over_the_snapshot(price_server):
    before = catalog.price("azure", "Standard_ND96isr_H100_v5", "eastus", "on-demand")
    assert before.hourly_usd == 98.32 and before.origin.kind == "snapshot"
    refresh(["azure"])
    after = catalog.price("azure", "Standard_ND96isr_H100_v5", "eastus", "on-demand")
    assert after.hourly_usd == 95.5 and after.origin.kind == "refreshed"
    assert after.origin.source.startswith("Azure Retail Prices API")
    assert catalog.cloud_catalog("azure").instance_types["Standard_ND96isr_H100_v5"].regions["eastus"].spot == 38.2
    westus = catalog.price("azure", "Standard_ND96isr_H100_v5", "westus", "on-demand")  # not in the answer: snapshot stays
    assert westus.hourly_usd == 127.816 and westus.origin.kind == "snapshot"
    assert "refreshed: " in catalog.prices_as_of("azure", ["Standard_ND96isr_H100_v5"])


def test_one_failing_cloud_keeps_the_others(price_server):
    price_server.fail["aws"] = "500"
    data = refresh(["aws", "azure"])
    aws, azure = data["clouds"]
    assert aws["status"] == "failed" and "HTTP 500" in aws["message"] and "previous prices are kept" in aws["message"]
    assert azure["status"] == "partial" and data["written"]


def test_a_failed_refresh_keeps_the_previous_overlay(price_server):
    refresh(["aws", "azure"])
    before = overlay.path().read_bytes()
    price_server.fail.update(aws="html", azure="html")
    data = refresh(["aws", "azure"])
    assert not data["written"]
    assert overlay.path().read_bytes() == before
    assert [p.name for p in overlay.path().parent.iterdir()] == [overlay.FILE]  # no temporary file left


def test_a_cloud_failing_later_keeps_its_earlier_prices(price_server):
    refresh(["aws", "azure"])
    price_server.fail["aws"] = "truncated"
    data = refresh(["aws", "azure"])
    assert data["clouds"][0]["status"] == "failed" and data["written"]
    assert _prices("aws")["p5.48xlarge"]["us-east-1"] == {"on_demand": 54.0}


@pytest.mark.parametrize(
    ("mode", "words"),
    [("500", "HTTP 500"), ("html", "HTML, not JSON"), ("cut-json", "not complete JSON"), ("latin-1", "is not UTF-8 text"), ("truncated", "broke off before its end (truncated)"), ("eur", "billed in EUR, not USD")],
)
def test_bad_answers_are_sentences(price_server, mode, words):
    price_server.fail["azure"] = mode
    [r] = refresh(["azure"])["clouds"]
    assert r["status"] == "failed" and words in r["message"], r["message"]
    assert not overlay.path().exists()


def test_a_truncated_aws_offer_file_fails(price_server, monkeypatch):
    from pricing_server import FIXTURES

    original = price_server.answer

    def cut_offer_files(raw):
        status, kind, body, length = original(raw)
        return (status, kind, body[: len(body) // 2], len(body)) if raw.endswith(".csv") else (status, kind, body, length)

    monkeypatch.setattr(price_server, "answer", cut_offer_files)
    assert (FIXTURES / "aws" / "us-east-1.csv").is_file()
    [r] = refresh(["aws"])["clouds"]
    assert r["status"] == "failed" and "AWS prices for" in r["message"] and "truncated" in r["message"], r["message"]


def test_an_unreachable_source_is_a_sentence(price_server, monkeypatch):
    monkeypatch.setenv("AIINFRA_PRICING_URL_AZURE", "http://127.0.0.1:9")
    [r] = refresh(["azure"])["clouds"]
    assert r["status"] == "failed" and "cannot connect to http://127.0.0.1:9/api/retail/prices" in r["message"]


def test_cache_dir_override_and_platform_default(price_server, monkeypatch, tmp_path):
    assert overlay.path() == tmp_path / "cache" / overlay.FILE
    refresh(["azure"])
    assert (tmp_path / "cache" / overlay.FILE).is_file()
    import platformdirs

    monkeypatch.delenv("AIINFRA_CACHE_DIR")
    assert overlay.path() == overlay.Path(platformdirs.user_cache_dir("aiinfra")) / overlay.FILE


def test_an_unreadable_overlay_is_ignored(price_server):
    overlay.path().parent.mkdir(parents=True)
    overlay.path().write_text("{not json")
    assert catalog.price("azure", "Standard_ND96isr_H100_v5", "eastus", "on-demand").hourly_usd == 98.32


def test_progress_is_reported_per_region(price_server):
    calls = {}
    refresh(["aws", "azure"], lambda cloud: lambda step, total=None: calls.setdefault(cloud, []).append((step, total)))
    for cloud in ("aws", "azure"):
        regions = len({r for it in catalog.cloud_catalog(cloud).instance_types.values() for r in it.regions})
        assert {t for _, t in calls[cloud]} == {regions}
        assert sum(s for s, _ in calls[cloud]) == pytest.approx(regions, rel=0.01)
