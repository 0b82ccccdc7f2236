"""The validation set: published threat models of six other systems, each written as a capsa
model (validation/<system>/model.yaml) beside its published threat list (published.yaml).

Reads the lists into typed values; scoring lives with the test that asserts it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field

from capsa.frozen import FrozenModel
from capsa.model.loader import load_model
from capsa.model.types import SystemModel
from capsa.threats.catalogue import Category
from capsa.threats.engine import GeneratedThreat, generate
from capsa.threats.rules import load_rules

ROOT = Path(__file__).parent / "validation"
SYSTEMS = (
    "external-secrets",
    "emissary-ingress",
    "openfga",
    "spiffe-spire",
    "admission-control",
    "threat-dragon-demo",
)
CITATION = r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}:[^:]+:[0-9][0-9,-]*$"


class PublishedThreat(FrozenModel):
    """One published threat: its category, the accepted alternates, and what it affects
    (element, flow, asset or boundary ids of the system's model)."""

    id: str
    title: str
    category: Category
    alternates: tuple[Category, ...] = ()
    mapped: bool = False
    same_as: str | None = None
    affected: tuple[str, ...] = Field(min_length=1)
    origin: tuple[str, ...] = ()
    conditional: bool = False
    kind: Literal["architecture", "logic"] = "architecture"
    status: Literal["open", "mitigated"] = "open"
    scored: bool = True
    group: Literal["core", "extended"] | None = None
    uuid: str | None = None
    source: str = Field(pattern=CITATION)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(c.value for c in (self.category, *self.alternates))


class Negative(FrozenModel):
    """A published "not a threat" cell (mitigated or not applicable), with its reason."""

    matrix: str
    victim: str
    origins: tuple[str, ...]
    colour: Literal["green", "grey"]
    reason: str


class Published(FrozenModel):
    system: str
    sources: dict[str, str]
    threats: tuple[PublishedThreat, ...]
    negatives: tuple[Negative, ...] = ()

    @property
    def scored(self) -> tuple[PublishedThreat, ...]:
        return tuple(t for t in self.threats if t.scored)


@cache
def published(system: str) -> Published:
    text = (ROOT / system / "published.yaml").read_text()
    return Published.model_validate(yaml.safe_load(text))


@cache
def model(system: str) -> SystemModel:
    return load_model(str(ROOT / system / "model.yaml"))


def model_ids(system_model: SystemModel) -> frozenset[str]:
    """Every id a published threat may name: elements, flows, assets and boundaries."""
    return frozenset(
        [
            *(e.id for e in system_model.elements),
            *(f.id for f in system_model.data_flows),
            *(a.id for a in system_model.assets),
            *(b.id for b in system_model.boundaries),
        ]
    )


@dataclass(frozen=True)
class Score:
    """Recall of one system's published threats by the generated ones."""

    system: str
    hits: dict[str, tuple[str, ...]]  # published id → generated threat ids that match it
    generated: tuple[GeneratedThreat, ...]

    @property
    def scored(self) -> tuple[PublishedThreat, ...]:
        return published(self.system).scored

    def recall(self, keep: Callable[[PublishedThreat], bool] = lambda t: True) -> float:
        chosen = [t for t in self.scored if keep(t)]
        return sum(1 for t in chosen if self.hits[t.id]) / len(chosen) if chosen else 1.0

    def found(self, keep: Callable[[PublishedThreat], bool] = lambda t: True) -> tuple[int, int]:
        chosen = [t for t in self.scored if keep(t)]
        return sum(1 for t in chosen if self.hits[t.id]), len(chosen)

    @property
    def missed(self) -> tuple[PublishedThreat, ...]:
        return tuple(t for t in self.scored if not self.hits[t.id])


def matches(threat: PublishedThreat, generated: GeneratedThreat) -> bool:
    """Same STRIDE category (or an accepted alternate) and a shared affected id: one of the
    ids the generated threat is about is among those the published threat names."""
    return bool(threat.categories & set(generated.categories)) and bool(
        set(threat.affected) & set(generated.affected)
    )


@cache
def score(system: str) -> Score:
    generated = tuple(generate(model(system), load_rules()))
    hits = {
        t.id: tuple(g.id for g in generated if matches(t, g)) for t in published(system).threats
    }
    return Score(system, hits, generated)


SAMPLE_SIZE = 15


class Judgement(FrozenModel):
    threat: str
    verdict: bool
    reason: str = Field(min_length=10)


class Judged(FrozenModel):
    judged: tuple[Judgement, ...]


@cache
def judged(system: str) -> Judged:
    text = (ROOT / system / "judged.yaml").read_text()
    return Judged.model_validate(yaml.safe_load(text))


def precision_sample(system: str) -> tuple[str, ...]:
    """The generated threats to judge: those whose sha256(id) sorts first, so nobody
    chooses them."""
    ids = [g.id for g in score(system).generated]
    return tuple(sorted(ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())[:SAMPLE_SIZE])
