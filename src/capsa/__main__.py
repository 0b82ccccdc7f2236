"""Allow `python -m capsa`."""

from capsa.cli.main import run

run()
