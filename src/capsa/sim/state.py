"""What a simulated run is made of: the fault injected, the products alive, and the
context a fault's effect acts through (`StepContext`).

Effects only call the context's verbs (proceed, fail, compromise, ...); the engine
(`capsa.sim.engine`) owns the loop and decides the outcome once the run is over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from capsa.model.types import InputCheck, OnFailure, ProductKind, StepInput, StepProduct
from capsa.sim.plan import PlannedStep
from capsa.sim.settings import SettingCatalogue, SettingValue

_COPIED = frozenset({ProductKind.SECRET, ProductKind.CREDENTIAL, ProductKind.CLOUD_RESOURCE})


class Outcome(StrEnum):
    """How a flow ends under a fault, from best to worst."""

    COMPLETES = "completes"
    HALTS_SAFELY = "halts-safely"
    LEAVES_RESIDUE = "leaves-residue"
    COMPLETES_COMPROMISED = "completes-compromised"

    @property
    def rank(self) -> int:
        return list(Outcome).index(self)

    @property
    def fires(self) -> bool:
        """Something outlives its use, or a forged input was acted on."""
        return self in (Outcome.LEAVES_RESIDUE, Outcome.COMPLETES_COMPROMISED)


@dataclass(frozen=True)
class Injection:
    """One fault case injected at one step (by its run number)."""

    fault: str
    case: str
    step: str
    persistent: bool


@dataclass
class Live:
    """A product that exists in the run. `orphan`: a copy nothing refers to any more."""

    product: StepProduct
    step: str
    orphan: bool = False


@dataclass(frozen=True)
class Compromise:
    step: str
    input: str
    how: str  # spoofed | tampered | replayed
    threats: tuple[str, ...]
    item: StepInput


class SettingsView:
    """The settings of one deployment scope; remembers which ones a run consulted."""

    def __init__(self, values: Mapping[str, SettingValue], catalogue: SettingCatalogue) -> None:
        self.values = values
        self.catalogue = catalogue
        self.consulted: dict[str, SettingValue] = {}

    def get(self, setting_id: str) -> SettingValue:
        value = self.values.get(setting_id) or self.catalogue.default(setting_id)
        self.consulted.setdefault(setting_id, value)
        return value

    def holds(self, setting_id: str) -> bool:
        return bool(self.get(setting_id).value)

    def part(self, part: str) -> SettingValue | None:
        """The value of the setting that decides `part`, when the catalogue has one."""
        setting_id = self.catalogue.deciding(part)
        return None if setting_id is None else self.get(setting_id)


@dataclass
class RunState:
    """Everything a run has done so far."""

    injection: Injection
    settings: SettingsView
    given: frozenset[str] = frozenset()
    live: dict[str, Live] = field(default_factory=dict)
    orphans: list[Live] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)
    cleanup_disabled: set[str] = field(default_factory=set)
    down: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)  # credentials no receiver accepts any more
    compromises: list[Compromise] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed_at: PlannedStep | None = None
    failure: str = ""
    done: list[str] = field(default_factory=list)


class StepContext:
    """The verbs a fault's effect uses on the step it was injected at."""

    def __init__(self, step: PlannedStep, state: RunState) -> None:
        self.step = step
        self.state = state
        self.semantics = step.semantics
        self.case = state.injection.case

    # --- what the step is ---------------------------------------------------------------

    @property
    def retried(self) -> bool:
        return self.semantics.retries is not None

    @property
    def idempotent(self) -> bool:
        return self.semantics.idempotent

    def inputs(self, taken_by: str | None = None) -> list[StepInput]:
        return [i for i in self.semantics.inputs if taken_by is None or i.taken_by == taken_by]

    def lacking(self, check: InputCheck, taken_by: str | None = None) -> list[StepInput]:
        """Inputs the step acts on without making `check`."""
        return [i for i in self.inputs(taken_by) if check not in i.checks]

    def unguarded(self, check: InputCheck, taken_by: str | None = None) -> list[StepInput]:
        """Inputs for which neither the step nor its data flow makes `check` (a flow
        authenticated with mTLS refuses an outsider whatever the step says it checks)."""
        return [i for i in self.lacking(check, taken_by) if not self.step.transport.makes(check, i)]

    def guarded_by_flow(self, check: InputCheck) -> str:
        """How the data flow makes `check` for the inputs the step leaves to it ("" if none)."""
        made = [self.step.transport.makes(check, i) for i in self.lacking(check)]
        return "; ".join(dict.fromkeys(m for m in made if m))

    def credential_ttl(self) -> None:
        """Consult the setting that decides how long the step's credential stays valid
        (the window in which a stolen one works), when the run made that credential."""
        credential = self.semantics.credential
        live = self.state.live.get(credential.name) if credential is not None else None
        ttl = live.product.ttl if live is not None else None
        if ttl is not None and ttl.setting is not None:
            self.state.settings.get(ttl.setting)

    def timeout(self) -> int | None:
        """Seconds the step is waited for in this deployment; None when nothing enforces one."""
        limit = self.semantics.timeout
        if limit is None:
            return None
        settings = self.state.settings
        if limit.needs is not None and not settings.holds(limit.needs):
            return None
        if limit.setting is not None:
            value = settings.get(limit.setting).value
            return None if isinstance(value, bool) else value
        return limit.seconds

    # --- what happens -------------------------------------------------------------------

    def note(self, text: str) -> None:
        self.state.notes.append(f"{self.step.number}: {text}")

    def proceed(self, *, skip_removal: bool = False) -> None:
        """Do the step's work: make its products, remove what it removes."""
        self.produce(self.semantics.produces)
        if not skip_removal:
            for name in self.semantics.removes:
                if name in self.state.live and name not in self.state.cleanup_disabled:
                    del self.state.live[name]
                    self.state.removed.add(name)
        self.state.done.append(self.step.number)

    def produce(self, products: list[StepProduct] | tuple[StepProduct, ...]) -> None:
        for product in products:
            self.state.live[product.name] = Live(product, self.step.number)

    def orphan(self, products: list[StepProduct] | tuple[StepProduct, ...], why: str) -> None:
        """Copies of `products` that nothing refers to any more (made before a retry).
        Only things made with an identity of their own are copied: secrets, credentials and
        cloud resources; objects, files and facts are written again in place."""
        copied = [p for p in products if p.kind in _COPIED]
        for product in copied:
            self.state.orphans.append(Live(product, self.step.number, orphan=True))
        if copied:
            self.note(why)

    def fail(self, reason: str) -> None:
        """The step fails. The first failure is the one the run halts at, unless the step
        lets the flow continue."""
        if self.semantics.on_failure is OnFailure.CONTINUE:
            self.note(f"failed ({reason}); the flow goes on without it")
        elif self.state.failed_at is None:
            self.state.failed_at = self.step
            self.state.failure = reason
        else:
            self.note(f"failed too: {reason}")

    def compromise(self, item: StepInput, how: str, threats: list[str]) -> None:
        self.state.compromises.append(
            Compromise(self.step.number, item.name, how, tuple(threats), item)
        )

    def disable_cleanup(self, names: list[str]) -> None:
        self.state.cleanup_disabled.update(names)

    def take_down(self, element: str | None) -> None:
        if element is not None:
            self.state.down.add(element)

    def refuse(self, credential: str) -> None:
        """From now on every step authenticating with `credential` is refused."""
        self.state.refused.add(credential)
