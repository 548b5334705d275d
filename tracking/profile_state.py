"""A visitor profile as plain data, and the pure rules that update and present it.

`apply_event` is the only place event semantics live: ingest, demo replay and profile
rebuilds all use it, so an incrementally updated profile equals one rebuilt from events.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.request_context import referrer_host
from tracking import decay, rfm

ENGAGEMENT_WEIGHTS = {
    "page_view": 1.0,
    "product_view": 2.0,
    "search": 2.0,
    "click": 1.0,
    "add_to_cart": 4.0,
    "remove_from_cart": 0.5,
    "checkout_start": 6.0,
    "purchase": 10.0,
    "email_open": 1.0,
    "email_click": 2.0,
    "login": 1.0,
}
INTEREST_WEIGHTS = {
    "product_view": 1.0,
    "search": 0.5,
    "click": 0.5,
    "add_to_cart": 3.0,
    "purchase": 5.0,
}
CONTEXT_FIELDS = (
    "device",
    "country",
    "city",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
)
MAX_CART_LINES = 200


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    interest_half_life_days: float = 14.0
    engagement_half_life_days: float = 7.0
    session_timeout: timedelta = timedelta(minutes=30)
    cart_abandon_after: timedelta = timedelta(minutes=30)
    high_intent_engagement: float = 15.0


@dataclass(slots=True)
class ProfileState:
    visitor_id: str
    customer_key: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sessions: int = 0
    last_session_id: str = ""
    events_count: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    interest: dict[str, float] = field(default_factory=dict)
    engagement_log2: float | None = None
    cart: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_cart_at: datetime | None = None
    checkout_started_at: datetime | None = None
    orders: int = 0
    revenue: float = 0.0
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    rfm_r: int | None = None
    rfm_f: int | None = None
    rfm_m: int | None = None
    last_context: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def cart_items(self) -> int:
        return sum(int(line.get("quantity", 1)) for line in self.cart.values())

    @property
    def cart_value(self) -> float:
        return round(
            sum(
                float(line.get("price") or 0) * int(line.get("quantity", 1))
                for line in self.cart.values()
            ),
            2,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Pickled as the constructor's arguments, by position: a cached profile loads
        # faster than the slots dataclass's state, field by field, and is smaller. So new
        # fields go last, with defaults; reordering them needs a new profile cache prefix.
        return (type(self), tuple(getattr(self, name) for name in self.__match_args__))


def category_levels(category: object) -> list[str]:
    """'outdoor/tents' credits both 'outdoor' and 'outdoor/tents'."""
    if not isinstance(category, str) or not category.strip():
        return []
    parts = [part for part in category.strip().lower().split("/") if part]
    return ["/".join(parts[: depth + 1]) for depth in range(len(parts))]


def _add_interest(
    state: ProfileState, category: object, weight: float, at: datetime, cfg: ProfileSettings
) -> None:
    for level in category_levels(category):
        contribution = decay.log_weight(weight, at, cfg.interest_half_life_days)
        state.interest[level] = decay.log_add(state.interest.get(level), contribution)  # type: ignore[assignment]


def _touch_session(
    state: ProfileState, session_id: str, at: datetime, cfg: ProfileSettings
) -> None:
    if session_id:
        if session_id != state.last_session_id:
            state.sessions += 1
            state.last_session_id = session_id
    elif state.last_seen is None or at - state.last_seen > cfg.session_timeout:
        state.sessions += 1


def apply_event(
    state: ProfileState,
    event_type: str,
    at: datetime,
    properties: dict[str, Any],
    context: dict[str, Any],
    cfg: ProfileSettings,
    session_id: str = "",
) -> None:
    """Fold one event into the profile in place."""
    _touch_session(state, session_id, at, cfg)
    state.events_count += 1
    state.counters[event_type] = state.counters.get(event_type, 0) + 1
    if state.first_seen is None or at < state.first_seen:
        state.first_seen = at
    is_latest = state.last_seen is None or at >= state.last_seen
    if is_latest:
        state.last_seen = at
        seen = {name: context[name] for name in CONTEXT_FIELDS if context.get(name)}
        host = referrer_host(seen.get("referrer"))
        if host:
            seen["referrer_host"] = host
        if seen:
            state.last_context = {**state.last_context, **seen}

    engagement = ENGAGEMENT_WEIGHTS.get(event_type, 0.0)
    if engagement:
        state.engagement_log2 = decay.log_add(
            state.engagement_log2, decay.log_weight(engagement, at, cfg.engagement_half_life_days)
        )
    interest = INTEREST_WEIGHTS.get(event_type, 0.0)

    if event_type == "purchase":
        state.orders += 1
        state.revenue = round(state.revenue + float(properties.get("revenue") or 0), 2)
        if state.first_purchase_at is None or at < state.first_purchase_at:
            state.first_purchase_at = at
        if state.last_purchase_at is None or at > state.last_purchase_at:
            state.last_purchase_at = at
        for item in properties.get("items") or []:
            _add_interest(state, item.get("category"), interest, at, cfg)
            state.cart.pop(str(item.get("product_id")), None)
        if not properties.get("items") or (state.last_cart_at and at >= state.last_cart_at):
            state.cart = {}
    elif event_type in {"add_to_cart", "remove_from_cart"}:
        product_id = str(properties.get("product_id"))
        quantity = int(properties.get("quantity") or 1)
        line = state.cart.get(product_id)
        if event_type == "add_to_cart":
            if line is None and len(state.cart) < MAX_CART_LINES:
                state.cart[product_id] = {
                    "quantity": quantity,
                    "price": properties.get("price"),
                    "category": properties.get("category"),
                }
            elif line is not None:
                line["quantity"] = int(line.get("quantity", 1)) + quantity
            _add_interest(state, properties.get("category"), interest, at, cfg)
        elif line is not None:
            remaining = int(line.get("quantity", 1)) - quantity
            if remaining > 0:
                line["quantity"] = remaining
            else:
                del state.cart[product_id]
        if state.last_cart_at is None or at > state.last_cart_at:
            state.last_cart_at = at
    elif event_type == "checkout_start":
        if state.checkout_started_at is None or at > state.checkout_started_at:
            state.checkout_started_at = at
    elif interest:
        _add_interest(state, properties.get("category"), interest, at, cfg)


def merge_into(target: ProfileState, source: ProfileState) -> None:
    """Fold an anonymous profile into the known one it was stitched to (no double counting:
    every event is counted in exactly one of the two before the merge)."""
    target.sessions += source.sessions
    target.events_count += source.events_count
    for name, count in source.counters.items():
        target.counters[name] = target.counters.get(name, 0) + count
    for category, stored in source.interest.items():
        target.interest[category] = decay.log_add(target.interest.get(category), stored)  # type: ignore[assignment]
    target.engagement_log2 = decay.log_add(target.engagement_log2, source.engagement_log2)
    target.first_seen = _earliest(target.first_seen, source.first_seen)
    if source.last_seen and (target.last_seen is None or source.last_seen > target.last_seen):
        target.last_seen = source.last_seen
        target.last_session_id = source.last_session_id
        target.last_context = {**target.last_context, **source.last_context}
    for product_id, line in source.cart.items():
        if product_id in target.cart:
            target.cart[product_id]["quantity"] = int(
                target.cart[product_id].get("quantity", 1)
            ) + int(line.get("quantity", 1))
        else:
            target.cart[product_id] = dict(line)
    target.last_cart_at = _latest(target.last_cart_at, source.last_cart_at)
    target.checkout_started_at = _latest(target.checkout_started_at, source.checkout_started_at)
    target.orders += source.orders
    target.revenue = round(target.revenue + source.revenue, 2)
    target.first_purchase_at = _earliest(target.first_purchase_at, source.first_purchase_at)
    target.last_purchase_at = _latest(target.last_purchase_at, source.last_purchase_at)
    target.attributes = {**source.attributes, **target.attributes}


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def refresh_rfm(state: ProfileState, now: datetime, cuts: rfm.RfmCuts) -> None:
    scores = rfm.score(recency_days(state, now), state.orders, state.revenue, cuts)
    state.rfm_r, state.rfm_f, state.rfm_m = scores if scores else (None, None, None)


def recency_days(state: ProfileState, now: datetime) -> float | None:
    if state.last_purchase_at is None:
        return None
    return max((now - state.last_purchase_at).total_seconds(), 0.0) / 86400.0


def flags(state: ProfileState, now: datetime, cfg: ProfileSettings) -> dict[str, bool]:
    """Intent flags derived at read time, since they change with the clock alone.

    cart_abandoned: something in the cart, untouched for the abandon interval, and no
    purchase since the last cart change. high_intent: something in the cart and either a
    checkout started since the last purchase or engagement above the threshold.
    """
    has_cart = bool(state.cart)
    purchased_since_cart = (
        state.last_purchase_at is not None
        and state.last_cart_at is not None
        and state.last_purchase_at >= state.last_cart_at
    )
    abandoned = (
        has_cart
        and state.last_cart_at is not None
        and now - state.last_cart_at >= cfg.cart_abandon_after
        and not purchased_since_cart
    )
    checkout_pending = state.checkout_started_at is not None and (
        state.last_purchase_at is None or state.checkout_started_at > state.last_purchase_at
    )
    engaged = decay.decayed_value(state.engagement_log2, now, cfg.engagement_half_life_days)
    return {
        "cart_abandoned": abandoned,
        "high_intent": has_cart and (checkout_pending or engaged >= cfg.high_intent_engagement),
        "known": state.customer_key is not None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _shown(value: float, digits: int, exact: bool) -> float:
    return value if exact else round(value, digits)


def _interest(
    state: ProfileState, now: datetime, cfg: ProfileSettings, exact: bool
) -> dict[str, float]:
    interest = {}
    for category, stored in sorted(state.interest.items()):
        value = _shown(decay.decayed_value(stored, now, cfg.interest_half_life_days), 4, exact)
        if value > 0:
            interest[category] = value
    return interest


def _engagement(state: ProfileState, now: datetime, cfg: ProfileSettings, exact: bool) -> float:
    value = decay.decayed_value(state.engagement_log2, now, cfg.engagement_half_life_days)
    return _shown(value, 4, exact)


def _rfm(state: ProfileState, now: datetime, cfg: ProfileSettings, exact: bool) -> dict[str, Any]:
    recency = recency_days(state, now)
    return {
        "recency_days": recency if exact or recency is None else round(recency, 3),
        "frequency": state.orders,
        "monetary": state.revenue,
        "r": state.rfm_r,
        "f": state.rfm_f,
        "m": state.rfm_m,
        "score": f"{state.rfm_r}{state.rfm_f}{state.rfm_m}" if state.rfm_r else None,
        "label": rfm.label(state.rfm_r, state.rfm_f, state.rfm_m),
    }


Section = Callable[[ProfileState, datetime, ProfileSettings, bool], Any]

# The profile document's keys, in order, each with how it is worked out (state, now,
# settings, exact).
PROFILE_SECTIONS: dict[str, Section] = {
    "visitor_id": lambda state, *_: state.visitor_id,
    "known": lambda state, *_: state.customer_key is not None,
    "first_seen": lambda state, *_: _iso(state.first_seen),
    "last_seen": lambda state, *_: _iso(state.last_seen),
    "sessions": lambda state, *_: state.sessions,
    "events": lambda state, *_: state.events_count,
    "counters": lambda state, *_: dict(state.counters),
    "interest": _interest,
    "engagement": _engagement,
    "cart": lambda state, *_: {
        "items": state.cart_items,
        "value": state.cart_value,
        "lines": [{"product_id": pid, **line} for pid, line in state.cart.items()],
        "updated_at": _iso(state.last_cart_at),
    },
    "orders": lambda state, *_: state.orders,
    "revenue": lambda state, *_: state.revenue,
    "average_order_value": lambda state, now, cfg, exact: (
        _shown(state.revenue / state.orders, 2, exact) if state.orders else 0.0
    ),
    "rfm": _rfm,
    "flags": lambda state, now, cfg, exact: flags(state, now, cfg),
    "last_context": lambda state, *_: dict(state.last_context),
    "attributes": lambda state, *_: dict(state.attributes),
}


class ProfileDocument(Mapping[str, Any]):
    """`profile_document` worked out key by key as it is read: a rule reads a key or two
    of it, and decays and flags cost more than the rule."""

    __slots__ = ("_state", "_now", "_cfg", "_exact", "_values")

    def __init__(
        self, state: ProfileState, now: datetime, cfg: ProfileSettings, *, exact: bool = False
    ) -> None:
        self._state, self._now, self._cfg, self._exact = state, now, cfg, exact
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        values = self._values
        if key in values:
            return values[key]
        section = PROFILE_SECTIONS[key]  # KeyError for a key the profile has not
        value = values[key] = section(self._state, self._now, self._cfg, self._exact)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in PROFILE_SECTIONS else default

    def __contains__(self, key: object) -> bool:
        return key in PROFILE_SECTIONS

    def __iter__(self) -> Iterator[str]:
        return iter(PROFILE_SECTIONS)

    def __len__(self) -> int:
        return len(PROFILE_SECTIONS)

    def __repr__(self) -> str:
        return f"ProfileDocument({dict(self)!r})"


def profile_document(
    state: ProfileState, now: datetime, cfg: ProfileSettings, *, exact: bool = False
) -> dict[str, Any]:
    """The profile as `GET /api/v1/visitors/{id}` shows it; segment rules address its
    dotted paths (`profile.rfm.recency_days`, `profile.interest.outdoor`, ...), reading
    it as a `ProfileDocument`.

    `exact=True` skips display rounding, so rule evaluation matches the SQL compiler.
    """
    return dict(ProfileDocument(state, now, cfg, exact=exact))
