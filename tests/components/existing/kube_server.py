"""A local stand-in for a Kubernetes API server, answering from the recorded responses in tests/fixtures/kube/, so
discovery runs the real `kubernetes` client offline. `allowed` answers SelfSubjectAccessReviews; `nodes` replaces the
recorded node pages with generated ones (the benchmark's 1,000-node cluster); `status` makes every call fail."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kube"


class KubeServer:
    def __init__(self, allowed: bool = True, nodes: list[dict] | None = None, page: int = 500, status: int | None = None):
        self.allowed, self.nodes, self.page, self.status = allowed, nodes, page, status
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                server.requests.append(f"GET {self.path}")
                self._send(*server.answer(self.path))

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(f"POST {self.path}")
                if server.status:
                    return self._send(server.status, {"kind": "Status", "code": server.status})
                self._send(201, {**body, "status": {"allowed": server.allowed}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> KubeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, path: str) -> tuple[int, dict]:
        if self.status:
            return self.status, {"kind": "Status", "code": self.status, "reason": "Forbidden"}
        url = urlsplit(path)
        query = parse_qs(url.query)
        if url.path == "/api/v1/nodes":
            if self.nodes is not None:
                start = int((query.get("continue") or ["0"])[0])
                rest = self.nodes[start : start + self.page]
                more = start + self.page < len(self.nodes)
                return 200, {"kind": "NodeList", "apiVersion": "v1", "metadata": {"continue": str(start + self.page)} if more else {}, "items": rest}
            return 200, self._file("nodes-2.json" if query.get("continue") == ["page-2"] else "nodes-1.json")
        files = {"/api/v1/secrets": "helm-secrets.json", "/api/v1/namespaces/kube-system": "kube-system.json", "/version/": "version.json", "/version": "version.json"}
        if url.path in files:
            return 200, self._file(files[url.path])
        return 404, {"kind": "Status", "code": 404, "reason": "NotFound"}

    @staticmethod
    def _file(name: str) -> dict:
        return json.loads((FIXTURES / name).read_text())

    def kubeconfig(self, path: Path, context: str = "cw-prod") -> Path:
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": "c", "cluster": {"server": self.url}}],
            "users": [{"name": "u", "user": {"token": "test-token"}}],
            "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
        }))
        return path
