"""The socket layer of the live read: every connect, read and write of a request must end
before that request's time is up.

An HTTP client's timeouts bound each socket operation, so a server trickling one byte
every few seconds (in its headers or its body) is never "idle" and can hold a request
forever. `DeadlineBackend` is an httpcore network backend whose streams give each
operation the smaller of its own timeout and the time left in the current request's
`Window`, and refuse to start one when none is left.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpcore2
import httpx2
from httpcore2 import NetworkBackend, NetworkStream, SyncBackend

Clock = Callable[[], float]


@dataclass
class Window:
    """Until when (on `clock`) the request in flight may still use the network."""

    until: float = float("inf")
    clock: Clock = time.monotonic

    def left(self, timeout: float | None, expired: type[Exception]) -> float:
        """The timeout one socket operation gets; raises `expired` when none is left."""
        remaining = self.until - self.clock()
        if remaining <= 0:
            raise expired("the request took longer than its time limit")
        return remaining if timeout is None else min(timeout, remaining)


class _Stream(NetworkStream):
    def __init__(self, inner: NetworkStream, window: Window) -> None:
        self._inner = inner
        self._window = window

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._window.left(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._window.left(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> NetworkStream:
        limit = self._window.left(timeout, httpcore2.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, limit), self._window)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(NetworkBackend):
    """httpcore's synchronous backend with every operation bounded by `window`."""

    def __init__(self, window: Window) -> None:
        self._inner = SyncBackend()
        self._window = window

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> NetworkStream:
        limit = self._window.left(timeout, httpcore2.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, limit, local_address, socket_options)
        return _Stream(stream, self._window)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> NetworkStream:  # pragma: no cover - kubeconfigs name TCP servers
        limit = self._window.left(timeout, httpcore2.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, limit, socket_options), self._window)

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore retries are off
        time.sleep(seconds)


class DeadlineTransport(httpx2.HTTPTransport):
    """httpx's transport, its connection pool on a `DeadlineBackend`: one connection,
    HTTP/1.1, no transport-level retries (capsa's own retry policy is the only one)."""

    def __init__(self, verify: ssl.SSLContext, window: Window) -> None:
        super().__init__(verify=verify)
        self._pool = httpcore2.ConnectionPool(
            ssl_context=verify,
            max_connections=1,
            max_keepalive_connections=1,
            http1=True,
            http2=False,
            retries=0,
            network_backend=DeadlineBackend(window),
        )
