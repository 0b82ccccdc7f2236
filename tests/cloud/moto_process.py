"""Run `MotoServer` as its own process (for the benchmark: the reading process then holds
only capsa's memory): prints the endpoint, serves until SIGTERM."""

from __future__ import annotations

import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from motoserver import MotoServer


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = MotoServer(Path(tmp))
        print(server.endpoint, flush=True)
        signal.sigwait([signal.SIGTERM, signal.SIGINT])
        server.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    main()
