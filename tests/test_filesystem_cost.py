"""The file-system cost line of each *-data example against the figure worked by hand from filesystems.yaml, and a
budget that fails closed where a tier has no figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra import policy
from aiinfra.catalog import HOURS_PER_MONTH
from aiinfra.catalog.filesystems import offer
from aiinfra.report.preview import estimate
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

STACKS = Path(__file__).resolve().parents[1] / "stacks"


def fs_line(report: dict) -> dict:
    (line,) = [i for i in report["cost"]["items"] if i["item"].startswith("file system ")]
    return line


def test_aws_data_36_tib_at_125_is_36000_gib_times_0_145():
    report = estimate(resolve(parse_spec((STACKS / "aws-data.yaml").read_text())))
    line = fs_line(report)
    # 36 TiB on FSx = 36,000 GiB (the 1.2/2.4 TiB steps are 1,200/2,400 GiB); 36,000 x $0.145 = $5,220.00 a month
    # per hour: 5,220.00 / 730 = 7.15068... shown to 4 places, so the line's month is 7.1507 x 730 = $5,220.01
    assert line["hourly_usd_each"] == line["hourly_usd_max"] == round(5220.00 / 730, 4) == 7.1507
    assert line["hourly_usd_max"] * HOURS_PER_MONTH == pytest.approx(5220.01, abs=0.005)
    assert "c3x.dev" in line["note"] and "priced as" not in line["note"]  # us-east-1's own figure


@pytest.mark.parametrize(("stack", "service"), [("gcp-data", "Google Cloud Managed Lustre"), ("azure-data", "Azure Managed Lustre")])
def test_gcp_and_azure_data_lustre_stays_unpriced_never_zero(stack, service):
    report = estimate(resolve(parse_spec((STACKS / f"{stack}.yaml").read_text())))
    line = fs_line(report)
    assert service in line["item"] and line["hourly_usd_each"] is None and line["hourly_usd_max"] is None
    assert line["note"].startswith("no price: searched 2026-12-08")
    assert line["item"] in report["cost"]["unpriced"]
    # fails closed: a budget the priced items fit within still cannot pass with the file system left out
    budget = report["cost"]["monthly_usd_max"] + 1
    env = resolve(parse_spec((STACKS / f"{stack}.yaml").read_text() + f"policy: {{max_monthly_usd: {budget:.2f}}}\n"))
    rep = policy.evaluate([], policy.facts_from(env, estimate(env)["cost"]), policy.waivers_of(env.spec))
    (v,) = [v for v in rep["violations"] if v["id"] == "AI-COST-002"]
    assert "cannot show the environment is under" in v["message"] and service in v["message"]


@pytest.mark.parametrize(("throughput", "usd"), [(250, 0.282), (500, 0.471), (1000, 0.849)])
def test_aws_higher_tiers_use_ap_northeast_1_figures_and_say_so(throughput, usd):
    text = (STACKS / "aws-data.yaml").read_text().replace("size_tib: 36\n", f"size_tib: 36\n      throughput_mbps_per_tib: {throughput}\n")
    (fs,) = resolve(parse_spec(text)).filesystems
    # e.g. 250: $3.71/h for 9,600 GiB x 730 h / 9,600 GiB = $0.282/GiB-month; 36,000 GiB x 0.282 = $10,152.00
    assert fs.monthly_usd == round(36000 * usd, 2)
    assert fs.price_note.startswith("priced as ap-northeast-1 (no us-east-1 figure): DevelopersIO")


def test_every_figure_names_its_region_and_every_missing_one_is_none():
    for cloud in ("aws", "gcp", "azure"):
        lustre = offer(cloud, "lustre")
        assert lustre is not None
        for tier in lustre.tiers:
            if tier.usd_per_unit_month is None:
                assert "no figure found" in tier.price_source and tier.price_region is None
            else:
                assert tier.usd_per_unit_month > 0 and tier.price_region and "unverified" in tier.price_source
