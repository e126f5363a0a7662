"""Handlers subscribe to event types; the worker runs them.

Two kinds:
- transactional handlers change only the database: `fn(session, event)` runs in the same
  transaction that marks the run done, so its effect happens exactly once even though the
  run may be attempted several times (and `many(session, events)`, when given, for several
  runs of a claim at once);
- external handlers reach outside (webhooks, e-mail): `fn(db, run, event)` runs outside any
  transaction; they are at-least-once, and the receiver deduplicates by event id.

Each handler has a lane. kb's own handlers share the lane `kb`; handlers that wait on other
machines (deliveries) run in the lane `deliveries`, on threads of their own, so that a slow or
dead receiver never holds up a review or a briefing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

KB_LANE = "kb"
DELIVERY_LANE = "deliveries"
LANES = (KB_LANE, DELIVERY_LANE)

#: seconds before retry n (n = 1, 2, ...) when a handler names no schedule: exponential
DEFAULT_SCHEDULE = (1, 5, 30, 120, 600, 1800, 3600)


@dataclass(frozen=True)
class Handler:
    name: str
    types: tuple[str, ...]  # fnmatch patterns, e.g. "org.pmo.project.*"
    fn: Callable
    transactional: bool = True
    #: delays before each retry; after the last one the run is dead-lettered
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    #: runs for one project start in event order; False for handlers whose receivers do not
    #: rely on order (webhooks), so one failing delivery does not hold back the next ones
    ordered: bool = True
    #: a prefix handler runs every run whose handler name starts with `name` + ":"
    #: (webhook:<subscription id>); it subscribes to nothing by itself
    is_prefix: bool = False
    #: KB_LANE or DELIVERY_LANE (a handler that waits on another machine)
    lane: str = KB_LANE
    #: for deliveries: (session, run name) -> the receiver the run talks to (a host name);
    #: the worker runs at most a few attempts per receiver at once
    receiver: Callable[..., str | None] | None = None
    #: transactional handlers: `many(session, events)` has the effect of `fn` on each event in
    #: turn, for the worker's runs of one claim (e.g. one query for them all, not one each)
    many: Callable | None = None

    @property
    def max_attempts(self) -> int:
        return len(self.schedule) + 1

    def wants(self, event_type: str) -> bool:
        return any(fnmatchcase(event_type, pattern) for pattern in self.types)


#: fan-out: given a session and an event, the names of extra runs to create (one webhook run
#: per matching subscription, "webhook:<id>")
FanOut = Callable[..., list[str]]


@dataclass
class Registry:
    handlers: dict[str, Handler] = field(default_factory=dict)
    fanouts: list[FanOut] = field(default_factory=list)
    #: event type -> its subscribers, kept until the next register(): the dispatcher asks for
    #: every event, and matching each handler's patterns cost a 20th of the drain
    _subscribers: dict[str, list[Handler]] = field(default_factory=dict, repr=False)

    def register(self, handler: Handler) -> Handler:
        if handler.name in self.handlers:
            raise ValueError(f"handler {handler.name!r} is registered twice")
        self.handlers[handler.name] = handler
        self._subscribers.clear()
        return handler

    def add_fanout(self, fanout: FanOut) -> None:
        self.fanouts.append(fanout)

    def subscribers(self, event_type: str) -> Iterable[Handler]:
        found = self._subscribers.get(event_type)
        if found is None:
            found = [h for h in self.handlers.values() if not h.is_prefix and h.wants(event_type)]
            if len(self._subscribers) < 10_000:  # types come from producers: bounded
                self._subscribers[event_type] = found
        return list(found)

    def resolve(self, run_handler: str) -> Handler | None:
        if run_handler in self.handlers:
            return self.handlers[run_handler]
        prefix = run_handler.split(":", 1)[0]
        handler = self.handlers.get(prefix)
        return handler if handler is not None and handler.is_prefix else None


class GiveUp(Exception):
    """Raised by a handler when retrying is pointless: the run is dead-lettered at once."""


class Cancelled(Exception):
    """Raised by a handler when its run has lost its purpose (the webhook subscription was
    disabled): the run ends as cancelled, without retries, and is not a dead letter."""
