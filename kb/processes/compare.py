"""Two process models' steps side by side (a project's as-is and to-be): which steps the
second adds, which the first has that the second removed, and which both have but changed.

Steps are matched by name (case, spaces and punctuation aside): the models number their
steps on their own. A matched step has changed when its role, kind, system, inputs, outputs
or the names of the steps it leads to differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.processes.steps import Flow, Step

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass
class StepChanges:
    added: list[Step] = field(default_factory=list)
    removed: list[Step] = field(default_factory=list)
    #: (the step in the first model, in the second, what differs)
    changed: list[tuple[Step, Step, list[str]]] = field(default_factory=list)

    def marks(self, side: str) -> dict[int, str]:
        """Step number -> added/removed/changed, for the diagram of one side ("old", "new")."""
        marks = {
            old.number if side == "old" else new.number: CHANGED for old, new, _ in self.changed
        }
        for step in self.removed if side == "old" else self.added:
            marks[step.number] = REMOVED if side == "old" else ADDED
        return marks


def key(name: str) -> str:
    return re.sub(r"[\W_]+", " ", name.lower()).strip()


def _ways(step: Step, flow: Flow) -> list[str]:
    names = {s.number: key(s.name) for s in flow.steps}
    return sorted(f"{label}→{names.get(t, 'end') if t else 'end'}" for t, label in step.next)


def _differences(old: Step, old_flow: Flow, new: Step, new_flow: Flow) -> list[str]:
    said = []
    if old.role != new.role:
        said.append(f"role: {old.role} → {new.role}")
    if old.kind != new.kind:
        said.append(f"kind: {old.kind} → {new.kind}")
    if old.system != new.system:
        said.append(f"system: {old.system or 'none'} → {new.system or 'none'}")
    for name in ("inputs", "outputs"):
        if sorted(getattr(old, name)) != sorted(getattr(new, name)):
            said.append(f"{name} changed")
    if _ways(old, old_flow) != _ways(new, new_flow):
        said.append(f"next step now {_next(new, new_flow)} (was {_next(old, old_flow)})")
    return said


def _next(step: Step, flow: Flow) -> str:
    """Where a step leads, by name (the two models number their steps on their own):
    `yes → “Quarantine the pallet”; no → the end`."""
    names = {s.number: s.name for s in flow.steps}
    ways = [
        f"{label + ' → ' if label else ''}{f'“{names[t]}”' if t in names else 'the end'}"
        for t, label in step.next
    ]
    return "; ".join(ways) or "the end"


def compare_flows(old: Flow, new: Flow) -> StepChanges:
    changes = StepChanges()
    new_by_key = {}
    for step in new.steps:
        new_by_key.setdefault(key(step.name), step)
    matched = set()
    for step in old.steps:
        other = new_by_key.get(key(step.name))
        if other is None or other.number in matched:
            changes.removed.append(step)
            continue
        matched.add(other.number)
        if said := _differences(step, old, other, new):
            changes.changed.append((step, other, said))
    changes.added = [s for s in new.steps if s.number not in matched]
    return changes
