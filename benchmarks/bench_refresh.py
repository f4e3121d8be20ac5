"""Time of `aiinfra catalog refresh` against the local price server (tests/catalog/pricing_server.py): Azure with a
synthetic answer of about 10,000 items over pages of 1,000 for one region (the real API's page size), and AWS with a
synthetic us-east-1 offer CSV of many rows, streamed. Other regions answer empty pages / header-only files.

Prints numbers (medians of several runs); asserts nothing.
Run: python benchmarks/bench_refresh.py [--runs N] [--azure-items N] [--aws-rows N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "catalog"))

from pricing_server import FIXTURES, PriceServer  # noqa: E402

KINDS = [("", "Virtual Machines {s} Series"), (" Spot", "Virtual Machines {s} Series"), ("", "Virtual Machines {s} Series Windows"), (" Low Priority", "Virtual Machines {s} Series")]


def azure_items(n: int, names: list[str]) -> list[dict]:
    """n real-shaped items: every catalog type's four rates, then other SKUs up to n."""
    items = []
    skus = names + [f"Standard_X{i}s_v9" for i in range(n)]
    for i, sku in enumerate(skus):
        for suffix, product in KINDS:
            if len(items) >= n:
                return items
            short = sku.removeprefix("Standard_").replace("_", " ")
            items.append({
                "currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": 1.0 + i / 100, "unitPrice": 1.0 + i / 100,
                "armRegionName": "eastus", "location": "US East", "effectiveStartDate": "2026-01-01T00:00:00Z",
                "meterId": f"m-{i}-{suffix.strip()}", "meterName": short + suffix, "productId": f"P{i:06d}", "skuId": f"P{i:06d}/{len(items):04d}",
                "productName": product.format(s=short), "skuName": short + suffix, "serviceName": "Virtual Machines", "serviceId": "DZH313Z7MMC8",
                "serviceFamily": "Compute", "unitOfMeasure": "1 Hour", "type": "Consumption", "isPrimaryMeterRegion": True, "armSkuName": sku,
            })
    return items


def aws_csv(path: Path, rows: int, names: list[str]) -> None:
    head = (FIXTURES / "aws" / "us-east-1.csv").read_text().splitlines(keepends=True)
    template = head[6]
    with path.open("w") as f:
        f.writelines(head[:6])
        for i in range(rows):
            name = names[i % len(names)] if i < len(names) * 4 else f"x{i}.large"
            f.write(template.replace("p5.48xlarge", name).replace("Q8NSQ5GNZ3A7EXD6", f"S{i:015d}"))


def timed(cloud: str, runs: int) -> list[float]:
    from aiinfra.catalog.refresh import refresh

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        [r] = refresh([cloud])["clouds"]
        times.append(time.perf_counter() - start)
        assert r["status"] in ("refreshed", "partial"), r["message"]
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--azure-items", type=int, default=10_000)
    ap.add_argument("--aws-rows", type=int, default=200_000)
    args = ap.parse_args()
    from aiinfra.catalog.refresh import wanted

    with tempfile.TemporaryDirectory() as tmp:
        fixtures = Path(tmp) / "fixtures"
        shutil.copytree(FIXTURES, fixtures)
        aws_csv(fixtures / "aws" / "us-east-1.csv", args.aws_rows, list(wanted("aws")))
        os.environ["AIINFRA_CACHE_DIR"] = str(Path(tmp) / "cache")
        with PriceServer(fixtures) as server:
            for cloud in ("AWS", "GCP", "AZURE"):
                os.environ[f"AIINFRA_PRICING_URL_{cloud}"] = server.url
            items = azure_items(args.azure_items, list(wanted("azure")))
            server.azure_pages["eastus"] = [items[i : i + 1000] for i in range(0, len(items), 1000)]
            azure = timed("azure", args.runs)
            size = (fixtures / "aws" / "us-east-1.csv").stat().st_size
            aws = timed("aws", args.runs)
    a, w = statistics.median(azure), statistics.median(aws)
    print(f"azure: {len(items)} items over {len(server.azure_pages['eastus'])} pages (eastus) + empty pages for the other regions")
    print(f"  total {a:.3f} s (median of {args.runs}: {', '.join(f'{t:.3f}' for t in azure)}), {len(items) / a:,.0f} items/s")
    print(f"aws: {args.aws_rows} CSV rows, {size / 1e6:.1f} MB (us-east-1) + header-only files for the other regions")
    print(f"  total {w:.3f} s (median of {args.runs}: {', '.join(f'{t:.3f}' for t in aws)}), {args.aws_rows / w:,.0f} rows/s, {size / 1e6 / w:.1f} MB/s")


if __name__ == "__main__":
    main()
