"""IAM matching as AWS evaluates it (wildcards, case, Deny, NotAction, conditions) and
the action table behind access levels and wildcard expansion (held to policy_sentry's
answers in test_iam_actions.py)."""

from __future__ import annotations

import pytest

from capsa.cloud.iam import (
    _pattern,
    access_level,
    action_matches,
    allows_action,
    canonical,
    expand,
    grants,
    resource_matches,
    unscoped_writes,
)
from capsa.sources.aws.facts import Policy, Statement

SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:aws.cluster.x-k8s.io/abc-0-XyZ"


def policy(*statements: Statement) -> Policy:
    return Policy(arn="arn:aws:iam::111122223333:policy/p", name="p", statements=statements)


def test_action_names_fold_case_resources_do_not() -> None:
    assert action_matches("EC2:run*", "ec2:RunInstances")
    assert not action_matches("ec2:Run?", "ec2:RunInstances")
    assert resource_matches("arn:*:secretsmanager:*:*:secret:aws.cluster.x-k8s.io/*", SECRET)
    assert not resource_matches("arn:*:secretsmanager:*:*:secret:AWS.cluster.x-k8s.io/*", SECRET)
    # IAM has no character classes: brackets are literal
    assert not resource_matches("arn:aws:s3:::[ab]", "arn:aws:s3:::a")


@pytest.mark.parametrize(
    ("pattern", "action"),
    [("EC2:runinstances", "ec2:RunInstances"), ("ec2:RunInstances", "ec2:RunInstances"),
     ("ec2:RunInstance", "ec2:RunInstances"), ("ec2:RunInstances.", "ec2:RunInstances"),
     ("s3:GetObject", "s3:getobjecT"), ("iam:Pass\u212aey", "iam:PassKey")],
)  # fmt: skip
def test_names_without_wildcards_match_as_their_pattern_would(pattern: str, action: str) -> None:
    """Literal names are compared as strings; the answer is the wildcard matcher's."""
    assert action_matches(pattern, action) == (
        _pattern(pattern, True).fullmatch(action) is not None
    )


def test_arns_without_wildcards_match_exactly() -> None:
    assert resource_matches(SECRET, SECRET)
    assert not resource_matches(SECRET.upper(), SECRET)
    assert not resource_matches(SECRET + "x", SECRET)
    assert not resource_matches("arn:aws:s3:::a.b", "arn:aws:s3:::axb")


def test_unconditional_deny_overrides_allow_conditional_deny_does_not() -> None:
    allow = Statement(effect="Allow", actions=("secretsmanager:*",), resources=("*",))
    deny = Statement(effect="Deny", actions=("secretsmanager:GetSecretValue",), resources=(SECRET,))
    assert grants([policy(allow)], "secretsmanager:GetSecretValue", SECRET)
    assert grants([policy(allow, deny)], "secretsmanager:GetSecretValue", SECRET) == []
    maybe = deny.model_copy(update={"conditional": True})
    assert grants([policy(allow, maybe)], "secretsmanager:GetSecretValue", SECRET)


def test_not_action_and_not_resource() -> None:
    everything_but_iam = Statement(effect="Allow", not_actions=("iam:*",), resources=("*",))
    assert grants([policy(everything_but_iam)], "ec2:RunInstances", "*")
    assert not grants([policy(everything_but_iam)], "iam:PassRole", "*")
    not_secrets = Statement(
        effect="Allow", actions=("*",), not_resources=("arn:*:secretsmanager:*",)
    )
    assert not grants([policy(not_secrets)], "secretsmanager:GetSecretValue", SECRET)
    assert allows_action([policy(everything_but_iam)], "ec2:RunInstances")
    assert not allows_action([policy(everything_but_iam)], "iam:PassRole")


def test_access_levels_come_from_the_database() -> None:
    assert access_level("ec2:RunInstances") == "Write"
    assert access_level("EC2:runinstances") == "Write"
    assert access_level("iam:PassRole") == "Permissions management"
    assert access_level("ec2:DescribeInstances") == "List"
    assert access_level("nosuch:Thing") is None
    assert canonical("secretsmanager:getsecretvalue") == "secretsmanager:GetSecretValue"


def test_wildcard_expansion_and_unknown_patterns() -> None:
    assert "ec2:RunInstances" in expand("ec2:Run*")
    assert expand("nosuch:*") == ()


def test_unscoped_writes_skip_reads_conditions_and_scoped_resources() -> None:
    found = dict(
        unscoped_writes(
            [
                policy(
                    Statement(
                        effect="Allow",
                        actions=("ec2:Describe*", "ec2:TerminateInstances"),
                        resources=("*",),
                    ),
                    Statement(
                        effect="Allow",
                        actions=("ec2:RunInstances",),
                        resources=("*",),
                        conditional=True,
                    ),
                    Statement(
                        effect="Allow",
                        actions=("secretsmanager:DeleteSecret",),
                        resources=(SECRET,),
                    ),
                    Statement(effect="Allow", actions=("iam:PassRole",), resources=("*",)),
                )
            ],
            ("ec2", "secretsmanager"),
        )
    )
    assert set(found) == {"ec2:TerminateInstances"}


def test_unscoped_writes_fold_the_service_prefix_and_report_what_they_cannot_resolve() -> None:
    """IAM matches `EC2:Run*` as `ec2:Run*`; a pattern the table cannot resolve (a `?`
    wildcard, an action it does not know) is reported, never read as granting nothing."""
    from capsa.cloud.iam import unresolved_patterns

    upper = policy(Statement(effect="Allow", actions=("EC2:Run*",), resources=("*",)))
    assert "ec2:RunInstances" in {a for a, _ in unscoped_writes([upper], ("ec2",))}
    assert list(unresolved_patterns([upper], ("ec2",))) == []
    odd = policy(
        Statement(
            effect="Allow",
            actions=("ec2:RunInstance?", "EC2:LaunchEverything", "s3:Nothing", "ec2:NoSuch*"),
            resources=("*",),
        ),
        Statement(effect="Allow", actions=("ec2:Other",), resources=("*",), conditional=True),
        Statement(effect="Allow", actions=("ec2:Scoped",), resources=(SECRET,)),
    )
    assert list(unscoped_writes([odd], ("ec2",))) == []
    assert [p for p, _ in unresolved_patterns([odd], ("ec2",))] == [
        "ec2:RunInstance?",
        "EC2:LaunchEverything",
        "ec2:NoSuch*",
    ]


def test_trust_under_a_condition_is_kept_apart() -> None:
    from capsa.sources.aws import policydoc

    document = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}},
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Condition": {"StringEquals": {"sts:ExternalId": "x"}},
            },
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::777788889999:root"}},
        ]
    }
    assert policydoc.trusted(document) == (
        ("ec2.amazonaws.com",),
        ("arn:aws:iam::111122223333:root",),
    )
    assert policydoc.trusted_under_condition(document) == (
        "arn:aws:iam::444455556666:root",
        "*",
    )
