"""Kubernetes RBAC resolved the way the authorizer does, for any source of objects.

One implementation serves the live checks (`capsa.live.rbac`, objects read from the
management cluster) and the manifest checks (`capsa.capi.rbac`, objects shipped in git):
bindings resolve to their role's rules, ClusterRole aggregation is applied transitively
through label selectors, and `*` in apiGroups, resources or verbs matches everything.
Each risky right (read Secrets, create pods, exec into pods, impersonate) is judged
against the namespaces that matter: a RoleBinding reaches its own namespace, a
ClusterRoleBinding every one. Subjects expected to hold such rights (the Cluster API
controllers' ServiceAccounts, system:masters, the control plane's default bindings) are
exempt; which ServiceAccounts are controllers is the caller's knowledge, from the one
evidence rule `capsa.sources.controllers.is_controller` (and `KNOWN_CONTROLLER_ACCOUNTS`),
never from a name prefix or a label anyone allowed to create the object can write.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from capsa.errors import SHAPE_ERRORS, Problem, left_out
from capsa.kube import RBAC_GROUP, RULE_LISTS, dig, items_of, labels_of, selector_matches
from capsa.sources.resource import Resource

READ = frozenset({"get", "list", "watch"})
BOOTSTRAP_LABEL = ("kubernetes.io/bootstrapping", "rbac-defaults")


@dataclass(frozen=True)
class Subject:
    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Grant:
    """Rules a binding gives its subjects, in one namespace or (None) in all of them."""

    binding: Resource
    namespace: str | None
    role: str
    rules: tuple[dict[str, Any], ...]
    subjects: tuple[Subject, ...]


@dataclass(frozen=True)
class Right:
    """A permission that hands over what a namespace holding Clusters protects: `verbs`
    on any of `resources` in `group`."""

    name: str
    verbs: frozenset[str]
    group: str
    resources: tuple[str, ...]
    what: str


READ_SECRETS = Right("read-secrets", READ, "", ("secrets",), "Secrets")
CREATE_PODS = Right("create-pods", frozenset({"create"}), "", ("pods",), "pods")
# Exec is `create` on pods/exec; API servers before the
# AuthorizePodWebsocketUpgradeCreatePermission gate (Kubernetes 1.35) also let `get`
# open an exec stream over WebSockets, so both count.
EXEC_PODS = Right(
    "exec-pods", frozenset({"create", "get"}), "", ("pods/exec", "pods/attach"), "pods/exec"
)
IMPERSONATE = Right(
    "impersonate",
    frozenset({"impersonate"}),
    "",
    ("users", "groups", "serviceaccounts"),
    "users, groups or ServiceAccounts",
)
RIGHTS: tuple[Right, ...] = (READ_SECRETS, CREATE_PODS, EXEC_PODS, IMPERSONATE)


@dataclass(frozen=True)
class Access:
    """What one grant allows of one right where it matters."""

    grant: Grant
    right: Right
    namespaces: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...]
    wildcard: bool
    subjects: tuple[Subject, ...]

    @property
    def unrestricted(self) -> bool:
        """True when some rule grants the right on every object, not only named ones."""
        return not self.resource_names

    def describe(self, subject: Subject) -> str:
        """One sentence: who can do what, where, and through which binding."""
        what = (
            self.right.what
            if self.unrestricted
            else f"the {self.right.what} {', '.join(self.resource_names)}"
        )
        how = " (through a wildcard rule)" if self.wildcard else ""
        binding = self.grant.binding
        return (
            f"{subject} can {'/'.join(self.verbs)} {what} in {', '.join(self.namespaces)} via "
            f"{binding.kind} {binding.name} -> {self.grant.role}{how}"
        )


def _readable(rule: Any) -> bool:
    """A PolicyRule whose lists are lists: a rule of another shape grants nothing."""
    return isinstance(rule, dict) and all(
        isinstance(rule.get(key), list | None) for key in RULE_LISTS
    )


def _rules(res: Resource) -> list[dict[str, Any]]:
    return [r for r in items_of(res.body.get("rules")) if _readable(r)]


def _of_kind(resources: Iterable[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r.kind == kind and r.group in (RBAC_GROUP, "")]


ANALYSIS = "the RBAC analysis"


def skip(problems: list[Problem] | None, resource: Resource, error: Exception) -> None:
    """Leave `resource` out of the RBAC analysis with a problem saying so; without a
    list to report it in (the live checks, which report a failed check as not run), the
    error goes on."""
    if problems is None:
        raise error
    what = f"{resource.kind}/{resource.name}"
    problems.append(left_out(resource.origin.path, resource.origin.line, what, ANALYSIS))


def effective_cluster_roles(
    cluster_roles: Iterable[Resource], problems: list[Problem] | None = None
) -> dict[str, tuple[dict[str, Any], ...]]:
    """Each ClusterRole's rules plus those of every role its aggregationRule selects.
    A role whose shape cannot be read grants nothing, with a problem in `problems`."""
    roles = {r.name: r for r in cluster_roles}

    def collect(name: str, seen: set[str]) -> list[dict[str, Any]]:
        if name in seen or name not in roles:
            return []
        seen.add(name)
        role = roles[name]
        out = list(_rules(role))
        for selector in items_of(dig(role.body, "aggregationRule", "clusterRoleSelectors")):
            for other in roles.values():
                if other.name != name and selector_matches(selector, labels_of(other.body)):
                    out.extend(collect(other.name, seen))
        return out

    out: dict[str, tuple[dict[str, Any], ...]] = {}
    for name, role in roles.items():
        try:
            out[name] = tuple(collect(name, set()))
        except SHAPE_ERRORS as error:
            skip(problems, role, error)
            out[name] = ()
    return out


def _subjects(binding: Resource) -> tuple[Subject, ...]:
    out: list[Subject] = []
    for s in items_of(binding.body.get("subjects")):
        if not isinstance(s, dict):
            continue
        kind, name = str(s.get("kind", "")), str(s.get("name", ""))
        namespace = str(
            s.get("namespace") or (binding.namespace if kind == "ServiceAccount" else "")
        )
        out.append(Subject(kind, name, namespace if kind == "ServiceAccount" else ""))
    return tuple(out)


def grants(resources: Sequence[Resource], problems: list[Problem] | None = None) -> Iterator[Grant]:
    """Every RoleBinding and ClusterRoleBinding among `resources`, resolved to its rules.
    A RoleBinding without a namespace is in `default`, where kubectl would create it. A
    binding or role whose shape cannot be read is left out, with a problem in `problems`."""
    cluster_roles = effective_cluster_roles(_of_kind(resources, "ClusterRole"), problems)
    roles = {((r.namespace or "default"), r.name): r for r in _of_kind(resources, "Role")}
    bindings = _of_kind(resources, "RoleBinding") + _of_kind(resources, "ClusterRoleBinding")
    for binding in bindings:
        try:
            grant = _grant(binding, cluster_roles, roles)
        except SHAPE_ERRORS as error:
            skip(problems, binding, error)
            continue
        if grant is not None:
            yield grant


# ClusterRoles every API server creates, for inputs that bind them without defining them
# (manifests): kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy policy.go,
# ClusterRole cluster-admin = NewRule("*").Groups("*").Resources("*") (plus every
# non-resource URL). A binding to it grants everything, whether or not the input ships it.
BUILT_IN_CLUSTER_ROLES: dict[str, tuple[dict[str, Any], ...]] = {
    "cluster-admin": ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},),
}


def _grant(
    binding: Resource,
    cluster_roles: dict[str, tuple[dict[str, Any], ...]],
    roles: dict[tuple[str, str], Resource],
) -> Grant | None:
    ref = _role_ref(binding)
    if ref is None:
        return None  # a binding to no role grants nothing (the API server refuses it)
    ref_kind, ref_name = ref
    namespace = (binding.namespace or "default") if binding.kind == "RoleBinding" else None
    if ref_kind == "ClusterRole":
        rules = cluster_roles.get(ref_name, BUILT_IN_CLUSTER_ROLES.get(ref_name, ()))
    else:
        role = roles.get((namespace or "", ref_name))
        rules = tuple(_rules(role)) if role else ()
    return Grant(binding, namespace, f"{ref_kind} {ref_name}", rules, _subjects(binding))


def rule_allows(rule: dict[str, Any], verbs: Iterable[str], group: str, plural: str) -> set[str]:
    """The verbs of `verbs` this rule grants on group/plural (empty when it grants none)."""
    groups = {str(g) for g in items_of(rule.get("apiGroups"))}
    plurals = {str(r) for r in items_of(rule.get("resources"))}
    # As the authorizer's ResourceMatches: "*" is every resource and subresource,
    # "*/exec" a subresource of any resource.
    sub = plural.split("/", 1)[1] if "/" in plural else ""
    covered = "*" in plurals or plural in plurals or (bool(sub) and f"*/{sub}" in plurals)
    if not ("*" in groups or group in groups) or not covered:
        return set()
    granted = {str(v) for v in items_of(rule.get("verbs"))}
    return set(verbs) if "*" in granted else set(verbs) & granted


def is_wildcard(rule: dict[str, Any]) -> bool:
    return any("*" in items_of(rule.get(key)) for key in ("apiGroups", "resources", "verbs"))


# The ServiceAccounts the upstream components run as where `clusterctl init` installs them
# (namePrefix + `manager`/`controller-manager` of each project's config/default): exempt
# by that exact namespace and name, also when their Deployments were not read.
KNOWN_CONTROLLER_ACCOUNTS = frozenset(
    {
        ("capi-system", "capi-manager"),
        ("capi-kubeadm-bootstrap-system", "capi-kubeadm-bootstrap-manager"),
        ("capi-kubeadm-control-plane-system", "capi-kubeadm-control-plane-manager"),
        ("capa-system", "capa-controller-manager"),
    }
)


def controller_service_accounts(deployments: Iterable[Resource]) -> set[Subject]:
    """ServiceAccounts the given controller Deployments run as."""
    found: set[Subject] = set()
    for dep in deployments:
        sa = dig(dep.body, "spec", "template", "spec", "serviceAccountName")
        found.add(Subject("ServiceAccount", str(sa or "default"), dep.namespace or ""))
    return found


# The bindings the API server creates at start (label
# kubernetes.io/bootstrapping=rbac-defaults): kubernetes
# plugin/pkg/auth/authorizer/rbac/bootstrappolicy policy.go (ClusterRoleBindings, each
# `NewClusterBinding(name)`: roleRef ClusterRole <name>), namespace_policy.go (kube-system
# RoleBindings, `NewRoleBinding(name, ...)`: roleRef Role <name>, but for
# system::extension-apiserver-authentication-reader, renamed from the binding of Role
# extension-apiserver-authentication-reader) and controller_policy.go's addControllerRole
# (`system:controller:<name>` binds ServiceAccount kube-system/<name> to ClusterRole
# `system:controller:<name>`; namespace_policy.go binds bootstrap-signer, cloud-provider and
# token-cleaner the same way to Roles of that name in kube-system and kube-public).
# Per (binding kind, name): the role it refers to and its subjects. Broad groups
# (system:authenticated, system:unauthenticated, system:serviceaccounts) are in defaults
# only with roles that grant nothing risky, so they are never exempted here.
_KCM = ("User", "system:kube-controller-manager", "")
_SCHEDULER = ("User", "system:kube-scheduler", "")
_CRB, _RB = "ClusterRoleBinding", "RoleBinding"
DEFAULT_BINDINGS: dict[tuple[str, str], tuple[tuple[str, str], frozenset[tuple[str, str, str]]]] = {
    (_CRB, "cluster-admin"): (
        ("ClusterRole", "cluster-admin"),
        frozenset({("Group", "system:masters", "")}),
    ),
    (_CRB, "system:monitoring"): (
        ("ClusterRole", "system:monitoring"),
        frozenset({("Group", "system:monitoring", "")}),
    ),
    (_CRB, "system:node-proxier"): (
        ("ClusterRole", "system:node-proxier"),
        frozenset({("User", "system:kube-proxy", "")}),
    ),
    (_CRB, "system:kube-controller-manager"): (
        ("ClusterRole", "system:kube-controller-manager"),
        frozenset({_KCM}),
    ),
    (_CRB, "system:kube-dns"): (
        ("ClusterRole", "system:kube-dns"),
        frozenset({("ServiceAccount", "kube-dns", "kube-system")}),
    ),
    (_CRB, "system:kube-scheduler"): (
        ("ClusterRole", "system:kube-scheduler"),
        frozenset({_SCHEDULER}),
    ),
    (_CRB, "system:volume-scheduler"): (
        ("ClusterRole", "system:volume-scheduler"),
        frozenset({_SCHEDULER}),
    ),
    (_RB, "system::extension-apiserver-authentication-reader"): (
        ("Role", "extension-apiserver-authentication-reader"),
        frozenset({_KCM, _SCHEDULER}),
    ),
    (_RB, "system::leader-locking-kube-controller-manager"): (
        ("Role", "system::leader-locking-kube-controller-manager"),
        frozenset({_KCM, ("ServiceAccount", "kube-controller-manager", "kube-system")}),
    ),
    (_RB, "system::leader-locking-kube-scheduler"): (
        ("Role", "system::leader-locking-kube-scheduler"),
        frozenset({_SCHEDULER, ("ServiceAccount", "kube-scheduler", "kube-system")}),
    ),
}
CONTROLLER_BINDING = "system:controller:"


def _role_ref(binding: Resource) -> tuple[str, str] | None:
    ref = binding.body.get("roleRef")
    if not isinstance(ref, dict):
        return None
    return str(ref.get("kind", "")), str(ref.get("name", ""))


def is_default_grant(subject: Subject, binding: Resource) -> bool:
    """Whether this binding is one the Kubernetes bootstrap policy itself creates, by kind,
    name and role it refers to, and `subject` one it binds there. The label alone proves
    nothing (whoever can create a binding can set it), nor does a default name bound to
    another role (`system:kube-dns` -> cluster-admin)."""
    if labels_of(binding.body).get(BOOTSTRAP_LABEL[0]) != BOOTSTRAP_LABEL[1]:
        return False
    if binding.kind == _RB and binding.namespace not in ("kube-system", "kube-public"):
        return False
    ref = _role_ref(binding)
    if binding.name.startswith(CONTROLLER_BINDING):
        role_kind = "ClusterRole" if binding.kind == _CRB else "Role"
        wanted = binding.name[len(CONTROLLER_BINDING) :]
        return ref == (role_kind, binding.name) and subject == Subject(
            "ServiceAccount", wanted, "kube-system"
        )
    if binding.kind == _RB and binding.namespace != "kube-system":
        return False
    default = DEFAULT_BINDINGS.get((binding.kind, binding.name))
    if default is None or ref != default[0]:
        return False
    return (subject.kind, subject.name, subject.namespace) in default[1]


def is_exempt(subject: Subject, binding: Resource, controllers: set[Subject]) -> bool:
    """Subjects that are expected to hold these rights: system:masters, the controllers
    (evidence the caller found, and the upstream components' own ServiceAccounts), and
    the subjects of the Kubernetes bootstrap policy's own bindings."""
    if subject.kind == "Group" and subject.name == "system:masters":
        return True
    if subject in controllers:
        return True
    if subject.kind == "ServiceAccount" and (
        (subject.namespace, subject.name) in KNOWN_CONTROLLER_ACCOUNTS
    ):
        return True
    return is_default_grant(subject, binding)


def access(grant: Grant, right: Right, targets: Iterable[str]) -> Access | None:
    """What `grant` allows of `right` in the `targets` namespaces (None when nothing)."""
    wanted = set(targets)
    scope = sorted(wanted) if grant.namespace is None else [grant.namespace]
    scope = [ns for ns in scope if ns in wanted]
    if not scope:
        return None
    verbs: set[str] = set()
    named: set[str] = set()
    unrestricted = wildcard = False
    for rule in grant.rules:
        allowed: set[str] = set()
        for plural in right.resources:
            allowed |= rule_allows(rule, right.verbs, right.group, plural)
        if not allowed:
            continue
        verbs |= allowed
        wildcard = wildcard or is_wildcard(rule)
        names = {str(n) for n in items_of(rule.get("resourceNames"))}
        unrestricted = unrestricted or not names
        named |= names
    if not verbs:
        return None
    return Access(
        grant=grant,
        right=right,
        namespaces=tuple(scope),
        verbs=tuple(sorted(verbs)),
        resource_names=() if unrestricted else tuple(sorted(named)),
        wildcard=wildcard,
        subjects=grant.subjects,
    )


def exposures(
    all_grants: Iterable[Grant],
    right: Right,
    targets: Iterable[str],
    controllers: set[Subject],
) -> Iterator[Access]:
    """Each grant that gives `right` in `targets` to a subject that is not exempt, with
    only those subjects."""
    wanted = tuple(targets)
    for grant in all_grants:
        found = access(grant, right, wanted)
        if found is None:
            continue
        open_to = tuple(s for s in grant.subjects if not is_exempt(s, grant.binding, controllers))
        if open_to:
            yield Access(
                found.grant,
                found.right,
                found.namespaces,
                found.verbs,
                found.resource_names,
                found.wildcard,
                open_to,
            )
