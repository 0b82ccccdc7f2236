"""The validation set's data is sound: each model loads, each published threat names ids
that exist in its model, cites its source, and each system keeps its published size."""

from __future__ import annotations

import pytest
from validation_set import SYSTEMS, model, model_ids, published

# scored threats per system, as the research counted them (duplicates merged)
SIZES = {
    "external-secrets": 14,
    "emissary-ingress": 27,
    "openfga": 21,
    "spiffe-spire": 40,
    "admission-control": 18,
    "threat-dragon-demo": 13,
}


@pytest.mark.parametrize("system", SYSTEMS)
def test_published_threats_name_ids_of_the_model(system: str) -> None:
    ids = model_ids(model(system))
    unknown = {
        (t.id, ref)
        for t in published(system).threats
        for ref in (*t.affected, *t.origin)
        if ref not in ids
    }
    assert unknown == set()


@pytest.mark.parametrize("system", SYSTEMS)
def test_published_list_has_its_size_and_unique_ids(system: str) -> None:
    data = published(system)
    ids = [t.id for t in data.threats]
    assert len(ids) == len(set(ids))
    assert len(data.scored) == SIZES[system]
