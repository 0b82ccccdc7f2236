"""`capsa aws policy`, and `aws_options`, which turns the `--aws` options scan, paths and
assess share (declared in `capsa.cli.options`) into an account to read.

Only typer is imported here; boto3 loads when an account is read.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from capsa.cli.common import EXIT_UNUSABLE

if TYPE_CHECKING:
    from capsa.sources.aws.collect import AwsOptions

app = typer.Typer(help="What capsa needs to read an AWS account.", no_args_is_help=True)


def aws_options(aws: bool, profile: str | None, regions: list[str]) -> AwsOptions | None:
    """The account read the options ask for; exit 2 when --aws-* is given without --aws."""
    if not aws:
        if profile or regions:
            sys.stderr.write("error: --aws-profile and --aws-region only apply with --aws\n")
            raise typer.Exit(EXIT_UNUSABLE)
        return None
    from capsa.sources.aws.collect import AwsOptions

    return AwsOptions(profile=profile, regions=tuple(dict.fromkeys(regions)))


@app.command("policy")
def policy(
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to this file."
    ),
) -> None:
    """Print the minimal read-only IAM policy `--aws` needs (the calls capsa makes)."""
    from capsa.cli.common import write_output
    from capsa.sources.aws.guard import policy_text

    write_output(policy_text(), output)
