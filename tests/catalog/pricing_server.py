"""A local stand-in for the three price APIs, serving the recorded responses in tests/fixtures/pricing/ (written by
hand from the documented formats, never fetched), so refresh tests run the real HTTP client offline.

`fail[cloud]` makes one source misbehave: "500", "html", "truncated" (a body shorter than its Content-Length),
"cut-json" (a complete HTTP answer holding half a JSON document), "latin-1" (a JSON body that is not UTF-8) or "eur"
(Azure pages billed in EUR).
`azure_pages[region]` replaces the recorded Azure pages with generated ones (the benchmark's volume).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pricing"
AZURE_PATH = "/api/retail/prices"
GCP_PATH = "/v1/services/6F81-5844-456A/skus"
AWS_PREFIX = "/offers/v1.0/aws/AmazonEC2/"


class PriceServer:
    def __init__(self, fixtures: Path = FIXTURES):
        self.fixtures = fixtures
        self.fail: dict[str, str] = {}
        self.azure_pages: dict[str, list[list[dict]]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.requests.append(self.path)
                status, kind, body, length = server.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(length if length is not None else len(body)))
                self.end_headers()
                self.wfile.write(body)
                if length is not None:
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> PriceServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _file(self, rel: str) -> bytes | None:
        p = self.fixtures / rel
        return p.read_bytes().replace(b"{base}", self.url.encode()) if p.is_file() else None

    def answer(self, raw: str) -> tuple[int, str, bytes, int | None]:
        url = urlsplit(raw)
        query = parse_qs(url.query)
        cloud = "azure" if url.path == AZURE_PATH else "gcp" if url.path == GCP_PATH else "aws" if url.path.startswith(AWS_PREFIX) else None
        mode = self.fail.get(cloud or "")
        if mode == "500":
            return 500, "application/json", b'{"Error": {"Code": "InternalServerError", "Message": "try again later"}}', None
        if mode == "html":
            return 200, "text/html; charset=utf-8", b"<!DOCTYPE html><html><body>Sign in to continue</body></html>", None
        status, kind, body = self._route(cloud, url.path, query)
        if mode == "truncated":
            return status, kind, body[: len(body) // 2], len(body)
        if mode == "cut-json":
            return status, kind, body[: len(body) // 2], None
        if mode == "latin-1":
            return status, kind, b'{"Items": [{"productName": "Caf\xe9"}]}', None
        if mode == "eur" and cloud == "azure":
            body = body.replace(b'"BillingCurrency": "USD"', b'"BillingCurrency": "EUR"')
        return status, kind, body, None

    def _route(self, cloud: str | None, path: str, query: dict) -> tuple[int, str, bytes]:
        empty_azure = {"BillingCurrency": "USD", "CustomerEntityId": "Default", "CustomerEntityType": "Retail", "Items": [], "NextPageLink": None, "Count": 0}
        if cloud == "azure":
            m = re.search(r"armRegionName eq '([a-z0-9]+)'", query.get("$filter", [""])[0])
            region = m[1] if m else ""
            skip = query.get("$skip", ["0"])[0]
            if region in self.azure_pages:
                return 200, "application/json", json.dumps(self._generated(region, query, int(skip))).encode()
            body = self._file(f"azure/{region}.json" if skip == "0" else f"azure/{region}.skip{skip}.json")
            return 200, "application/json", body or json.dumps(empty_azure).encode()
        if cloud == "gcp":
            if not query.get("key") and "Authorization" not in query:
                return 403, "application/json", b'{"error": {"code": 403, "message": "The request is missing a valid API key.", "status": "PERMISSION_DENIED"}}'
            token = query.get("pageToken", [""])[0]
            body = self._file(f"gcp/skus.{token}.json" if token else "gcp/skus.json")
            return (200, "application/json", body) if body else (400, "application/json", b'{"error": {"code": 400, "message": "Invalid page token."}}')
        if cloud == "aws":
            if path.endswith("/region_index.json"):
                return 200, "application/json", self._file("aws/region_index.json") or b"{}"
            m = re.search(r"/([a-z]{2}-[a-z]+-\d)/index\.csv$", path)
            if m:
                body = self._file(f"aws/{m[1]}.csv")
                if body is None:  # a region with none of the recorded rows: the same file, metadata and header only
                    body = b"".join((self._file("aws/us-east-1.csv") or b"").splitlines(keepends=True)[:6])
                return 200, "text/csv", body
        return 404, "application/xml", b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code></Error>"

    def _generated(self, region: str, query: dict, skip: int) -> dict:
        pages = self.azure_pages[region]
        page = skip // 1000
        nxt = None
        if page + 1 < len(pages):
            nxt = f"{self.url}{AZURE_PATH}?api-version=2023-01-01-preview&$filter={quote(query['$filter'][0])}&$skip={(page + 1) * 1000}"
        return {"BillingCurrency": "USD", "CustomerEntityId": "Default", "CustomerEntityType": "Retail", "Items": pages[page], "NextPageLink": nxt, "Count": len(pages[page])}
