"""The system model: what the system is made of, where trust changes, and what moves where.

Every type is a frozen pydantic model with camelCase aliases, so the YAML a user writes and
the JSON Schema editors use are generated from the same source.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from capsa.frozen import FrozenModel

API_VERSION = "capsa.dev/v1alpha1"
KIND = "SystemModel"


class _Strict(FrozenModel):
    """Model types: frozen, unknown keys rejected, camelCase in YAML."""


class ElementType(StrEnum):
    ACTOR = "actor"
    PROCESS = "process"
    DATASTORE = "datastore"
    SERVICE = "service"


class BoundaryKind(StrEnum):
    INTERNET = "internet"
    CLOUD_ACCOUNT = "cloud-account"
    REGION = "region"
    VPC = "vpc"
    SUBNET = "subnet"
    NODE = "node"
    CLUSTER = "cluster"
    ORGANIZATION = "organization"
    WORKSTATION = "workstation"


class ClusterType(StrEnum):
    BOOTSTRAP = "bootstrap"
    MANAGEMENT = "management"
    WORKLOAD = "workload"


class Exposure(StrEnum):
    """How far away a caller can be and still reach the element."""

    INTERNET = "internet"
    VPC = "vpc"
    CLUSTER = "cluster"
    LINK_LOCAL = "link-local"
    NODE_LOCAL = "node-local"
    NONE = "none"


class AuthMethod(StrEnum):
    NONE = "none"
    MTLS = "mtls"
    BEARER_TOKEN = "bearer-token"  # noqa: S105 - a method name, not a secret
    BOOTSTRAP_TOKEN = "bootstrap-token"  # noqa: S105
    AWS_SIGV4 = "aws-sigv4"
    IMDS_SESSION = "imds-session"
    OIDC = "oidc"
    PASSWORD = "password"  # noqa: S105
    MFA = "mfa"
    LOCAL = "local"


class Protocol(StrEnum):
    HTTPS = "https"
    HTTP = "http"
    WEBSOCKET = "websocket"
    TCP_PASSTHROUGH = "tcp-passthrough"
    GRPC = "grpc"
    SSH = "ssh"
    LOCAL_EXEC = "local-exec"
    FILE = "file"


class Sensitivity(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    SECRET = "secret"  # noqa: S105
    CRITICAL = "critical"


class AssetKind(StrEnum):
    CREDENTIAL = "credential"
    KEY_MATERIAL = "key-material"
    CONFIGURATION = "configuration"
    DATA = "data"
    ARTIFACT = "artifact"
    LOG = "log"


class AssetLifetime(StrEnum):
    """How long a credential stays usable once issued."""

    SHORT = "short"  # minutes to hours, rotated by the issuer
    LONG = "long"  # days to years
    UNBOUNDED = "unbounded"  # renewed or valid without an upper limit
    NOT_APPLICABLE = "n/a"


class Boundary(_Strict):
    """A trust boundary; boundaries nest through `parent`."""

    id: str
    name: str
    kind: BoundaryKind
    parent: str | None = None
    description: str = ""
    cluster_types: list[ClusterType] = Field(default_factory=list)
    notes: str = ""


class ElementAttributes(_Strict):
    """Security-relevant facts about an element. Threat rules read these, never ids."""

    runs_untrusted_workloads: bool = False
    requires_authentication: list[AuthMethod] = Field(default_factory=list)
    exposure: Exposure | None = None
    stores: list[str] = Field(default_factory=list, description="ids of data assets held here")
    encrypted_at_rest: bool | None = None
    audit_logging: bool | None = None
    privileged: bool = False
    human: bool = False
    trusted: bool = True
    holds_credentials: list[str] = Field(
        default_factory=list, description="ids of credential assets this element acts with"
    )
    creates_resources: bool = False
    creation_bounded: bool | None = None
    single_point_of_failure: bool = False
    supplies_artifacts: list[str] = Field(
        default_factory=list, description="ids of artifact assets this element produces"
    )
    artifact_integrity_verified: bool | None = None
    authorization_client_side_only: bool = False
    shared_across_clusters: bool = False
    third_party: bool = False
    cloud_provider: str | None = None
    tags: list[str] = Field(default_factory=list)


class Element(_Strict):
    id: str
    name: str
    type: ElementType
    boundary: str | None = None
    description: str = ""
    attributes: ElementAttributes = Field(default_factory=ElementAttributes)
    notes: str = ""


class DataAsset(_Strict):
    id: str
    name: str
    kind: AssetKind = AssetKind.DATA
    sensitivity: Sensitivity
    description: str = ""
    lifetime: AssetLifetime = AssetLifetime.NOT_APPLICABLE
    scope: Literal["instance", "cluster", "account", "fleet", "global"] | None = None
    grants: list[str] = Field(
        default_factory=list, description="element ids whose authority this credential carries"
    )
    notes: str = ""


class DataFlow(_Strict):
    id: str
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    protocol: Protocol
    authentication: AuthMethod = AuthMethod.NONE
    encrypted: bool
    carries: list[str] = Field(default_factory=list, description="ids of data assets")
    label: str = ""
    description: str = ""
    server_authenticated: bool | None = None
    notes: str = ""


class FlowStep(_Strict):
    """One step of a named flow: it uses a data flow, an element action, or another flow."""

    description: str
    uses: str | None = Field(default=None, description="id of a data flow")
    actor: str | None = Field(default=None, description="element acting alone (no data flow)")
    action: str | None = None
    include: str | None = Field(default=None, description="id of a named flow run here")
    notes: str = ""


class NamedFlow(_Strict):
    id: str
    name: str
    description: str = ""
    steps: list[FlowStep]
    notes: str = ""


class Metadata(_Strict):
    name: str
    title: str = ""
    description: str = ""
    source: str = ""
    version: str = ""


class SystemModel(_Strict):
    """A whole model file (after `extends` has been merged)."""

    api_version: Literal["capsa.dev/v1alpha1"]
    kind: Literal["SystemModel"]
    metadata: Metadata
    extends: str | None = None
    boundaries: list[Boundary] = Field(default_factory=list)
    elements: list[Element] = Field(default_factory=list)
    assets: list[DataAsset] = Field(default_factory=list)
    data_flows: list[DataFlow] = Field(default_factory=list)
    flows: list[NamedFlow] = Field(default_factory=list)
