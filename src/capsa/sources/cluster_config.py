"""From a kubeconfig to an HTTP client for the live read: the file read like every other
input, credentials checked, an exec plugin run within bounds.

- The kubeconfig is read through `capsa.datafile` (bounded reader, guarded YAML, errors
  that name line and column but never quote the file, which holds tokens); files it names
  (token file, CA and client certificates) are checked through `capsa.reader` first, so a
  device or FIFO there cannot hang the read either.
- A token is sent only when it is visible ASCII: a trailing newline would otherwise make
  the HTTP library fail with an error quoting the whole header, token included.
- An exec credential plugin (as kubectl runs it) gets no standard input, its standard
  error is discarded (it may print credentials), its output is capped, and it is killed
  with its whole process group after `LiveLimits.exec_timeout` seconds. Its failures are
  described, never echoed.
- Transport: one HTTP/1.1 connection through `cluster_transport.DeadlineTransport` (each
  socket operation within the request's time window); when an environment proxy applies,
  httpx's own proxy transport is used and the body is still timed chunk by chunk.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from capsa.datafile import DataFile
from capsa.display import display_path, one_line
from capsa.errors import InputError
from capsa.reader import read_bytes, read_text
from capsa.sources.cluster_http import CredentialError, LiveLimits
from capsa.sources.cluster_transport import DeadlineTransport, Window
from capsa.yamlio import plain

MAX_KUBECONFIG_BYTES = 4_000_000
MAX_CREDENTIAL_FILE_BYTES = 1_000_000
MAX_EXEC_OUTPUT = 1_000_000
EXEC_API_VERSIONS = frozenset(
    {
        "client.authentication.k8s.io/v1alpha1",
        "client.authentication.k8s.io/v1beta1",
        "client.authentication.k8s.io/v1",
    }
)
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_SAFE_SCHEMA_TEXT = re.compile(r"[\w `$.,\[\]-]+")


class KubeconfigError(ValueError):
    """The kubeconfig cannot be used; the message says why without quoting its values."""


@dataclass(frozen=True)
class Connection:
    """An HTTP client for one cluster, the context it was built for, and its time window."""

    client: httpx2.Client
    context: str
    window: Window


# --- the kubeconfig file -----------------------------------------------------------------


def kubeconfig_path(explicit: str | None) -> str:
    """The kubeconfig to read: the one given, else the first path in $KUBECONFIG, else
    ~/.kube/config."""
    if explicit:
        return explicit
    listed = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return listed[0] if listed else str(Path("~/.kube/config").expanduser())


def _named_list(conf: dict[str, Any], key: str, inner: str, required: bool) -> None:
    items = conf.get(key)
    if items is None and not required:
        return
    if not isinstance(items, list):
        raise KubeconfigError(f"kubeconfig is malformed: {key} must be a list")
    for index, item in enumerate(items):
        if not (isinstance(item, dict) and isinstance(item.get("name"), str)):
            raise KubeconfigError(f"kubeconfig is malformed: {key}[{index}] needs a name")
        if not isinstance(item.get(inner), dict):
            raise KubeconfigError(f"kubeconfig is malformed: {key}[{index}].{inner} is missing")


def load_kubeconfig(path: str) -> Any:
    """lightkube's KubeConfig for the file at `path`; KubeconfigError when unusable."""
    import msgspec
    from lightkube.config.kubeconfig import KubeConfig

    if not os.path.lexists(path):
        raise KubeconfigError(f"kubeconfig file {display_path(path)} not found")
    try:
        file = DataFile.load(
            path,
            what="kubeconfig cannot be used: not a YAML mapping",
            noun="kubeconfig",
            limit=MAX_KUBECONFIG_BYTES,
        )
    except InputError as error:
        raise KubeconfigError(_describe(error)) from None
    conf = plain(file.root)
    _named_list(conf, "clusters", "cluster", required=True)
    _named_list(conf, "contexts", "context", required=True)
    _named_list(conf, "users", "user", required=False)
    try:
        return KubeConfig.from_dict(conf, fname=path)
    except msgspec.ValidationError as exc:
        detail = str(exc)
        shown = detail if _SAFE_SCHEMA_TEXT.fullmatch(detail) else "a field has the wrong type"
        raise KubeconfigError(f"kubeconfig is malformed: {shown}") from None
    except (KeyError, TypeError, ValueError):
        raise KubeconfigError(
            "kubeconfig is malformed: check clusters, contexts and users"
        ) from None


def _describe(error: InputError) -> str:
    problem = error.problems[0]
    message = problem.message
    if message.startswith("YAML syntax error: "):
        where = f" at line {problem.line}" if problem.line is not None else ""
        if problem.column is not None and where:
            where += f", column {problem.column}"
        return f"kubeconfig cannot be used: not valid YAML{where}: {message.split(': ', 1)[1]}"
    if message.startswith("kubeconfig cannot be used"):
        return message
    return f"kubeconfig cannot be used: {message}"


# --- credentials ---------------------------------------------------------------------------


def checked_token(token: str, source: str) -> str:
    """`token` when it can be sent as a header; KubeconfigError (never quoting it) if not."""
    if not _VISIBLE_ASCII.fullmatch(token):
        raise KubeconfigError(
            f"the token from {source} contains whitespace, a line break or another character "
            "that cannot be sent in an HTTP header; it was not sent (check for a trailing newline)"
        )
    return token


class _Bearer(httpx2.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx2.Request) -> Any:
        request.headers["Authorization"] = self._header
        yield request


class _ExecAuth(httpx2.Auth):
    """A bearer token from an exec credential plugin, run once and again on a 401."""

    def __init__(self, plugin: Any, timeout: float) -> None:
        self._plugin = plugin
        self._timeout = timeout
        self._header: str | None = None

    def sync_auth_flow(self, request: httpx2.Request) -> Any:
        if self._header is not None:
            request.headers["Authorization"] = self._header
            response = yield request
            if response.status_code != 401:
                return
        token = run_exec_plugin(self._plugin, self._timeout)
        self._header = f"Bearer {token}"
        request.headers["Authorization"] = self._header
        yield request


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()


def run_exec_plugin(plugin: Any, timeout: float) -> str:
    """The token an exec credential plugin prints; CredentialError (describing, never
    quoting) when it cannot be had within `timeout` seconds."""
    name = one_line(os.path.basename(str(plugin.command))[:60]) or "(empty)"
    label = f"exec credential plugin {name!r}"
    if plugin.apiVersion not in EXEC_API_VERSIONS:
        raise CredentialError(
            f"{label}: unsupported apiVersion; use client.authentication.k8s.io/v1"
        )
    env = dict(os.environ)
    env.update((item.name, item.value) for item in plugin.env or [])
    env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": plugin.apiVersion, "kind": "ExecCredential", "spec": {"interactive": False}}
    )
    try:
        proc = subprocess.Popen(  # noqa: S603 - the user's own kubeconfig, as kubectl runs it
            [plugin.command, *(plugin.args or [])],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise CredentialError(f"{label} could not be started ({exc.strerror})") from None
    expired = threading.Event()

    def stop() -> None:
        expired.set()
        _kill_group(proc)

    started = time.monotonic()
    timer = threading.Timer(timeout, stop)
    timer.start()
    try:
        assert proc.stdout is not None
        output = proc.stdout.read(MAX_EXEC_OUTPUT + 1)
        proc.stdout.close()
        try:
            code = proc.wait(timeout=max(0.1, timeout - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            stop()
            code = proc.wait()
    finally:
        timer.cancel()
        _kill_group(proc)
    if expired.is_set():
        raise CredentialError(f"{label} did not finish within {timeout:g} s; it was stopped")
    if code != 0:
        raise CredentialError(f"{label} exited with code {code} (its output is not shown)")
    if len(output) > MAX_EXEC_OUTPUT:
        raise CredentialError(f"{label} printed more than {MAX_EXEC_OUTPUT} bytes")
    return _token_of(output, label)


def _token_of(output: bytes, label: str) -> str:
    try:
        data = json.loads(output)
    except (ValueError, RecursionError):
        raise CredentialError(f"{label} did not print an ExecCredential (not JSON)") from None
    status = data.get("status") if isinstance(data, dict) else None
    token = status.get("token") if isinstance(status, dict) else None
    if not isinstance(token, str) or not token:
        raise CredentialError(f"{label} printed no status.token (client certificates unsupported)")
    try:
        return checked_token(token, label)
    except KubeconfigError as exc:
        raise CredentialError(str(exc)) from None


def _user_file(single: Any, name: str, what: str) -> str:
    """The absolute path of a file the kubeconfig names, after checking it is a regular,
    reasonably small file (an unreadable one is a KubeconfigError)."""
    path = str(single.abs_file(name))
    try:
        read_bytes(path, what=what, limit=MAX_CREDENTIAL_FILE_BYTES)
    except InputError as error:
        raise KubeconfigError(error.problems[0].message) from None
    return path


def _auth(single: Any, limits: LiveLimits) -> httpx2.Auth | None:
    user = single.user
    if user.token_file is not None:
        path = _user_file(single, user.token_file, "token file")
        token = read_text(path, what="token file", limit=MAX_CREDENTIAL_FILE_BYTES).strip()
        return _Bearer(checked_token(token, "the kubeconfig's tokenFile"))
    if user.token is not None:
        return _Bearer(checked_token(user.token, f"user of context {single.context_name!r}"))
    if user.exec is not None:
        return _ExecAuth(user.exec, limits.exec_timeout)
    if user.username and user.password:
        return httpx2.BasicAuth(user.username, user.password)
    if user.auth_provider:
        raise KubeconfigError("auth-provider users are not supported; use an exec plugin")
    return None


def _ssl_context(single: Any) -> Any:
    import ssl

    from lightkube.config.client_adapter import verify_cluster

    cluster, user = single.cluster, single.user
    if cluster.certificate_auth:
        _user_file(single, cluster.certificate_auth, "certificate-authority file")
    for name, what in ((user.client_cert, "client certificate"), (user.client_key, "client key")):
        if name and not (user.client_cert_data or user.client_key_data):
            _user_file(single, name, what)
    try:
        return verify_cluster(cluster, user, single.abs_file)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise KubeconfigError(f"TLS settings cannot be used ({type(exc).__name__})") from None


def _proxied(url: httpx2.URL) -> bool:
    proxies = urllib.request.getproxies_environment()
    bypass: Any = getattr(urllib.request, "proxy_bypass_environment", None)
    return bool(proxies.get(url.scheme)) and not (bypass is not None and bypass(url.host))


def connect(kubeconfig: str | None, context: str | None, limits: LiveLimits) -> Connection:
    """An HTTP client for `context` of the kubeconfig (see `kubeconfig_path`); raises
    KubeconfigError with a reason that never quotes a credential."""
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.core.exceptions import ConfigError

    try:
        if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config = KubeConfig.from_service_account()
        else:
            config = load_kubeconfig(kubeconfig_path(kubeconfig))
        single = config.get(context)
    except ConfigError as exc:
        raise KubeconfigError(one_line(str(exc)[:200])) from None
    except KeyError as exc:
        raise KubeconfigError(f"kubeconfig names an unknown cluster or user ({exc})") from None
    if single is None:
        raise KubeconfigError("kubeconfig has no current context; pass --context")
    if single.user is None:
        raise KubeconfigError(f"context {one_line(single.context_name)!r} names no user")
    try:
        url = httpx2.URL(single.cluster.server)
    except (httpx2.InvalidURL, TypeError):
        raise KubeconfigError("the cluster's server is not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise KubeconfigError("the cluster's server must be an http(s):// URL")
    window = Window()
    verify = _ssl_context(single)
    auth = _auth(single, limits)
    options: dict[str, Any] = {
        "base_url": url,
        "auth": auth,
        "timeout": httpx2.Timeout(limits.idle_timeout),
        "follow_redirects": False,
    }
    if _proxied(url):
        client = httpx2.Client(verify=verify, trust_env=True, **options)
    else:
        client = httpx2.Client(transport=DeadlineTransport(verify, window), **options)
    return Connection(client, str(single.context_name), window)
