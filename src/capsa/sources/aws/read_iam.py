"""IAM from one paginated GetAccountAuthorizationDetails: roles (trust, attached and
inline policies, instance profiles), users (with their groups' policies folded in),
managed policies (default version) and instance profiles."""

from __future__ import annotations

from typing import Any

from capsa.sources.aws import policydoc
from capsa.sources.aws.facts import InstanceProfile, Policy, Principal
from capsa.sources.aws.reader import Reader

_PAGE = 100


def _name_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _inline(owner: str, items: Any) -> tuple[Policy, ...]:
    return tuple(
        Policy(
            arn=f"{owner}#{item.get('PolicyName', '')}",
            name=str(item.get("PolicyName", "")),
            statements=policydoc.statements(item.get("PolicyDocument")),
            inline=True,
        )
        for item in items or ()
        if isinstance(item, dict)
    )


def read_iam(reader: Reader, out: dict[str, Any]) -> None:
    roles: list[Principal] = []
    users: list[Principal] = []
    groups: dict[str, tuple[tuple[str, ...], tuple[Policy, ...]]] = {}
    policies: list[Policy] = []
    profiles: dict[str, InstanceProfile] = {}
    user_details: list[dict[str, Any]] = []
    for page in reader.pages(
        "roles",
        "iam",
        "GetAccountAuthorizationDetails",
        None,
        Filter=["Role", "User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"],
        PaginationConfig={"PageSize": _PAGE},
    ):
        for role in page.get("RoleDetailList", ()):
            services, accounts = policydoc.trusted(role.get("AssumeRolePolicyDocument"))
            arn = role["Arn"]
            for profile in role.get("InstanceProfileList", ()):
                profiles[profile["Arn"]] = InstanceProfile(
                    arn=profile["Arn"],
                    name=profile.get("InstanceProfileName", _name_of(profile["Arn"])),
                    roles=tuple(r["Arn"] for r in profile.get("Roles", ()) if "Arn" in r),
                )
            roles.append(
                Principal(
                    arn=arn,
                    name=role.get("RoleName", _name_of(arn)),
                    trusted_services=services,
                    trusted_accounts=accounts,
                    trusted_under_condition=policydoc.trusted_under_condition(
                        role.get("AssumeRolePolicyDocument")
                    ),
                    trust_condition_keys=policydoc.trust_condition_keys(
                        role.get("AssumeRolePolicyDocument")
                    ),
                    managed_policies=tuple(
                        p["PolicyArn"] for p in role.get("AttachedManagedPolicies", ())
                    ),
                    inline_policies=_inline(arn, role.get("RolePolicyList")),
                    instance_profiles=tuple(
                        p["Arn"] for p in role.get("InstanceProfileList", ()) if "Arn" in p
                    ),
                )
            )
        for group in page.get("GroupDetailList", ()):
            groups[group.get("GroupName", "")] = (
                tuple(p["PolicyArn"] for p in group.get("AttachedManagedPolicies", ())),
                _inline(group.get("Arn", ""), group.get("GroupPolicyList")),
            )
        user_details.extend(page.get("UserDetailList", ()))
        for policy in page.get("Policies", ()):
            # The policy's name is taken from its ARN: moto 5.2.5 omits PolicyName here.
            arn = policy["Arn"]
            default = next(
                (v for v in policy.get("PolicyVersionList", ()) if v.get("IsDefaultVersion")),
                None,
            )
            policies.append(
                Policy(
                    arn=arn,
                    name=_name_of(arn),
                    statements=policydoc.statements(default.get("Document") if default else None),
                )
            )
    for user in user_details:
        arn = user["Arn"]
        managed = [p["PolicyArn"] for p in user.get("AttachedManagedPolicies", ())]
        inline = list(_inline(arn, user.get("UserPolicyList")))
        for group_name in user.get("GroupList", ()):
            group_managed, group_inline = groups.get(group_name, ((), ()))
            managed.extend(group_managed)
            inline.extend(group_inline)
        users.append(
            Principal(
                arn=arn,
                name=user.get("UserName", _name_of(arn)),
                kind="user",
                managed_policies=tuple(dict.fromkeys(managed)),
                inline_policies=tuple(inline),
            )
        )
    out["roles"], out["users"], out["policies"] = tuple(roles), tuple(users), tuple(policies)
    out["instance_profiles"] = tuple(profiles.values())
