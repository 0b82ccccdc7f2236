"""A small Kubernetes API server for tests: real HTTP on 127.0.0.1, the real wire format.

Serves discovery (APIVersions, APIGroupList, APIResourceList), paged lists with
`limit`/`continue`, PartialObjectMetadataList for the metadata Accept header, and Status
objects for errors. Faults (403, 404, 429 with Retry-After, 500, 410 on a continue token,
slow answers) can be injected per path, or on every path a rule matches (`inject_where`).
The hostile mode: a fault may replace the answer's JSON (`json`), add headers, or take
over the wire entirely (`wire`: see the `trickle`, `endless_chunks` and `gzip_bomb`
writers) to play a server that misbehaves below HTTP. Every request is logged with its
method and headers.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml


@dataclass(frozen=True)
class KindInfo:
    group: str
    versions: tuple[str, ...]  # newest first, as a real server lists them
    kind: str
    plural: str
    namespaced: bool


# The value every Secret in the fixtures holds (plain and base64): it must never leave the server.
CANARY = "CANARY-7f3a9c-DO-NOT-LEAK"
CANARY_B64 = "Q0FOQVJZLTdmM2E5Yy1ETy1OT1QtTEVBSw=="

CAPI = "cluster.x-k8s.io"
DEFAULT_KINDS: tuple[KindInfo, ...] = (
    KindInfo("", ("v1",), "Namespace", "namespaces", False),
    KindInfo("", ("v1",), "ResourceQuota", "resourcequotas", True),
    KindInfo("", ("v1",), "ServiceAccount", "serviceaccounts", True),
    KindInfo("", ("v1",), "Secret", "secrets", True),
    KindInfo("", ("v1",), "Pod", "pods", True),
    KindInfo("", ("v1",), "ConfigMap", "configmaps", True),
    KindInfo("apps", ("v1",), "Deployment", "deployments", True),
    KindInfo("rbac.authorization.k8s.io", ("v1",), "Role", "roles", True),
    KindInfo("rbac.authorization.k8s.io", ("v1",), "ClusterRole", "clusterroles", False),
    KindInfo("rbac.authorization.k8s.io", ("v1",), "RoleBinding", "rolebindings", True),
    KindInfo(
        "rbac.authorization.k8s.io", ("v1",), "ClusterRoleBinding", "clusterrolebindings", False
    ),
    KindInfo(CAPI, ("v1beta2", "v1beta1"), "Cluster", "clusters", True),
    KindInfo(CAPI, ("v1beta2", "v1beta1"), "Machine", "machines", True),
    KindInfo(CAPI, ("v1beta2", "v1beta1"), "MachineSet", "machinesets", True),
    KindInfo(CAPI, ("v1beta2", "v1beta1"), "MachineDeployment", "machinedeployments", True),
    KindInfo(f"bootstrap.{CAPI}", ("v1beta2", "v1beta1"), "KubeadmConfig", "kubeadmconfigs", True),
    KindInfo(
        f"bootstrap.{CAPI}",
        ("v1beta2", "v1beta1"),
        "KubeadmConfigTemplate",
        "kubeadmconfigtemplates",
        True,
    ),
    KindInfo(
        f"controlplane.{CAPI}",
        ("v1beta2", "v1beta1"),
        "KubeadmControlPlane",
        "kubeadmcontrolplanes",
        True,
    ),
    KindInfo(f"infrastructure.{CAPI}", ("v1beta2",), "AWSCluster", "awsclusters", True),
    KindInfo(f"infrastructure.{CAPI}", ("v1beta2",), "AWSMachine", "awsmachines", True),
    KindInfo(
        f"infrastructure.{CAPI}", ("v1beta2",), "AWSMachineTemplate", "awsmachinetemplates", True
    ),
    KindInfo(
        f"infrastructure.{CAPI}",
        ("v1beta2",),
        "AWSClusterStaticIdentity",
        "awsclusterstaticidentities",
        False,
    ),
    KindInfo(
        f"infrastructure.{CAPI}",
        ("v1beta2",),
        "AWSClusterControllerIdentity",
        "awsclustercontrolleridentities",
        False,
    ),
    KindInfo(f"addons.{CAPI}", ("v1beta2",), "ClusterResourceSet", "clusterresourcesets", True),
    KindInfo(f"clusterctl.{CAPI}", ("v1alpha3",), "Provider", "providers", True),
)
BUILTIN_GROUPS = frozenset({"", "apps", "rbac.authorization.k8s.io"})
READ_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    accept: str
    authorization: str


Wire = Callable[[BaseHTTPRequestHandler, threading.Event], None]
"""Writes a whole answer (status line included) itself; stops when the Event is set."""
FOREVER = 10**9


@dataclass
class Fault:
    status: int
    times: int = 1
    retry_after: str | None = None
    only_with_continue: bool = False
    delay: float = 0.0
    json: Any = None
    """Answer with this document (any JSON value, or a function of the Request giving
    one) instead of the real one."""
    headers: dict[str, str] = field(default_factory=dict)
    wire: Wire | None = None


def trickle(payload: bytes, every: float, *, in_headers: bool = False) -> Wire:
    """Send `payload` one byte every `every` seconds (forever, if it is long enough):
    in the body after honest headers, or from the very first header byte."""

    def write(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        if not in_headers:
            head += f"Content-Length: {len(payload)}\r\n\r\n".encode()
            handler.wfile.write(head)
            handler.wfile.flush()
            data = payload
        else:
            data = head + b"X-Slow: " + b"a" * 10_000_000
        for byte in data:
            if stop.wait(every):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return write


def endless_chunks(chunk: bytes = b" " * 65536) -> Wire:
    """A 200 answer in chunked encoding that never ends."""

    def write(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        handler.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while not stop.is_set():
            handler.wfile.write(frame)

    return write


def gzip_bomb(expanded: int = 1 << 30) -> Wire:
    """A small gzip answer that inflates to `expanded` bytes of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\x00" * (1 << 20)
    parts = [compressor.compress(block) for _ in range(expanded // len(block))]
    body = b"".join(parts) + compressor.flush()

    def write(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        handler.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    return write


def status_body(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


def load_fixture_objects(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every object of the given multi-document YAML files."""
    objects: list[dict[str, Any]] = []
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind"):
                objects.append(doc)
    return objects


@dataclass
class FakeApiServer:
    """Holds objects by (group, plural) and answers like kube-apiserver would."""

    objects: list[dict[str, Any]]
    kinds: tuple[KindInfo, ...] = DEFAULT_KINDS
    token: str = "test-token"
    honour_metadata_accept: bool = True
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    rules: list[tuple[Callable[[str], bool], Fault]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    _store: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.add(self.objects)

    # --- setup ---------------------------------------------------------------------------
    def add(self, objects: Iterable[dict[str, Any]]) -> None:
        by_kind = {(k.group, k.kind): k for k in self.kinds}
        for obj in objects:
            api_version = str(obj.get("apiVersion", ""))
            group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
            info = by_kind.get((group, str(obj.get("kind"))))
            if info is None:
                continue
            self._store.setdefault((group, info.plural), []).append(obj)
        for items in self._store.values():
            items.sort(
                key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"].get("name", ""))
            )

    def inject(self, path: str, fault: Fault) -> None:
        self.faults.setdefault(path, []).append(fault)

    def inject_where(self, matches: Callable[[str], bool], fault: Fault) -> None:
        """`fault` on every request whose path `matches` (until its `times` run out)."""
        self.rules.append((matches, fault))

    def start(self) -> str:
        handler = self._handler_class()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.stopping.set()  # ends trickles and endless answers still being written
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def write_kubeconfig(self, path: Path, context: str = "fake-mgmt") -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "fake", "cluster": {"server": self.url, "insecure-skip-tls-verify": True}}
            ],
            "users": [{"name": "tester", "user": {"token": self.token}}],
            "contexts": [{"name": context, "context": {"cluster": "fake", "user": "tester"}}],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(config))
        return path

    # --- request handling ----------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                code, body, headers = server.handle(
                    self.command, self.path, dict(self.headers.items())
                )
                if callable(body):
                    # the client giving up mid-answer is what a hostile answer is for
                    with contextlib.suppress(OSError):
                        body(self, server.stopping)
                    self.close_connection = True
                    return
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        return Handler

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        lower = {k.lower(): v for k, v in headers.items()}
        request = Request(
            method, parts.path, query, lower.get("accept", ""), lower.get("authorization", "")
        )
        with self._lock:
            self.requests.append(request)
            fault = self._take_fault(request)
        if request.authorization != f"Bearer {self.token}":
            return 401, status_body(401, "Unauthorized", "Unauthorized"), {}
        if method != "GET":
            return 405, status_body(405, "MethodNotAllowed", "read-only fake"), {}
        if fault is not None:
            if fault.delay:
                self.stopping.wait(fault.delay)
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            extra.update(fault.headers)
            if fault.wire is not None:
                return fault.status, fault.wire, extra
            if fault.json is not None:
                body = fault.json(request) if callable(fault.json) else fault.json
                return fault.status, body, extra
            if fault.status != 200:
                message = f"injected {fault.status}"
                if fault.status == 410:
                    message = "The provided continue parameter is too old to display a consistent list result."
                reason = REASONS.get(fault.status, "Unknown")
                return fault.status, status_body(fault.status, reason, message), extra
        return self._route(request)

    def _take_fault(self, request: Request) -> Fault | None:
        for matches, rule in self.rules:
            if rule.times > 0 and matches(request.path):
                if rule.only_with_continue and "continue" not in request.query:
                    continue
                rule.times -= 1
                return rule
        queue = self.faults.get(request.path)
        if not queue:
            return None
        fault = queue[0]
        if fault.only_with_continue and "continue" not in request.query:
            return None
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    def _route(self, request: Request) -> tuple[int, dict[str, Any], dict[str, str]]:
        segments = [s for s in request.path.split("/") if s]
        not_found: tuple[int, dict[str, Any], dict[str, str]] = (
            404,
            status_body(404, "NotFound", "the server could not find the requested resource"),
            {},
        )
        if segments == ["api"]:
            return (
                200,
                {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
                {},
            )
        if segments == ["apis"]:
            return 200, self._group_list(), {}
        if segments[:1] == ["api"] and len(segments) >= 2:
            group, version, rest = "", segments[1], segments[2:]
        elif segments[:1] == ["apis"] and len(segments) >= 3:
            group, version, rest = segments[1], segments[2], segments[3:]
        else:
            return not_found
        served = [k for k in self.kinds if k.group == group and version in k.versions]
        if not served:
            return not_found
        if not rest:
            return 200, self._resource_list(group, version, served), {}
        namespace: str | None = None
        if len(rest) == 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if len(rest) != 1:
            return not_found
        info = next((k for k in served if k.plural == rest[0]), None)
        if info is None or (namespace is not None and not info.namespaced):
            return not_found
        return self._list(request, info, version, namespace)

    def _group_list(self) -> dict[str, Any]:
        groups: dict[str, list[str]] = {}
        for k in self.kinds:
            if k.group:
                known = groups.setdefault(k.group, [])
                known.extend(v for v in k.versions if v not in known)
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": name,
                    "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in versions],
                    "preferredVersion": {
                        "groupVersion": f"{name}/{versions[0]}",
                        "version": versions[0],
                    },
                }
                for name, versions in groups.items()
            ],
        }

    def _resource_list(self, group: str, version: str, served: list[KindInfo]) -> dict[str, Any]:
        resources: list[dict[str, Any]] = []
        for k in served:
            resources.append(
                {
                    "name": k.plural,
                    "singularName": k.kind.lower(),
                    "namespaced": k.namespaced,
                    "kind": k.kind,
                    "verbs": [*READ_VERBS, "deletecollection"],
                }
            )
            resources.append(
                {
                    "name": f"{k.plural}/status",
                    "singularName": "",
                    "namespaced": k.namespaced,
                    "kind": k.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources,
        }

    def _list(
        self, request: Request, info: KindInfo, version: str, namespace: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        items = self._store.get((info.group, info.plural), [])
        if namespace is not None:
            items = [o for o in items if o["metadata"].get("namespace") == namespace]
        start = 0
        token = request.query.get("continue")
        if token:
            try:
                start = int(json.loads(base64.b64decode(token))["start"])
            except (ValueError, KeyError):
                return 400, status_body(400, "BadRequest", "invalid continue token"), {}
        limit = int(request.query.get("limit", "0") or 0)
        end = len(items) if limit <= 0 else min(start + limit, len(items))
        page = items[start:end]
        meta: dict[str, Any] = {"resourceVersion": "4242"}
        if end < len(items):
            meta["continue"] = base64.b64encode(
                json.dumps({"start": end, "rv": 4242}).encode()
            ).decode()
            meta["remainingItemCount"] = len(items) - end
        api_version = f"{info.group}/{version}" if info.group else version
        partial = "as=PartialObjectMetadataList" in request.accept and self.honour_metadata_accept
        if partial:
            return (
                200,
                {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": meta,
                    "items": [
                        {
                            "kind": "PartialObjectMetadata",
                            "apiVersion": "meta.k8s.io/v1",
                            "metadata": o["metadata"],
                        }
                        for o in page
                    ],
                },
                {},
            )
        if info.group in BUILTIN_GROUPS:  # built-in list items carry no kind/apiVersion
            out = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in page]
        else:
            out = [{**o, "apiVersion": api_version} for o in page]
        return (
            200,
            {"kind": f"{info.kind}List", "apiVersion": api_version, "metadata": meta, "items": out},
            {},
        )
