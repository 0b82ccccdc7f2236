"""moto in server mode on a loopback port, with a WSGI layer in front that records every
AWS operation it receives, injects faults, and watches responses for a secret value.

boto3 talks real HTTP to it, exactly as to AWS (`AWS_ENDPOINT_URL`). The layer knows each
request's operation from `X-Amz-Target` (JSON protocols) or the `Action` form field
(query/EC2 protocols) and the signing service from the SigV4 credential scope.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Seeded as every secret's value and never allowed to come back in a response.
SENTINEL = "CAPSA-SENTINEL-7c1e"
CNCF_OWNER = "819546954734"
STRANGER_OWNER = "999988887777"
GOOD_AMI = "ami-0c0c0c0c0c0c0c0c1"
BAD_AMI = "ami-0bad0bad0bad0bad2"

StartResponse = Callable[..., Any]


@dataclass
class Fault:
    """An answer the layer gives instead of moto's: HTTP status, error code, and (for
    canned successes) a JSON body."""

    status: int
    code: str = ""
    body: dict[str, Any] | None = None


@dataclass
class Recorder:
    """WSGI middleware: operation log, faults by operation, secret-leak detector."""

    app: Any
    operations: list[tuple[str, str]] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    sticky: dict[str, Fault] = field(default_factory=dict)
    leaks: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.operations.clear()
            self.faults.clear()
            self.sticky.clear()
            self.leaks.clear()

    def fail(self, operation: str, *faults: Fault) -> None:
        """Answer the next sends of `operation` with `faults`, in order."""
        self.faults.setdefault(operation, []).extend(faults)

    def always(self, operation: str, fault: Fault) -> None:
        """Answer every send of `operation` with `fault`."""
        self.sticky[operation] = fault

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target.rsplit(".", 1)[-1] if target else ""
        if not operation and environ.get("PATH_INFO", "/") == "/":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            operation = form.get("Action", [""])[0]
        if not operation:  # /moto-api/... and other non-AWS paths
            return list(self.app(environ, start_response))
        scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[-1].split("/")
        service = scope[3] if len(scope) > 3 else "?"
        with self.lock:
            self.operations.append((service, operation))
            queued = self.faults.get(operation)
            fault = queued.pop(0) if queued else self.sticky.get(operation)
        if fault is not None:
            return _answer(fault, bool(target), start_response)
        chunks = list(self.app(environ, start_response))
        if any(SENTINEL.encode() in chunk for chunk in chunks):
            with self.lock:
                self.leaks.append((service, operation))
        return chunks


def _answer(fault: Fault, json_protocol: bool, start_response: StartResponse) -> list[bytes]:
    if fault.body is not None:
        payload = json.dumps(fault.body).encode()
        content_type = "application/x-amz-json-1.1"
    elif json_protocol:
        payload = json.dumps({"__type": fault.code, "message": "injected by the test"}).encode()
        content_type = "application/x-amz-json-1.1"
    else:
        payload = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{fault.code}</Code><Message>injected by the test</Message>"
            "</Error><RequestId>capsa-test</RequestId></ErrorResponse>"
        ).encode()
        content_type = "text/xml"
    start_response(
        f"{fault.status} Injected",
        [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _write_amis(directory: Path) -> Path:
    """Two AMIs every moto account sees: one from the CNCF account CAPA looks images up
    in (capa@2cf09d7 pkg/cloud/services/ec2/ami.go:54-56), one from a stranger."""
    common = {
        "state": "available",
        "public": True,
        "image_type": "machine",
        "platform": None,
        "architecture": "x86_64",
        "root_device_type": "ebs",
        "root_device_name": "/dev/sda1",
        "sriov": "simple",
        "virtualization_type": "hvm",
        "hypervisor": "xen",
    }
    amis = [
        {**common, "ami_id": GOOD_AMI, "owner_id": CNCF_OWNER,
         "name": "capa-ami-ubuntu-24.04-v1.33.0-1700000000", "description": "CNCF"},
        {**common, "ami_id": BAD_AMI, "owner_id": STRANGER_OWNER,
         "name": "capa-ami-ubuntu-24.04-v1.33.0-1700000001", "description": "look-alike"},
    ]  # fmt: skip
    path = directory / "amis.json"
    path.write_text(json.dumps(amis), encoding="utf-8")
    return path


class MotoServer:
    """A moto server on 127.0.0.1:<ephemeral port> with a `Recorder` in front."""

    def __init__(self, workdir: Path) -> None:
        # Must be set before moto.ec2 is first imported.
        os.environ["MOTO_AMIS_PATH"] = str(_write_amis(workdir))
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        from moto.iam.models import ManagedPolicy
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        if not hasattr(ManagedPolicy, "policy_name"):
            # moto 5.2.5 leaves PolicyName out of GetAccountAuthorizationDetails for
            # customer policies; capsa reads names from ARNs, but keep the answer real.
            ManagedPolicy.policy_name = property(lambda self: self.name)  # type: ignore[attr-defined]
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.recorder = Recorder(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            "127.0.0.1", 0, self.recorder, threaded=True, request_handler=MotoRequestHandler
        )
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def reset(self) -> None:
        """Forget every resource (moto's reset) and the recorder's log and faults."""
        request = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
        self.recorder.reset()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
