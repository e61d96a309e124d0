"""The early warnings observe a customer once a day, whenever its rescores happen (pure; no I/O, no clock).

`policy.watch` is a state machine over observations (a drop pending 21 days, utilisation held 14 days,
cooling-off): fed only when a fact or a review happened to rescore the customer, its alerts would depend
on when rescores ran - a firm living through six months (a review every day) and one loading them at once
(one rescore per fact) would get different alerts from the same facts. So the watch sees one observation
per day, every day from the customer's first rescore on, each as of that day:

- a rescore as of a day later than the last observed one first replays the days in between (each built
  as of its own day from what is known of it, its warnings raised on that day), then observes its own day;
- a rescore as of the day last observed observes it again from the state before that day (`base`), so the
  day's last observation - with all that day's facts - is the one that stands, however many rescores the
  day had (warnings are recorded once per dedupe key, so a repeat raises nothing twice);
- a rescore as of an earlier day changes nothing (the rescore writes nothing current then).

A fact dated before the last observed day that arrives late cannot change warnings already observed: it
counts from the next observation on. Replays reach back at most MAX_REPLAY_DAYS.

The stored state is the WatchState of the last observed day (its keys at the top, as the review run reads
them) plus `observed_on` and `base`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from credit_scoring.policy import Observation, Warning, WatchState, watch

MAX_REPLAY_DAYS = 400


def observe_through(
    stored: Mapping[str, Any] | None,
    day: date,
    observe: Callable[[date], Observation | None],
    *,
    customer_key: str,
) -> tuple[list[tuple[date, Warning]], dict[str, Any], Observation | None]:
    """The warnings (with the day each is raised on) of the days up to `day`, the state to store, `day`'s observation.

    `observe(d)` is the customer as of d (None: nothing to observe yet, no invoice).
    """
    stored = stored or {}
    last = date.fromisoformat(stored["observed_on"]) if stored.get("observed_on") else None
    after_last = WatchState.from_json(stored)
    raised: list[tuple[date, Warning]] = []
    if last is not None and day == last:
        base = WatchState.from_json(stored.get("base"))
    elif last is not None and day > last:
        base = after_last
        replayed = max(last + timedelta(days=1), day - timedelta(days=MAX_REPLAY_DAYS))
        while replayed < day:
            seen = observe(replayed)
            if seen is not None:
                warnings, base = watch(base, seen, customer_key=customer_key)
                raised.extend((replayed, w) for w in warnings)
            replayed += timedelta(days=1)
    else:  # never observed (or stored before days were kept): start from what is stored
        base = after_last
    seen = observe(day)
    if seen is None:
        return raised, dict(stored), None
    warnings, state = watch(base, seen, customer_key=customer_key)
    raised.extend((day, w) for w in warnings)
    return raised, {**state.to_json(), "observed_on": day.isoformat(), "base": base.to_json()}, seen
