"""The typed check context and the CEL binding made from it, in one place."""

from __future__ import annotations

import re
from importlib import resources

from capsa.capi.context import (
    CheckContext,
    HealthCheck,
    IdentityRefFacts,
    NamespaceFacts,
    PayloadEntry,
    VpcFacts,
)
from capsa.capi.payload import CarriedObject

EMPTY = CheckContext(namespace=NamespaceFacts("capi"))


def test_every_field_a_check_reads_is_in_the_binding() -> None:
    folder = resources.files("capsa.checks") / "data"
    read = {
        match.group(1)
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
        for match in re.finditer(r"\bcontext\.(\w+)", entry.read_text("utf-8"))
    }
    assert read and read <= set(EMPTY.binding())


def test_the_binding_is_camel_case_plain_data() -> None:
    context = CheckContext(
        namespace=NamespaceFacts("capi", True, ("count/clusters.cluster.x-k8s.io",), True, True),
        identity_ref=IdentityRefFacts("AWSClusterRoleIdentity", "r", False, True, ("A", "B")),
        vpc=VpcFacts("vpc-1", ("ns/other",), True),
    )
    binding = context.binding()
    assert binding["namespace"] == {
        "name": "capi",
        "hasResourceQuota": True,
        "quotaCounts": ["count/clusters.cluster.x-k8s.io"],
        "declared": True,
        "quotasKept": True,
    }
    assert binding["identityRef"]["chain"] == ["A", "B"]
    assert binding["vpc"] == {"id": "vpc-1", "sharedWith": ["ns/other"], "management": True}
    assert binding["patches"] == {"applied": [], "notEvaluated": []}


def test_a_health_check_binds_only_the_caps_that_are_set() -> None:
    capped = HealthCheck("md-0", "ClusterClass", {"maxUnhealthy": "33%"}).binding()
    assert capped == {"name": "md-0", "source": "ClusterClass", "maxUnhealthy": "33%"}
    assert "unhealthyRange" not in HealthCheck("cp", "Cluster").binding()


def test_a_missing_carrier_binds_an_empty_object_of_the_same_shape() -> None:
    found = PayloadEntry("Secret", "s", True, CarriedObject("Secret", "v1", "x", "ns", ("k",)))
    missing = PayloadEntry("ConfigMap", "cm", False)
    assert set(found.binding()) == set(missing.binding())
    assert missing.binding()["keys"] == [] and missing.binding()["found"] is False
