"""`Spill`: records between the scan's passes, held as they are, kept compressed in
memory up to a bound, or written to the scan's private directory."""

from __future__ import annotations

import os

import pytest

from capsa.scan import spill as spill_module
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


def _stored(spill: Spill) -> list[str]:
    return sorted(os.listdir(spill.root))


def test_a_record_beyond_the_bound_is_written_until_a_release_empties_a_map(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spill_module, "CHUNK_BYTES", 4096)
    noise = [os.urandom(3000) for _ in range(3)]  # incompressible: ~3,000 bytes each
    with Spill(memory_bytes=4096) as spill:
        spill.private = True
        spill.put_bytes("a", noise[0])
        spill.put_bytes("b", noise[1])
        assert _stored(spill) == ["b"], "one map of 4,096 bytes holds one of them"
        spill.release("a")
        assert not spill.has("a") and spill.get_bytes("a") is None
        spill.put_bytes("c", noise[2])
        assert _stored(spill) == ["b"], "the emptied map took it from its start"
        assert spill.get_bytes("c") == noise[2] and spill.get_bytes("b") == noise[1]


def test_a_map_whose_records_are_all_released_is_unmapped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spill_module, "CHUNK_BYTES", 4096)
    noise = [os.urandom(3000) for _ in range(3)]
    with Spill(memory_bytes=8192) as spill:
        spill.private = True
        spill.put_bytes("a", noise[0])
        spill.put_bytes("b", noise[1])  # a second map
        assert spill._packed.mapped == 8192 and _stored(spill) == []
        spill.release("a")
        assert spill._packed.mapped == 4096
        spill.put_bytes("c", noise[2])  # the room the first map held is free again
        assert _stored(spill) == [] and spill.get_bytes("c") == noise[2]
        spill.release("b")
        assert spill._packed.mapped == 4096, "the map being filled stays"


def test_storing_a_key_again_replaces_its_record_and_its_size() -> None:
    with Spill() as spill:
        spill.private = True
        spill.put("file-0", _resources("a", 200))
        spill.put("file-0", _resources("b", 1))
        assert spill.get("file-0") == _resources("b", 1)
        kept = spill._packed.get("file-0")
        assert kept is not None and sum(spill._packed._live) == len(kept)


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


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_worker_writing_to_the_kept_records_never_changes_them_here() -> None:
    """A worker's bookkeeping may start a map again from its start and store there: the
    maps are copied on write, so what this process (and every other worker) reads
    stays as it was."""
    with Spill() as spill:
        spill.private = True
        spill.put_bytes("kept", b"the record this process still reads")
        child = os.fork()
        if child == 0:  # the worker: overwrite the map from its start, then leave
            try:
                spill.release("kept")
                spill.put_bytes("other", b"X" * 64)
                kept_map = spill._packed._maps[0]
                if kept_map is not None:
                    kept_map[0:8] = b"XXXXXXXX"
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        assert spill.get_bytes("kept") == b"the record this process still reads"
