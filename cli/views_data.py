"""The preview's file system table: what each file system is, where pods find it and how it is mounted."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table


def filesystem_table(rows: list[dict[str, Any]]) -> Table:
    t = Table(title="File systems", title_justify="left")
    for col in ("name", "service", "size", "zone", "from bucket", "claim → path", "mount"):
        t.add_column(col, overflow="fold")
    for r in rows:
        size = f"{r['size_tib']:g} TiB @ {r['throughput_mbps_per_tib']} MB/s/TiB" + (f" ({r['tier']})" if r["tier"] else "")
        cells = [r["name"], r["service"], size, r["zone"] or "—", r["import_from"] or "—", f"{r['claim']} → {r['path']}", r["mount"] or "—"]
        t.add_row(*map(escape, map(str, cells)))
    return t
