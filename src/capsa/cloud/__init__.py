"""Cloud checks: the assessment's threats judged on an AWS account's facts.

Between `live/` and `scan/` in the pipeline: it reads the facts `capsa.sources.aws`
produced (from the account or from clusterawsadm/CloudFormation files) and yields the
same findings, passes and unknowns as manifest checks, so the scan, the attack graph and
the assessment take cloud evidence through the paths they already have.
"""
