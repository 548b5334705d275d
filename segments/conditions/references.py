"""What a rule depends on: other segments, request context, event windows.

Callers use this to refuse reference loops when saving, to order bulk recomputation
(dependencies first), to know whether a rule must be re-evaluated per request
(context) and which event windows to precompute for a visitor.

The walkers skip malformed parts instead of failing, so they are safe to call on a
rule that has not been validated yet (e.g. ``find_cycle`` before saving).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .durations import InvalidDuration
from .errors import SegmentCycle
from .language import MAX_NODES
from .windows import EventWindow, window_from_spec

Rules = Mapping[str, Any]


def _nodes(rule: Any) -> Iterator[dict[str, Any]]:
    """Yield every condition object of ``rule``, depth first, in document order."""
    stack = [rule]
    seen = 0
    # Iterative and capped, so a hostile unvalidated rule cannot exhaust the stack.
    while stack and seen <= MAX_NODES * 10:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        seen += 1
        yield node
        for kind in ("all", "any"):
            children = node.get(kind)
            if isinstance(children, list):
                stack.extend(reversed(children))
        if "not" in node:
            stack.append(node["not"])


def _with_references(rule: Any, rules: Rules | None) -> Iterator[Any]:
    """Yield ``rule`` and, when ``rules`` is given, every rule it reaches by reference."""
    yield rule
    if rules is None:
        return
    visited: set[str] = set()
    pending = sorted(referenced_segments(rule))
    while pending:
        key = pending.pop()
        if key in visited or key not in rules:
            continue
        visited.add(key)
        yield rules[key]
        pending.extend(sorted(referenced_segments(rules[key])))


def referenced_segments(rule: Any) -> frozenset[str]:
    """Keys named by ``segment`` nodes of ``rule`` (directly, not transitively)."""
    return frozenset(
        node["segment"] for node in _nodes(rule) if isinstance(node.get("segment"), str)
    )


def find_cycle(rules: Rules) -> list[str] | None:
    """Return a reference loop such as ``["a", "b", "a"]``, or None when there is none.

    ``rules`` maps segment key -> rule; keys that are referenced but not in ``rules``
    (cluster or static segments, or not yet created) end a path.
    """
    visiting: list[str] = []
    on_path: set[str] = set()
    done: set[str] = set()
    edges = {key: sorted(referenced_segments(rule)) for key, rule in rules.items()}

    for start in sorted(rules):
        if start in done:
            continue
        # Iterative depth-first search; each frame is (key, its remaining references).
        frames: list[tuple[str, Iterator[str]]] = [(start, iter(edges[start]))]
        visiting.append(start)
        on_path.add(start)
        while frames:
            key, targets = frames[-1]
            target = next(targets, None)
            if target is None:
                frames.pop()
                visiting.pop()
                on_path.discard(key)
                done.add(key)
            elif target in on_path:
                return [*visiting[visiting.index(target) :], target]
            elif target in edges and target not in done:
                frames.append((target, iter(edges[target])))
                visiting.append(target)
                on_path.add(target)
    return None


def dependency_order(rules: Rules) -> list[str]:
    """Keys of ``rules`` ordered so every segment comes after those it refers to.

    Raises ``SegmentCycle`` when the rules refer to each other in a loop.
    """
    cycle = find_cycle(rules)
    if cycle is not None:
        raise SegmentCycle(cycle)
    ordered: list[str] = []
    placed: set[str] = set()

    def place(key: str) -> None:
        # Recursion depth is bounded by the number of segments, and there is no loop.
        if key in placed or key not in rules:
            return
        placed.add(key)
        for target in sorted(referenced_segments(rules[key])):
            place(target)
        ordered.append(key)

    for key in sorted(rules):
        place(key)
    return ordered


def context_fields(rule: Any, *, rules: Rules | None = None) -> frozenset[str]:
    """``context.*`` fields the rule reads (following references when ``rules`` given)."""
    return frozenset(
        node["field"]
        for reached in _with_references(rule, rules)
        for node in _nodes(reached)
        if isinstance(node.get("field"), str) and node["field"].startswith("context.")
    )


def uses_context(rule: Any, *, rules: Rules | None = None) -> bool:
    """True when the answer can change per request, so it cannot be cached per visitor."""
    return bool(context_fields(rule, rules=rules))


def event_windows(rule: Any, *, rules: Rules | None = None) -> tuple[EventWindow, ...]:
    """Distinct event windows the rule needs, in first-use order, for precomputation."""
    windows: dict[EventWindow, None] = {}
    for reached in _with_references(rule, rules):
        for node in _nodes(reached):
            spec = node.get("events")
            if not isinstance(spec, dict):
                continue
            try:
                windows.setdefault(window_from_spec(spec), None)
            except (InvalidDuration, KeyError, TypeError, AttributeError):
                continue  # a malformed window; validation reports it
    return tuple(windows)


def largest_window_seconds(rule: Any, *, rules: Rules | None = None) -> int | None:
    """How far back the rule looks, in seconds; None when it uses no events."""
    return max((w.within_seconds for w in event_windows(rule, rules=rules)), default=None)
