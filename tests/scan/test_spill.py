"""`Spill`: records between the scan's passes, held as they are, kept compressed in
memory up to a bound, or written to the scan's private directory."""

from __future__ import annotations

import os

from capsa.scan.spill import Spill
from capsa.sources.resource import Origin, Resource
from capsa.yamlio import load_one_with_lines


def _resources(name: str, size: int = 10) -> list[Resource]:
    text = f"kind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n" + "".join(
        f"  key{i}: value-{i}-{name}\n" for i in range(size)
    )
    body = load_one_with_lines(text)
    return [Resource("v1", "ConfigMap", "default", name, body, Origin(f"{name}.yaml", 1))]


def test_a_private_spill_keeps_compressed_records_in_memory_and_returns_copies() -> None:
    some = _resources("a")
    with Spill() as spill:
        spill.private = True
        spill.put("file-0", some)
        assert os.listdir(spill.root) == []
        assert spill.has("file-0")
        again = spill.get("file-0")
        assert again == some and again is not some
        assert again[0].body.value_positions == some[0].body.value_positions


def test_records_beyond_the_memory_bound_are_written_and_read_back() -> None:
    with Spill(memory_bytes=0) as spill:
        spill.private = True
        spill.put("file-0", _resources("a"))
        assert os.listdir(spill.root) == ["file-0"]
        assert spill.get("file-0") == _resources("a")


def test_a_released_record_frees_its_share_of_the_bound() -> None:
    first, second = _resources("a", 200), _resources("b", 200)
    with Spill() as probe:
        probe.private = True
        probe.put("file-0", first)
        one_record = probe._packed_bytes
    with Spill(memory_bytes=one_record + 10) as spill:
        spill.private = True
        spill.put("file-0", first)
        spill.put("file-1", second)
        assert os.listdir(spill.root) == ["file-1"], "no room left for a second record"
        spill.release("file-0")
        assert not spill.has("file-0") and spill.get("file-0") == []
        spill.put("file-2", second)
        assert sorted(os.listdir(spill.root)) == ["file-1"], "the freed room took it"
        assert spill.get("file-2") == second


def test_storing_a_key_again_replaces_its_record_and_its_size() -> None:
    with Spill() as spill:
        spill.private = True
        spill.put("file-0", _resources("a", 200))
        spill.put("file-0", _resources("b", 1))
        assert spill.get("file-0") == _resources("b", 1)
        assert spill._packed_bytes == len(spill._packed["file-0"])


def test_a_shared_spill_writes_every_record_for_other_processes() -> None:
    with Spill() as spill:
        spill.put("file-0", _resources("a"))
        assert os.listdir(spill.root) == ["file-0"]
        spill.release("file-0")
        assert spill.get("file-0") == _resources("a"), "a record on disk stays"
        reader = Spill(root=spill.root)
        assert reader.get("file-0") == _resources("a")


def test_closing_removes_the_directory_and_what_memory_kept() -> None:
    spill = Spill()
    spill.private = True
    spill.put("file-0", _resources("a"))
    spill.close()
    assert not os.path.exists(spill.root)
    assert not spill.has("file-0")
