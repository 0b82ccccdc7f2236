"""What each fault does at the step it is injected at: one function per fault id.

The data (faults.yaml) says where a fault applies and which cases it has; these
functions say what it does there, through the `StepContext` verbs. The run loop and the
outcome are the engine's (`capsa.sim.engine`). A function without a catalogue entry, or an
entry without a function, is a load error (`capsa.sim.faults`).
"""

from __future__ import annotations

from collections.abc import Callable

from capsa.model.types import InputCheck
from capsa.sim.state import StepContext

Effect = Callable[[StepContext], None]
EFFECTS: dict[str, Effect] = {}


def effect(fault_id: str) -> Callable[[Effect], Effect]:
    """Register the effect of the fault `fault_id`."""

    def register(function: Effect) -> Effect:
        EFFECTS[fault_id] = function
        return function

    return register


@effect("unavailable")
def unavailable(ctx: StepContext) -> None:
    target = ctx.step.receiver or "its element"
    if ctx.state.injection.persistent:
        ctx.take_down(ctx.step.receiver)
        retries = ctx.semantics.retries
        endless = retries is not None and retries.limit is None
        wait = "; it is retried without limit and never finishes" if endless else ""
        ctx.fail(f"{target} is down{wait}")
    elif ctx.retried:
        ctx.note(f"{target} was unreachable; a retry after the partition healed went through")
        ctx.proceed()
    else:
        ctx.fail(f"{target} was unreachable and the step is not retried")


@effect("slow")
def slow(ctx: StepContext) -> None:
    limit = ctx.timeout()
    if limit is None:
        ctx.note("finished late; nothing in this deployment bounds the wait")
        ctx.proceed()
    elif ctx.retried and ctx.idempotent:
        ctx.note(f"gave up after {limit} s; the retry found the late result")
        ctx.proceed()
    elif ctx.retried:
        ctx.proceed()
        ctx.orphan(
            ctx.semantics.produces,
            f"gave up after {limit} s and retried; the late first result is orphaned",
        )
    else:
        ctx.produce(ctx.semantics.produces)
        ctx.fail(f"gave up after {limit} s; the late result lands after the flow stopped")


@effect("message-lost")
def message_lost(ctx: StepContext) -> None:
    if ctx.retried and ctx.idempotent:
        ctx.note("the reply was lost; the idempotent retry changed nothing")
        ctx.proceed()
    elif ctx.retried:
        ctx.proceed()
        ctx.orphan(ctx.semantics.produces, "the reply was lost; the retry made a second copy")
    else:
        ctx.produce(ctx.semantics.produces)
        ctx.fail("the reply was lost after the work was done, and the step is not retried")


@effect("replayed")
def replayed(ctx: StepContext) -> None:
    ctx.proceed()
    accepted = ctx.lacking(InputCheck.FRESHNESS, "receiver")
    if not accepted:
        ctx.note("the replay was refused: the receiver checks freshness")
        return
    for item in accepted:
        if item.realises.replayed:
            ctx.compromise(item, "replayed", item.realises.replayed)
    if ctx.idempotent:
        ctx.note("the replay was accepted; doing the step again changed nothing")
    else:
        ctx.orphan(ctx.semantics.produces, "the replay was acted on: a second copy was made")


@effect("tampered")
def tampered(ctx: StepContext) -> None:
    """Altered where it is kept, only the step's own integrity check refuses it; altered
    on the way, so does a data flow that protects it in transit (signed, or encrypted)."""
    if ctx.case == "in-transit":
        unchecked = ctx.unguarded(InputCheck.INTEGRITY)
        by_flow = ctx.guarded_by_flow(InputCheck.INTEGRITY)
    else:
        unchecked, by_flow = ctx.lacking(InputCheck.INTEGRITY), ""
    if not unchecked:
        names = ", ".join(i.name for i in ctx.inputs())
        ctx.fail(f"the altered {names} was refused: {by_flow or 'its integrity is checked'}")
        return
    for item in unchecked:
        ctx.compromise(item, "tampered", item.realises.tampered)
    ctx.proceed()


@effect("spoofed-sender")
def spoofed_sender(ctx: StepContext) -> None:
    if ctx.case == "stolen-credential":
        ctx.credential_ttl()
        accepted = ctx.lacking(InputCheck.OWNERSHIP, "receiver")
        refused = "the receiver also checks that the sender owns this object"
    else:
        accepted = ctx.unguarded(InputCheck.AUTHENTICATION)
        refused = ctx.guarded_by_flow(InputCheck.AUTHENTICATION) or "the sender is authenticated"
    for item in accepted:
        ctx.compromise(item, "spoofed", item.realises.spoofed)
    if not accepted:
        ctx.note(f"the impostor was refused: {refused}")
    ctx.proceed()


@effect("credential-expired")
def credential_expired(ctx: StepContext) -> None:
    credential = ctx.semantics.credential
    assert credential is not None
    checked = (
        not ctx.inputs("receiver")
        or any(InputCheck.AUTHENTICATION in i.checks for i in ctx.inputs("receiver"))
        or bool(ctx.step.transport.caller_authenticated)
    )
    if not checked:
        ctx.note(f"{credential.name} {ctx.case}, but the receiver does not authenticate it")
        ctx.proceed()
    elif ctx.case == "expired" and credential.renewed and ctx.retried:
        ctx.note(f"{credential.name} expired; the retry used a renewed one")
        ctx.proceed()
    else:
        why = "it is not renewed" if ctx.case == "expired" else "revoked credentials stay revoked"
        ctx.refuse(credential.name)
        ctx.fail(f"{credential.name} {ctx.case} and the receiver refused it ({why})")


@effect("cleanup-never-runs")
def cleanup_never_runs(ctx: StepContext) -> None:
    made = [p.name for p in ctx.semantics.produces]
    ctx.disable_cleanup(made)
    skipped = [n for n in ctx.semantics.removes if n not in made]
    if skipped:
        ctx.note(f"did not remove {', '.join(skipped)}")
    if made:
        ctx.note(f"nothing will remove or stop renewing {', '.join(made)}")
    ctx.proceed(skip_removal=True)


@effect("partial-write")
def partial_write(ctx: StepContext) -> None:
    first, *rest = ctx.semantics.produces
    others = ", ".join(p.name for p in rest)
    if ctx.retried and ctx.idempotent:
        ctx.note(f"failed after writing {first.name}; the retry completed {others}")
        ctx.proceed()
    elif ctx.retried:
        ctx.proceed()
        ctx.orphan([first], f"failed after writing {first.name}; the retry wrote a new one")
    else:
        ctx.produce([first])
        ctx.fail(f"failed after writing {first.name} and before {others}")
