"""capsa: the Cluster API Security Self-Assessment, executable."""

__version__ = "0.1.0"

# The contract every JSON document capsa writes declares in its `schema` key; its `kind`
# says which document it is, and schemas/ holds a JSON Schema per kind. Within a version
# fields may be added, never renamed. Readers of saved documents (baselines, report
# --from, diff) accept every version listed here.
SCHEMA = "capsa/v1"
READABLE_SCHEMAS = ("capsa/v1",)
