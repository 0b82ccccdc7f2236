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
    NAMESPACE = "namespace"
    TENANT = "tenant"
    PROJECT = "project"
    POD = "pod"
    CONTAINER = "container"
    NETWORK_SEGMENT = "network-segment"
    TRUST_DOMAIN = "trust-domain"
    ZONE = "zone"  # a named trust zone that fits no other kind (a control plane, a DMZ)


class Isolation(StrEnum):
    """How hard it is for code inside a boundary to reach its neighbours inside it.

    strong: separate machines, accounts or VMs; weak: one kernel or one API shared (containers
    on a node: a container escape or a host mount crosses it); none: a grouping only.
    """

    STRONG = "strong"
    WEAK = "weak"
    NONE = "none"


class ClusterType(StrEnum):
    BOOTSTRAP = "bootstrap"
    MANAGEMENT = "management"
    WORKLOAD = "workload"


class Exposure(StrEnum):
    """How far away a caller can be and still reach the element."""

    INTERNET = "internet"
    VPC = "vpc"
    CLUSTER = "cluster"
    NAMESPACE = "namespace"
    LINK_LOCAL = "link-local"
    NODE_LOCAL = "node-local"
    POD_LOCAL = "pod-local"
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
    API_KEY = "api-key"
    SSH_KEY = "ssh-key"
    SOURCE_ADDRESS = "source-address"  # an IP allow-list: the network address is the identity
    ATTESTATION = "attestation"  # the caller is identified out of band (kernel, platform)


class Protocol(StrEnum):
    HTTPS = "https"
    HTTP = "http"
    WEBSOCKET = "websocket"
    TCP_PASSTHROUGH = "tcp-passthrough"
    GRPC = "grpc"
    SSH = "ssh"
    LOCAL_EXEC = "local-exec"
    FILE = "file"
    TCP = "tcp"
    UDP = "udp"
    SQL = "sql"
    QUEUE = "queue"
    UNIX_SOCKET = "unix-socket"
    SIGNAL = "signal"


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
    POLICY = "policy"  # rules, authorization models, webhook configurations: what is allowed
    TRUST_ANCHOR = "trust-anchor"  # CA bundles and keys a verifier trusts


class Rating(StrEnum):
    """How much harm a loss of integrity or availability of an asset does."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Breadth(StrEnum):
    """How much a credential (or a policy) allows within its scope.

    narrow: what its holder's task needs and no more; broad: more than the task needs
    (wildcards, every namespace, write where read would do, a token-minting right);
    full: everything within the scope (admin, root, sign any identity, allow-all default).
    """

    NARROW = "narrow"
    BROAD = "broad"
    FULL = "full"


class Direction(StrEnum):
    """Which way a flow's data moves relative to its arrow (`from` is the side that calls)."""

    PUSH = "push"  # the caller sends the data
    PULL = "pull"  # the caller asks and the data comes back against the arrow
    BOTH = "both"


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
    isolation: Isolation | None = Field(
        default=None,
        description="how well members are kept apart from each other; unset: weak for a "
        "node, none for a pod, otherwise not assumed",
    )
    workload_creators: list[str] = Field(
        default_factory=list,
        description="ids of elements that can start code (pods, jobs, containers) inside",
    )
    identities_shared: bool | None = Field(
        default=None,
        description="code started inside may run with any credential held inside (unset: "
        "true for a namespace, whose pods may mount any of its service accounts)",
    )
    exempt_from: list[str] = Field(
        default_factory=list,
        description="ids of policy decision points that do not apply inside this boundary",
    )
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
    reachable_from: list[str] = Field(
        default_factory=list,
        description="ids of boundaries whose members can open a connection to this element "
        "(network segmentation); when set it replaces what `exposure` implies",
    )
    runs_on: str | None = Field(
        default=None,
        description="id of the node (or host) boundary the element runs on when its "
        "`boundary` is a logical one such as a namespace; it then shares that node",
    )
    host_access: bool = Field(
        default=False,
        description="can act on its host (privileged container, host path, host network): "
        "whoever controls it controls what shares its node",
    )
    runs_artifacts: list[str] = Field(
        default_factory=list,
        description="ids of artifact assets (images, binaries, plugins) this element executes",
    )
    writers: list[str] = Field(
        default_factory=list,
        description="ids of elements that may change what this store or service keeps",
    )
    configured_by: list[str] = Field(
        default_factory=list,
        description="ids of configuration or policy assets that decide what this element does",
    )
    policy_decision_point: bool = Field(
        default=False,
        description="answers allow/deny questions that other components act on",
    )
    fail_open: bool | None = Field(
        default=None,
        description="when it is unavailable or slow, the callers go ahead as if it allowed",
    )
    rate_limited: bool | None = Field(
        default=None, description="limits how many requests each caller can make"
    )
    managed: bool = Field(
        default=False,
        description="run by a provider that keeps its own audit trail (unless auditLogging "
        "is false)",
    )


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
    scope: (
        Literal[
            "instance",
            "node",
            "namespace",
            "tenant",
            "project",
            "cluster",
            "account",
            "trust-domain",
            "organization",
            "fleet",
            "global",
        ]
        | None
    ) = None
    grants: list[str] = Field(
        default_factory=list, description="element ids whose authority this credential carries"
    )
    integrity: Rating | None = Field(
        default=None, description="harm done when the asset is altered or forged"
    )
    availability: Rating | None = Field(
        default=None, description="harm done when the asset is lost or cannot be reached"
    )
    breadth: Breadth | None = Field(
        default=None, description="how much this credential or policy allows within its scope"
    )
    scope_boundary: str | None = Field(
        default=None, description="id of the boundary the credential's authority is confined to"
    )
    grants_read: list[str] = Field(
        default_factory=list, description="ids of assets whoever holds this credential may read"
    )
    grants_write: list[str] = Field(
        default_factory=list,
        description="ids of assets whoever holds this credential may create or change",
    )
    issues: list[str] = Field(
        default_factory=list,
        description="ids of credentials this key or credential can create (a CA key, a "
        "token-minting right, an identity provider's signing key)",
    )
    writers: list[str] = Field(
        default_factory=list, description="ids of elements that may create or change this asset"
    )
    derived_from: list[str] = Field(
        default_factory=list,
        description="ids of assets this one is rendered, compiled or copied from: whoever "
        "may write those shapes this one",
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
    returns: list[str] = Field(
        default_factory=list,
        description="ids of assets the response brings back to the caller (against the "
        "arrow); `carries` is then what the request sends",
    )
    label: str = ""
    description: str = ""
    server_authenticated: bool | None = None
    direction: Direction | None = Field(
        default=None,
        description="which way `carries` moves: push (from → to), pull (the caller at "
        "`from` receives them), both; unset: not stated",
    )
    signed: bool | None = Field(
        default=None,
        description="the payload carries a signature the receiver checks (signed webhooks)",
    )
    mfa: bool | None = Field(
        default=None, description="the login behind this flow requires a second factor"
    )
    target_chosen_by: list[str] = Field(
        default_factory=list,
        description="ids of configuration assets that decide where this flow goes",
    )
    notes: str = ""


# --- named flows and what each step does (the simulator's input, capsa.sim) -----------


class InputCheck(StrEnum):
    """What a step verifies about an input before acting on it."""

    AUTHENTICATION = "authentication"  # who sent it
    INTEGRITY = "integrity"  # that nobody changed it
    FRESHNESS = "freshness"  # that it is not an old message again
    OWNERSHIP = "ownership"  # that this sender is entitled to this very object


class ProductKind(StrEnum):
    OBJECT = "object"  # an API object or record
    SECRET = "secret"  # noqa: S105 - data that must stay confidential
    CREDENTIAL = "credential"  # authenticates whoever holds it
    CLOUD_RESOURCE = "cloud-resource"  # capacity and money while it exists
    FILE = "file"
    STATE = "state"  # a fact that becomes true (a node registered)


class ProductLifetime(StrEnum):
    KEPT = "kept"  # the flow's intended result: meant to stay once the flow completes
    UNTIL_REMOVED = "until-removed"  # lives until a step or a controller removes it
    EXPIRES = "expires"  # stops being usable after its ttl


class HaltCleanup(StrEnum):
    """What removes a product when its flow stops before the end."""

    NEVER = "never"
    ALWAYS = "always"  # its owner removes it whenever the flow stops early
    REMEDIATION = "remediation"  # removed once remediation deletes the machine
    WITH_OWNER = "with-owner"  # stays with a visible owner (a Cluster) until that is deleted


class DetectorKind(StrEnum):
    CAPSA_CHECK = "capsa-check"
    HEALTH_CHECK = "health-check"
    CONDITION = "condition"
    EVENT = "event"
    ALERT = "alert"
    LOG = "log"


class OnFailure(StrEnum):
    HALT = "halt"  # the flow stops here
    FINISH_FLOW = "finish-flow"  # the rest of this step's own flow runs, then the flow stops
    CONTINUE = "continue"  # the failure is noted and the flow goes on


class StepDuration(_Strict):
    """A time span: a number of seconds, or the deployment setting that decides it (its
    value read from evidence, `seconds` being the upstream default)."""

    seconds: int | None = Field(default=None, ge=0)
    setting: str | None = Field(default=None, description="deployment setting (capsa.sim)")


class Detector(_Strict):
    """Something that notices a failure: a condition, a health check, an alert, a capsa check."""

    kind: DetectorKind
    name: str
    check: str | None = Field(default=None, description="capsa check id (kind capsa-check)")
    needs: str | None = Field(default=None, description="deployment setting that must hold")


class Realises(_Strict):
    """Catalogue threats realised when a forged input of each kind is accepted."""

    spoofed: list[str] = Field(default_factory=list)
    tampered: list[str] = Field(default_factory=list)
    replayed: list[str] = Field(default_factory=list)


class StepInput(_Strict):
    """What a step takes in and the checks it makes before acting on it."""

    name: str
    description: str = ""
    taken_by: Literal["receiver", "sender"] = Field(
        default="receiver", description="which end of the step's data flow takes it in"
    )
    checks: list[InputCheck] = Field(default_factory=list)
    checked_by: str = Field(default="", description="how the checks are made")
    realises: Realises = Field(default_factory=Realises)
    detection: list[Detector] = Field(default_factory=list)
    mitigations: list[str] = Field(default_factory=list, description="catalogue mitigation ids")


class StepProduct(_Strict):
    """Something a step creates: an object, secret, credential, cloud resource or fact."""

    name: str
    kind: ProductKind
    asset: str | None = Field(default=None, description="id of the data asset it is")
    description: str = ""
    lifetime: ProductLifetime = ProductLifetime.UNTIL_REMOVED
    ttl: StepDuration | None = None
    renewed_while_pending: bool = Field(
        default=False, description="kept valid for as long as the flow has not completed"
    )
    recorded_in: str | None = Field(
        default=None, description="product the renewer reads it from; unrenewed without it"
    )
    on_halt: HaltCleanup = HaltCleanup.NEVER
    exposes: list[str] = Field(
        default_factory=list, description="catalogue threats realised when it outlives its use"
    )
    detection: list[Detector] = Field(default_factory=list)
    mitigations: list[str] = Field(default_factory=list, description="catalogue mitigation ids")


class StepCredential(_Strict):
    """What the sender of a step authenticates with."""

    name: str = Field(description="a product of the flow or a data asset id")
    renewed: bool = Field(default=False, description="replaced automatically when it expires")
    shared: bool = Field(
        default=False,
        description="handed to machines or kept where more than its owner can read it",
    )


class StepTimeout(_Strict):
    """How long the step is waited for, and what enforces the limit."""

    seconds: int | None = Field(default=None, ge=0)
    setting: str | None = Field(default=None, description="deployment setting (capsa.sim)")
    needs: str | None = Field(default=None, description="setting that must hold to enforce it")
    enforced_by: str = ""


class StepRetries(_Strict):
    limit: int | None = Field(
        default=None, ge=0, description="attempts after the first; none: no limit"
    )
    interval_seconds: int | None = Field(default=None, ge=0)


class StepSemantics(_Strict):
    """What a step needs, makes, checks and cleans up: enough to run it under faults."""

    requires: list[str] = Field(default_factory=list, description="products that must exist")
    credential: StepCredential | None = None
    inputs: list[StepInput] = Field(default_factory=list)
    produces: list[StepProduct] = Field(default_factory=list)
    removes: list[str] = Field(default_factory=list, description="products it cleans up")
    atomic: bool = Field(default=False, description="its writes happen all together or not at all")
    idempotent: bool = Field(default=False, description="doing it again changes nothing")
    timeout: StepTimeout | None = None
    retries: StepRetries | None = Field(default=None, description="absent: no retry")
    on_failure: OnFailure = Field(
        default=OnFailure.HALT, description="what the flow does when this step fails"
    )
    outage: list[str] = Field(
        default_factory=list, description="catalogue threats realised when the step cannot run"
    )
    detection: list[Detector] = Field(
        default_factory=list, description="what notices the step failing"
    )


class FlowStep(_Strict):
    """One step of a named flow: it uses a data flow, an element action, or another flow."""

    description: str
    uses: str | None = Field(default=None, description="id of a data flow")
    actor: str | None = Field(default=None, description="element acting alone (no data flow)")
    action: str | None = None
    include: str | None = Field(default=None, description="id of a named flow run here")
    semantics: StepSemantics | None = None
    notes: str = ""


class NamedFlow(_Strict):
    id: str
    name: str
    description: str = ""
    steps: list[FlowStep]
    given: list[str] = Field(
        default_factory=list, description="products that exist when the flow starts"
    )
    goal: str | None = Field(
        default=None,
        description="product whose existence means the flow did its job; a later failure "
        "leaves its products as a completed flow would",
    )
    machine_role: Literal["control-plane", "worker"] | None = Field(
        default=None, description="machines the flow creates (selects deployment evidence)"
    )
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
