"""The base every data-file and report schema shares.

Frozen (values pass between stages unchanged), strict about unknown keys (a typo in a
YAML file is an error, not a silently ignored field) and camelCase on the wire, like
Kubernetes, while Python code uses snake_case names.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class FrozenModel(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )
