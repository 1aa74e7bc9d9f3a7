"""Aggregates whose value depends on the episode alone, computed once per episode.

`any(order o where o.drug_class = antibiotic)` means the same thing on every day a rule
ranges over, and in every rule that asks it. The compiler wraps such an aggregate in
`PerEpisode`, which keeps its value in the episode's evaluation cache, so a per-day rule does
not search the orders once per day. An aggregate is episode-invariant when it reads no slot
bound outside itself (no `d`, no subject): everything else a plan reads (the episode,
`as_of`, parameters, the calendar) is fixed for one episode's evaluation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from emrlint.rules.plans import EvalContext, Slot
from emrlint.rules.queries import EpisodeQuery, ListQuery

__all__ = ["PerEpisode", "free_slots", "per_episode"]


def free_slots(plan: Any) -> frozenset[int]:
    """The slots `plan` reads that it does not bind itself."""
    if isinstance(plan, Slot):
        return frozenset((plan.index,))
    if isinstance(plan, EpisodeQuery):
        inner = free_slots(plan.where) - {plan.slot}
        return inner | free_slots(plan.window)
    if isinstance(plan, ListQuery):
        return free_slots(plan.source) | (free_slots(plan.where) - {plan.slot})
    if isinstance(plan, tuple):
        return frozenset().union(*(free_slots(element) for element in plan))
    if dataclasses.is_dataclass(plan) and not isinstance(plan, type):
        children = (getattr(plan, f.name) for f in dataclasses.fields(plan))
        return frozenset().union(*(free_slots(child) for child in children))
    return frozenset()


_UNSET = object()


@dataclasses.dataclass(frozen=True, slots=True)
class PerEpisode:
    """An episode-invariant plan, evaluated once per episode. `key` is the plan's text form
    (`plan_key`), fixed when compiled, so equal aggregates in different rules share one cached
    value."""

    key: str
    plan: Any

    def evaluate(self, ctx: EvalContext) -> Any:
        value = ctx.cache.get(self.key, _UNSET)
        if value is _UNSET:
            value = self.plan.evaluate(ctx)
            ctx.cache[self.key] = value
        return value


def per_episode(plan: Any) -> Any:
    """`plan` wrapped in PerEpisode when it reads no outer slot; otherwise `plan` itself."""
    if free_slots(plan):
        return plan
    return PerEpisode(f"per-episode {plan_key(plan)}", plan)


def plan_key(plan: Any) -> str:
    """A text naming `plan` exactly: equal plans give equal texts and different plans different
    ones, in any process. Unlike `repr`, functions and classes are named by module and
    qualified name (a repr would show a memory address), and sets are written sorted."""
    if isinstance(plan, type) or (callable(plan) and not dataclasses.is_dataclass(plan)):
        return f"{plan.__module__}.{plan.__qualname__}"
    if isinstance(plan, tuple):
        return "(" + ", ".join(plan_key(element) for element in plan) + ")"
    if isinstance(plan, frozenset):
        return "{" + ", ".join(sorted(plan_key(element) for element in plan)) + "}"
    if dataclasses.is_dataclass(plan):
        parts = (
            f"{f.name}={plan_key(getattr(plan, f.name))}"
            for f in dataclasses.fields(plan)
            if f.compare  # derived fields (a shared Missing, a slot shortcut) add nothing
        )
        return f"{type(plan).__qualname__}({', '.join(parts)})"
    return repr(plan)
