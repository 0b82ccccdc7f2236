"""Command-line interface: parse arguments, call one service, hand the result to a formatter."""
