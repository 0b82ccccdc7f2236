"""Skeletons (`capsa.scan.skeleton`): what planning keeps of each resource, with one
string object per value across every file's block, and packed without loss."""

from __future__ import annotations

import json
import pickle
from dataclasses import fields, replace
from datetime import date
from typing import Any

import pytest

from capsa.scan.sharing import Sharing
from capsa.scan.skeleton import interned, pack, skeleton, split, unpack
from capsa.scan.stubs import Bodies, stubs
from capsa.sources.resource import Origin, Resource

TEXT = json.dumps(
    {
        "apiVersion": "cluster.x-k8s.io/v1beta1",
        "kind": "Cluster",
        "metadata": {"name": "demo", "namespace": "default", "labels": {"env": "prod"}},
        "spec": {
            "replicas": 3,
            "paused": True,
            "ratio": 1.0,
            "hosts": ["a", 1],
            "files": [{"content": "a bootstrap script"}],
        },
    }
)


def _read(path: str, line: int = 4, **extra: Any) -> Resource:
    """A resource parsed on its own, as each file is: no string shared with another."""
    body = json.loads(TEXT)
    return Resource(
        str(body["apiVersion"]),
        str(body["kind"]),
        str(body["metadata"]["namespace"]),
        str(body["metadata"]["name"]),
        body,
        Origin(path, line),
        frozenset({("spec", "replicas")}),
        **extra,
    )


def _labels(resource: Resource) -> tuple[str, str]:
    return next(iter(resource.body["metadata"]["labels"].items()))


def test_skeletons_of_separate_files_share_every_equal_string() -> None:
    first, second = _read("a.yaml"), _read("b.yaml")
    assert _labels(first)[1] is not _labels(second)[1]  # parsed apart: the case to fix
    one, two = skeleton(first), skeleton(second)
    assert one.kind is two.kind and one.name is two.name and one.namespace is two.namespace
    assert _labels(one)[0] is _labels(two)[0] and _labels(one)[1] is _labels(two)[1]
    # trees are copies, never shared: a dict or list could change under another reader
    assert one.body is not two.body and one.body["spec"]["hosts"] is not two.body["spec"]["hosts"]


def test_a_skeleton_drops_the_bulk_and_keeps_what_resolution_reads() -> None:
    kept = skeleton(_read("a.yaml"))
    assert kept.body["spec"] == {"replicas": 3, "paused": True, "ratio": 1.0, "hosts": ["a", 1]}
    assert kept.body["metadata"] == {
        "name": "demo",
        "namespace": "default",
        "labels": {"env": "prod"},
    }
    assert kept.unknown_paths == {("spec", "replicas")} and kept.origin == Origin("a.yaml", 4)


def test_packed_blocks_unpack_equal_with_their_strings_shared_across_blocks() -> None:
    skeletons = [skeleton(_read("a.yaml", line, fragment_of="k.yaml")) for line in (1, 9)]
    carried = skeleton(_read("b.yaml", 3))
    carried = replace(carried, origin=Origin("b.yaml", 3, "ConfigMap/default/x"))
    one, two = pack(skeletons), pack([carried])
    assert isinstance(one, tuple) and isinstance(two, tuple)
    sharing = Sharing()
    back, other = unpack(one, sharing), unpack(two, sharing)
    assert back == skeletons and other == [carried]
    assert back[0].unknown_paths is other[0].unknown_paths  # equal, read apart
    assert [type(v) for v in back[0].body["spec"].values()] == [int, bool, float, list]
    assert list(back[0].body["spec"]) == ["replicas", "paused", "ratio", "hosts"]
    assert back[0].origin.path is back[1].origin.path
    assert back[0].kind is other[0].kind and _labels(back[0])[1] is _labels(other[0])[1]
    assert other[0].origin.carrier == "ConfigMap/default/x"


def test_a_block_marshal_cannot_write_is_kept_as_it_is() -> None:
    dated = skeleton(_read("a.yaml"))
    dated.body["spec"]["since"] = date(2026, 3, 1)  # a YAML timestamp
    assert unpack(pack([dated]), Sharing()) == [dated]
    assert pack([dated]) == [dated]


def test_skeletons_rebuilt_from_a_cache_entry_share_strings_like_fresh_ones() -> None:
    fresh = skeleton(_read("a.yaml"))
    decoded = replace(_read("a.yaml"), body=json.loads(json.dumps(fresh.body)))
    again = interned(decoded)
    assert again == fresh
    assert again.kind is fresh.kind and _labels(again)[1] is _labels(fresh)[1]


class _Text(str):
    """Text of a type `sys.intern` refuses."""


def test_a_name_of_a_str_subclass_is_kept_as_it_is() -> None:
    odd = replace(_read(_Text("a.yaml")), name=_Text("demo"), kind=_Text("Cluster"))
    kept = skeleton(odd)
    assert kept.name == "demo" and type(kept.name) is _Text
    assert unpack(pack([kept]), Sharing()) == [kept]


def test_equal_origins_of_separate_blocks_are_one_object() -> None:
    """A carrier's objects share its origin, as do the two lists a Cluster is kept in
    (`split`): read back through one `Sharing`, they are one object again."""
    sharing = Sharing()
    first = unpack(pack([skeleton(_read("a.yaml", 7))]), sharing)
    second = unpack(pack([skeleton(_read("a.yaml", 7))]), sharing)
    assert first == second and first[0].origin is second[0].origin


def _every_field(resource: Resource) -> tuple[object, ...]:
    return tuple(getattr(resource, f.name) for f in fields(Resource))


def _blocks(*files: list[Resource]) -> tuple[list[bytes], list[bytes]]:
    heads: list[bytes] = []
    bodies: list[bytes] = []
    for skeletons in files:
        packed = pack(skeletons)
        assert isinstance(packed, tuple)
        heads.append(packed[0])
        bodies.append(packed[1])
    return heads, bodies


def test_stubs_equal_their_skeletons_and_read_a_body_only_when_asked() -> None:
    fresh = [skeleton(_read("a.yaml", 1)), skeleton(_read("a.yaml", 9, fragment_of="k.yaml"))]
    heads, bodies = _blocks(fresh)
    asked: list[int] = []

    def read(block: int) -> bytes:
        asked.append(block)
        return bodies[block]

    made = stubs(heads[0], Sharing(), Bodies(read), 0)
    assert [s.name for s in made] == ["demo", "demo"] and made[1].fragment_of == "k.yaml"
    assert made[0].origin == Origin("a.yaml", 1) and made[0].unknown_paths == fresh[0].unknown_paths
    assert asked == [], "names, kinds and origins come from the heads alone"
    assert made[0].body == fresh[0].body and made[1].body == fresh[1].body
    assert [_every_field(s) for s in made] == [_every_field(s) for s in fresh]
    assert asked == [0], "the block stays decoded while it is among the last read"


def test_bodies_keep_the_blocks_read_last_and_read_others_again() -> None:
    heads, bodies = _blocks([skeleton(_read("a.yaml"))], [skeleton(_read("b.yaml"))])
    asked: list[int] = []

    def read(block: int) -> bytes:
        asked.append(block)
        return bodies[block]

    reader = Bodies(read, keep=1)
    first, second = (stubs(heads[n], Sharing(), reader, n)[0] for n in (0, 1))
    for stub in (first, first, second, first):
        assert stub.body["metadata"]["name"] == "demo"
    assert asked == [0, 1, 0]


def test_a_stub_is_a_plain_skeleton_once_pickled_or_replaced() -> None:
    fresh = skeleton(_read("a.yaml"))
    heads, bodies = _blocks([fresh])
    (stub,) = stubs(heads[0], Sharing(), Bodies(bodies.__getitem__), 0)
    again = pickle.loads(pickle.dumps(stub))
    assert type(again) is Resource and again == fresh
    marked = replace(stub, fragment_of="k.yaml")
    assert marked.body == fresh.body and marked.fragment_of == "k.yaml"
    assert stub.unknown_reasons == {} and stub.field_origins == {}
    with pytest.raises(AttributeError):
        stub.no_such_field  # noqa: B018 - the lookup is what is tested


def _stubs(*paths: str) -> list[Resource]:
    """Stubs of one skeleton per path, each from a block of its own (as files are)."""
    heads: list[bytes] = []
    blocks: list[bytes] = []
    for path in paths:
        packed = pack([skeleton(_read(path))])
        assert isinstance(packed, tuple)
        heads.append(packed[0])
        blocks.append(packed[1])
    bodies, sharing = Bodies(blocks.__getitem__), Sharing()
    return [stubs(head, sharing, bodies, number)[0] for number, head in enumerate(heads)]


def test_stubs_work_out_group_and_identity_as_a_resource_does_and_share_them() -> None:
    one, two = _stubs("a.yaml", "b.yaml")
    plain = skeleton(_read("a.yaml"))
    assert one.group == plain.group == "cluster.x-k8s.io"
    assert one.identity == plain.identity == "cluster.x-k8s.io/Cluster/default/demo"
    assert two.identity is one.identity and two.group is one.group  # copies share them
    assert vars(one) == {}  # kept in slots, not in a dict per stub
    assert not hasattr(one, "kinds")  # nothing else is worked out
    assert one.body == plain.body and one.unknown_reasons == {}


def test_a_stub_rebuilt_or_pickled_keeps_what_it_stands_for() -> None:
    (stub,) = _stubs("a.yaml")
    marked = replace(stub, fragment_of="kustomization.yaml")  # as patch files are marked
    assert marked.fragment_of == "kustomization.yaml" and marked.identity == stub.identity
    assert marked.body == stub.body
    back = pickle.loads(pickle.dumps(stub))
    assert type(back) is Resource and back == skeleton(_read("a.yaml"))
    assert back.identity == stub.identity


def test_a_marked_stub_stays_a_stub_with_its_body_unread() -> None:
    """Marking a skeleton as a fragment or as a generator's payload (`marked`) changes
    its head only: the body stays packed until resolution reads it."""
    fresh = skeleton(_read("a.yaml"))
    heads, bodies = _blocks([fresh])
    asked: list[int] = []

    def read(block: int) -> bytes:
        asked.append(block)
        return bodies[block]

    (stub,) = stubs(heads[0], Sharing(), Bodies(read), 0)
    assert stub.identity  # worked out before the mark: worked out again after it
    payload = Origin("a.yaml", 4, carrier="ConfigMap/addons", generated=("ConfigMap", "addons"))
    fragment = stub.marked(fragment_of="k.yaml")
    moved = stub.marked(origin=payload)
    assert type(fragment) is type(stub) and type(moved) is type(stub)
    assert asked == [], "marking read no body"
    assert fragment.fragment_of == "k.yaml" and stub.fragment_of is None
    assert moved.origin == payload and stub.origin == Origin("a.yaml", 4)
    assert _every_field(fragment) == _every_field(replace(fresh, fragment_of="k.yaml"))
    assert _every_field(moved) == _every_field(replace(fresh, origin=payload))
    assert moved.identity == fresh.identity
    plain = stub.marked(body={"kind": "Cluster"})  # a change a stub has no slot for
    assert type(plain) is Resource and plain.body == {"kind": "Cluster"}
    assert fresh.marked(fragment_of="k.yaml") == replace(fresh, fragment_of="k.yaml")


def test_the_rbac_analysis_gets_what_the_management_cluster_runs_cut_to_what_it_reads() -> None:
    cluster = skeleton(_read("a.yaml"))
    role_body = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "reader"},
        "rules": [{"verbs": ["get"], "resources": ["secrets"], "apiGroups": [""]}],
    }
    role = Resource(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        None,
        "reader",
        role_body,
        Origin("r.yaml", 1),
    )
    carried = replace(role, origin=Origin("crs.yaml", 1, "ConfigMap/default/addons:role.yaml"))
    topology, rbac = split([cluster, role, carried])
    assert [r.kind for r in topology] == ["Cluster", "ClusterRole", "ClusterRole"]
    assert "rules" not in topology[1].body and topology[0].body == cluster.body
    assert rbac == [
        replace(cluster, body={k: cluster.body[k] for k in ("metadata", "apiVersion", "kind")}),
        role,
    ]
    assert "spec" not in rbac[0].body and rbac[1].body["rules"] == role_body["rules"]


def test_a_carried_object_keeps_no_more_than_split_gives_the_topology() -> None:
    role_body = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "reader", "labels": {"a": "b"}},
        "rules": [{"verbs": ["get"], "resources": ["secrets"], "apiGroups": [""]}],
    }
    deployment_body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "cni", "namespace": "kube-system"},
        "spec": {"template": {"spec": {"containers": [{"image": "cni:1"}]}}},
    }
    carrier = "ConfigMap/default/addons:cni.yaml"
    for body in (role_body, deployment_body):
        meta = body["metadata"]
        own = Resource(
            body["apiVersion"], body["kind"], meta.get("namespace"), meta["name"], body,
            Origin("r.yaml", 1),
        )  # fmt: skip
        carried = replace(own, origin=Origin("crs.yaml", 1, carrier))
        kept, read = skeleton(carried), skeleton(own)
        assert "rules" not in kept.body and "spec" not in kept.body
        assert "rules" in read.body or "spec" in read.body  # the management cluster's own
        # what the topology gets of it is what it got when the whole was copied
        topology, rbac = split([kept])
        assert rbac == [] and topology == split([replace(carried, body=read.body)])[0]
