"""Real-time evaluation: compile a rule once into closures, then test visitors fast.

``compile_rule`` validates and builds a tree of small functions, so a request pays
only for lookups and comparisons: each field leaf holds its registered getter, looked
up once when the rule is compiled (once per configuration version), not per request.
Value semantics live in ``operators`` and window semantics in ``windows``; see
``README.md`` for the missing-value rule.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tracking.rule_fields import BUILTIN_REGISTRY, Field, FieldRegistry

from .errors import InvalidRule, RuleError
from .operators import Predicate, compile_predicate
from .validation import check_rule
from .windows import NO_EVENTS, EventWindows, window_from_spec

SegmentMembership = Callable[[str], bool] | Mapping[str, bool] | Collection[str]
CompiledRule = Callable[["Facts"], bool]


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a rule may look at for one visitor and request.

    ``profile`` is the profile as ``GET /visitors/{id}`` shows it, ``context`` the
    request context (``query`` is a mapping of query parameters). ``segments`` answers
    ``segment`` nodes: a callable ``in_segment(key)``, a mapping key -> bool, or a
    collection of member keys; unknown keys are non-members.
    """

    profile: Mapping[str, Any] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    segments: SegmentMembership = frozenset()
    events: EventWindows = NO_EVENTS

    def in_segment(self, key: str) -> bool:
        segments = self.segments
        if callable(segments):
            return bool(segments(key))
        if isinstance(segments, Mapping):
            return bool(segments.get(key, False))
        return key in segments


def compile_rule(rule: object, *, registry: FieldRegistry = BUILTIN_REGISTRY) -> CompiledRule:
    """Validate ``rule`` against ``registry`` (raising ``InvalidRule``) and return
    ``facts -> bool``."""
    check_rule(rule, registry=registry)
    return _compile_node(rule, registry)


def evaluate(rule: object, facts: Facts, *, registry: FieldRegistry = BUILTIN_REGISTRY) -> bool:
    """Validate, compile and evaluate in one go; hot paths should keep the compiled rule."""
    return compile_rule(rule, registry=registry)(facts)


def evaluate_segments(rules: Mapping[str, CompiledRule], facts: Facts) -> list[str]:
    """Return the keys of ``rules`` whose rule ``facts`` satisfy, in ``rules`` order.

    ``segment`` nodes that name another rule here are evaluated once and memoized;
    other keys (cluster or static segments) are answered by ``facts.segments``.
    A reference loop answers False rather than recursing forever, though saving a
    rule should already have refused it (see ``references.find_cycle``).
    """
    outside = facts
    memo: dict[str, bool] = {}
    in_progress: set[str] = set()

    def in_segment(key: str) -> bool:
        if key in memo:
            return memo[key]
        if key not in rules:
            return outside.in_segment(key)
        if key in in_progress:
            return False
        in_progress.add(key)
        try:
            memo[key] = rules[key](resolved)
        finally:
            in_progress.discard(key)
        return memo[key]

    resolved = replace(facts, segments=in_segment)
    return [key for key in rules if in_segment(key)]


def _compile_node(node: Any, registry: FieldRegistry) -> CompiledRule:
    if "all" in node:
        return _all_of(tuple(_compile_node(child, registry) for child in node["all"]))
    if "any" in node:
        return _any_of(tuple(_compile_node(child, registry) for child in node["any"]))
    if "not" in node:
        inner = _compile_node(node["not"], registry)
        return lambda facts: not inner(facts)
    if "segment" in node:
        key = node["segment"]
        return lambda facts: facts.in_segment(key)
    if "field" in node:
        found = registry.lookup(node["field"])
        if isinstance(found, str):  # unreachable after validation
            raise InvalidRule([RuleError("field", found)])
        return _field_leaf(found, compile_predicate(node["op"], node["value"]))
    if "events" in node:
        return _events_leaf(node["events"], compile_predicate(node["op"], node["value"]))
    raise InvalidRule([RuleError("", "not a condition")])  # unreachable after validation


def _all_of(children: tuple[CompiledRule, ...]) -> CompiledRule:
    if len(children) == 1:
        return children[0]

    def all_of(facts: Facts) -> bool:
        for child in children:
            if not child(facts):
                return False
        return True

    return all_of


def _any_of(children: tuple[CompiledRule, ...]) -> CompiledRule:
    if len(children) == 1:
        return children[0]

    def any_of(facts: Facts) -> bool:
        for child in children:
            if child(facts):
                return True
        return False

    return any_of


def _field_leaf(field: Field, test: Predicate) -> CompiledRule:
    source = field.source
    keys = getattr(field.read, "path_keys", None)
    if keys is not None and len(keys) <= 2:
        return _path_leaf(source, keys, test)
    read = field.read
    assert read is not None  # noqa: S101 - every registered field has its getter

    def read_leaf(facts: Facts) -> bool:
        return test(read(getattr(facts, source)))

    return read_leaf


def _path_leaf(source: str, keys: tuple[str, ...], test: Predicate) -> CompiledRule:
    """The registry getter of a plain path, inlined: a leaf is one or two dict lookups."""
    if len(keys) == 1:
        (key,) = keys
        if source == "context":
            return lambda facts: test(facts.context.get(key))
        if source == "profile":
            return lambda facts: test(facts.profile.get(key))
        return lambda facts: test(facts.attributes.get(key))
    first, second = keys

    def two_keys(facts: Facts) -> bool:
        inner = getattr(facts, source).get(first)
        if type(inner) is dict or isinstance(inner, Mapping):
            return test(inner.get(second))
        return test(None)

    return two_keys


def _events_leaf(spec: Mapping[str, Any], test: Predicate) -> CompiledRule:
    window = window_from_spec(spec)
    arguments = (
        window.event_type,
        window.where,
        window.within_seconds,
        window.agg,
        window.property_name,
    )
    return lambda facts: test(facts.events.window_value(*arguments))
