"""The keys of clusterctl's own configuration files, known in one place.

capsa meets these files twice: as a `--vars-file` (their variables are read) and inside
a scanned directory (they are not Kubernetes objects and are skipped quietly). Two kinds
exist, and both carry settings next to the variables:

- clusterctl's configuration (`clusterctl.yaml`): the settings below; every other
  top-level key is a variable;
- the e2e test configuration of Cluster API's test framework: the variables sit under
  `variables`, next to the settings below.

Keys carried over from kubernetes-sigs/cluster-api@ae7ff047db499ac3858ade268ba38db8c9f128bb:
cmd/clusterctl/client/config/providers_client.go:131, imagemeta_client.go:32,
cert_manager_client.go:30, cmd/clusterctl/client/repository/overrides.go:36 and
test/framework/clusterctl/e2e_config.go:78-98.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CLUSTERCTL_SETTINGS = frozenset({"providers", "images", "cert-manager", "overridesFolder"})
E2E_SETTINGS = frozenset({"managementClusterName", "images", "providers", "intervals"})
SETTINGS = CLUSTERCTL_SETTINGS | E2E_SETTINGS
"""Keys that are settings, never template variables."""
VARIABLES = "variables"
"""The e2e configuration's section of variables."""

# A kustomization has an `images` field too, so that key alone does not tell the file.
_TELLING = (SETTINGS | {VARIABLES}) - {"images"}


def is_config(doc: Mapping[Any, Any]) -> bool:
    """True for a clusterctl or e2e configuration document: no apiVersion or kind, and a
    key only those files use."""
    if "kind" in doc or "apiVersion" in doc:
        return False
    return any(key in doc for key in _TELLING)


def variables_section(doc: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """Where a configuration keeps its variables: the `variables` mapping of an e2e
    configuration (one with settings beside it), else the document itself, whose
    `SETTINGS` keys the reader skips."""
    section = doc.get(VARIABLES)
    if isinstance(section, Mapping) and any(key in doc for key in SETTINGS):
        return section
    return doc
