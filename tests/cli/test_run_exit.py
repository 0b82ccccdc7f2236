"""The `capsa` entry point leaves what it built out of the collector's last pass."""

from __future__ import annotations

import gc

import pytest

from capsa.cli.main import run


def test_the_command_freezes_what_is_left_when_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["capsa", "--version"])
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as ended:
            run()
        assert ended.value.code in (0, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this test process goes on
