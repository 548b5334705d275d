"""The built-in fields: the visitor profile, behaviour, imported CRM attributes and the
request context, each with its label, unit, getter, SQL and choices.

Getters read the profile document (`tracking.profile_state.profile_document`), the
customer attributes and the request context (`core.request_context`) by path;
SQL reads the `VisitorProfile` columns. `tests` in segments compare the two for every
field and op here, so a field added without (or with wrong) SQL fails the build.
"""

from __future__ import annotations

import re
from typing import Any

from tracking.event_validation import EVENT_TYPES
from tracking.profile_state import CONTEXT_FIELDS as RECORDED_CONTEXT
from tracking.rule_fields.iso_codes import COUNTRIES, LANGUAGES
from tracking.rule_fields.registry import (
    BEHAVIOUR,
    BOOLEAN,
    CONTEXT,
    DATE,
    NUMBER,
    ORDERING_ONLY,
    PROFILE,
    STRING,
    Choice,
    ClockFlag,
    Column,
    DaysSince,
    DecayedScore,
    EventProperty,
    Field,
    FieldFamily,
    FieldRegistry,
    JsonKey,
    Timestamp,
    VendorSql,
    attribute_field,
)

MONEY = "shop currency"
# Rules compare recency against `now - days`: beyond a century every comparison has a
# fixed answer, and a huge number would overflow the date arithmetic.
MAX_RECENCY_DAYS = 36_500

COUNTRY_CHOICES = tuple(Choice(code, name) for code, name in COUNTRIES)
LANGUAGE_CHOICES = tuple(Choice(code, name) for code, name in LANGUAGES)
# `core.request_context.device_from_user_agent` and pz.js report these.
DEVICE_CHOICES = (
    Choice("desktop", "Desktop"),
    Choice("mobile", "Mobile"),
    Choice("tablet", "Tablet"),
)
# `tracking.rfm.label`, in its order.
RFM_LABEL_CHOICES = (
    Choice("champions", "Champions"),
    Choice("lapsed_high_value", "Lapsed high value"),
    Choice("at_risk", "At risk"),
    Choice("loyal", "Loyal"),
    Choice("new", "New customers"),
    Choice("hibernating", "Hibernating"),
    Choice("needs_attention", "Needs attention"),
)
RFM_SCORE_CHOICES = tuple(Choice(score, str(score)) for score in range(1, 6))
WEEKDAY_CHOICES = tuple(
    Choice(number, name)
    for number, name in enumerate(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), 1
    )
)
EVENT_TYPE_LABELS = {
    "page_view": "Page view",
    "product_view": "Product view",
    "search": "Search",
    "add_to_cart": "Add to cart",
    "remove_from_cart": "Remove from cart",
    "checkout_start": "Checkout started",
    "purchase": "Purchase",
    "click": "Click on personalized content",
    "impression": "Impression of personalized content",
    "email_open": "E-mail opened",
    "email_click": "E-mail link clicked",
    "login": "Login",
}
EVENT_TYPE_CHOICES = tuple(Choice(name, EVENT_TYPE_LABELS[name]) for name in sorted(EVENT_TYPES))


# --- customer attributes imported from a CRM (`manage.py import_customers`) -------------


def _options(*values: str) -> tuple[Choice, ...]:
    return tuple(Choice(value, value.replace("_", " ").capitalize()) for value in values)


CRM_ATTRIBUTES: tuple[Field, ...] = (
    attribute_field(
        "age_band",
        STRING,
        "Age band",
        choices=_options("18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
        closed=True,
    ),
    attribute_field(
        "gender",
        STRING,
        "Gender",
        choices=_options("female", "male", "other", "unknown"),
        closed=True,
    ),
    attribute_field("city", STRING, "City (CRM)"),
    attribute_field(
        "loyalty_tier",
        STRING,
        "Loyalty tier",
        choices=_options("none", "bronze", "silver", "gold", "platinum"),
        closed=True,
    ),
    # Personal data: a rule may ask whether it is on file, never match on its value.
    attribute_field(
        "email",
        STRING,
        "E-mail address on file",
        ops=("exists",),
        description="Personal data: rules can only test whether it is present.",
    ),
    attribute_field(
        "first_name",
        STRING,
        "First name on file",
        ops=("exists",),
        description="Personal data: rules can only test whether it is present.",
    ),
)
# --- the profile ---------------------------------------------------------------------

_KNOWN = VendorSql.portable("{customer_key} IS NOT NULL")
# Mirrors tracking.rfm.label (first match wins).
_RFM_LABEL = VendorSql.portable(
    "CASE WHEN {rfm_r} IS NULL OR {rfm_f} IS NULL OR {rfm_m} IS NULL THEN NULL"
    " WHEN {rfm_r} >= 4 AND {rfm_f} >= 4 AND {rfm_m} >= 4 THEN 'champions'"
    " WHEN {rfm_r} <= 2 AND {rfm_m} >= 4 THEN 'lapsed_high_value'"
    " WHEN {rfm_r} <= 2 AND {rfm_f} >= 3 THEN 'at_risk'"
    " WHEN {rfm_f} >= 3 AND {rfm_r} >= 3 THEN 'loyal'"
    " WHEN {rfm_r} >= 4 AND {rfm_f} <= 2 THEN 'new'"
    " WHEN {rfm_r} <= 2 THEN 'hibernating'"
    " ELSE 'needs_attention' END"
)
_RFM_SCORE = VendorSql(
    postgresql="{rfm_r}::text || {rfm_f}::text || {rfm_m}::text",
    sqlite="CAST({rfm_r} AS TEXT) || CAST({rfm_f} AS TEXT) || CAST({rfm_m} AS TEXT)",
)
_AVERAGE_ORDER_VALUE = VendorSql.portable(
    "CASE WHEN {orders} > 0 THEN {revenue} / {orders} ELSE 0.0 END"
)

PROFILE_FIELDS: tuple[Field, ...] = (
    Field(
        "profile.known",
        BOOLEAN,
        "Known customer",
        PROFILE,
        _KNOWN,
        description="Signed in (or imported from the CRM) at least once.",
    ),
    Field("profile.orders", NUMBER, "Orders", PROFILE, Column("orders"), unit="orders", minimum=0),
    Field("profile.revenue", NUMBER, "Lifetime revenue", PROFILE, Column("revenue"), unit=MONEY),
    Field(
        "profile.average_order_value",
        NUMBER,
        "Average order value",
        PROFILE,
        _AVERAGE_ORDER_VALUE,
        unit=MONEY,
    ),
    Field("profile.first_seen", DATE, "First visit", PROFILE, Timestamp("first_seen")),
    Field("profile.last_seen", DATE, "Last visit", PROFILE, Timestamp("last_seen")),
    Field(
        "profile.rfm.recency_days",
        NUMBER,
        "Days since the last purchase",
        PROFILE,
        DaysSince("last_purchase_at"),
        unit="days",
        ops=ORDERING_ONLY,
        minimum=0,
        maximum=MAX_RECENCY_DAYS,
        description="Missing for visitors who never purchased.",
    ),
    Field(
        "profile.rfm.frequency",
        NUMBER,
        "Purchase frequency",
        PROFILE,
        Column("orders"),
        unit="orders",
        minimum=0,
    ),
    Field("profile.rfm.monetary", NUMBER, "Monetary value", PROFILE, Column("revenue"), unit=MONEY),
    Field(
        "profile.rfm.r",
        NUMBER,
        "RFM recency score",
        PROFILE,
        Column("rfm_r", nullable=True),
        choices=RFM_SCORE_CHOICES,
        minimum=1,
        maximum=5,
    ),
    Field(
        "profile.rfm.f",
        NUMBER,
        "RFM frequency score",
        PROFILE,
        Column("rfm_f", nullable=True),
        choices=RFM_SCORE_CHOICES,
        minimum=1,
        maximum=5,
    ),
    Field(
        "profile.rfm.m",
        NUMBER,
        "RFM monetary score",
        PROFILE,
        Column("rfm_m", nullable=True),
        choices=RFM_SCORE_CHOICES,
        minimum=1,
        maximum=5,
    ),
    Field(
        "profile.rfm.score",
        STRING,
        "RFM score (R, F and M digits)",
        PROFILE,
        _RFM_SCORE,
        description='Three digits such as "545".',
    ),
    Field(
        "profile.rfm.label",
        STRING,
        "RFM segment",
        PROFILE,
        _RFM_LABEL,
        choices=RFM_LABEL_CHOICES,
        closed=True,
    ),
    Field("profile.visitor_id", STRING, "Visitor id", PROFILE, Column("visitor_id"), hidden=True),
    Field("profile.flags.known", BOOLEAN, "Known customer", PROFILE, _KNOWN, hidden=True),
)

BEHAVIOUR_FIELDS: tuple[Field, ...] = (
    Field(
        "profile.sessions",
        NUMBER,
        "Sessions",
        BEHAVIOUR,
        Column("sessions"),
        unit="sessions",
        minimum=0,
    ),
    Field(
        "profile.events",
        NUMBER,
        "Tracked events",
        BEHAVIOUR,
        Column("events_count"),
        unit="events",
        minimum=0,
    ),
    Field(
        "profile.engagement",
        NUMBER,
        "Engagement score",
        BEHAVIOUR,
        DecayedScore("engagement_log2", "engagement", zero_when_missing=True),
        unit="points",
        ops=ORDERING_ONLY,
        minimum=0,
        description="Weighted events, halving every engagement half-life.",
    ),
    Field(
        "profile.cart.items",
        NUMBER,
        "Items in the cart",
        BEHAVIOUR,
        Column("cart_items"),
        unit="items",
        minimum=0,
    ),
    Field("profile.cart.value", NUMBER, "Cart value", BEHAVIOUR, Column("cart_value"), unit=MONEY),
    Field(
        "profile.cart.updated_at", DATE, "Cart last changed", BEHAVIOUR, Timestamp("last_cart_at")
    ),
    Field(
        "profile.flags.cart_abandoned",
        BOOLEAN,
        "Abandoned a cart",
        BEHAVIOUR,
        ClockFlag("cart_abandoned"),
        description="Something in the cart, untouched for the abandon interval, not bought.",
    ),
    Field(
        "profile.flags.high_intent",
        BOOLEAN,
        "High purchase intent",
        BEHAVIOUR,
        ClockFlag("high_intent"),
        description="Something in the cart and a checkout started or high engagement.",
    ),
)

_LAST_CONTEXT_LABELS = {
    "device": ("Last device", DEVICE_CHOICES),
    "country": ("Last known country", COUNTRY_CHOICES),
    "city": ("Last known city", ()),
    "referrer": ("Last referrer", ()),
    "referrer_host": ("Last referrer site", ()),
    "utm_source": ("Last campaign source (utm_source)", ()),
    "utm_medium": ("Last campaign medium (utm_medium)", ()),
    "utm_campaign": ("Last campaign (utm_campaign)", ()),
}
# What ingest records of the request (tracking.profile_state), plus the referrer's host.
LAST_CONTEXT_FIELDS: tuple[Field, ...] = tuple(
    Field(
        f"profile.last_context.{name}",
        STRING,
        _LAST_CONTEXT_LABELS[name][0],
        PROFILE,
        JsonKey("last_context", (name,)),
        choices=_LAST_CONTEXT_LABELS[name][1],
        closed=bool(_LAST_CONTEXT_LABELS[name][1]),
    )
    for name in (*RECORDED_CONTEXT, "referrer_host")
)

# --- the request ---------------------------------------------------------------------

CONTEXT_FIELDS: tuple[Field, ...] = (
    Field("context.device", STRING, "Device", CONTEXT, None, choices=DEVICE_CHOICES, closed=True),
    Field(
        "context.country", STRING, "Country", CONTEXT, None, choices=COUNTRY_CHOICES, closed=True
    ),
    Field("context.city", STRING, "City", CONTEXT, None),
    Field(
        "context.locale",
        STRING,
        "Language",
        CONTEXT,
        None,
        choices=LANGUAGE_CHOICES,
        description="The page's language (a locale such as de or de-AT).",
    ),
    Field("context.referrer_host", STRING, "Referring site", CONTEXT, None),
    Field("context.utm_source", STRING, "Campaign source (utm_source)", CONTEXT, None),
    Field("context.utm_medium", STRING, "Campaign medium (utm_medium)", CONTEXT, None),
    Field("context.utm_campaign", STRING, "Campaign (utm_campaign)", CONTEXT, None),
    Field("context.url", STRING, "Page URL", CONTEXT, None),
    Field("context.path", STRING, "Page path", CONTEXT, None),
    Field(
        "context.local_hour",
        NUMBER,
        "Visitor's local hour",
        CONTEXT,
        None,
        unit="hour 0-23",
        minimum=0,
        maximum=23,
    ),
    Field(
        "context.local_weekday",
        NUMBER,
        "Visitor's local weekday",
        CONTEXT,
        None,
        choices=WEEKDAY_CHOICES,
        closed=True,
        minimum=1,
        maximum=7,
    ),
    Field("context.logged_in", BOOLEAN, "Signed in", CONTEXT, None),
)

# --- families ------------------------------------------------------------------------

INTEREST_KEY = re.compile(r"[a-z0-9_][a-z0-9_\-/:]*", re.ASCII)

FAMILIES: tuple[FieldFamily, ...] = (
    FieldFamily(
        prefix="profile.interest.",
        key_name="category",
        type=NUMBER,
        label="Interest in {key}",
        group=BEHAVIOUR,
        sql=lambda key: DecayedScore("interest", "interest", keys=(key,)),
        unit="points",
        description="Views, carts and purchases in the category, halving every interest "
        "half-life; a parent category (outdoor) includes its children (outdoor/tents).",
        key_pattern=INTEREST_KEY,
        key_hint="an interest category is lower case, such as profile.interest.home/lighting",
        minimum=0,
        ops=ORDERING_ONLY,
    ),
    FieldFamily(
        prefix="profile.counters.",
        key_name="event type",
        type=NUMBER,
        label="{key} events (all time)",
        group=BEHAVIOUR,
        sql=lambda key: JsonKey("counters", (key,)),
        unit="events",
        event_type_keys=True,
        minimum=0,
    ),
    FieldFamily(
        prefix="context.query.",
        key_name="query parameter",
        type=STRING,
        label="Query parameter {key}",
        group=CONTEXT,
        sql=None,
    ),
)

# --- event properties ----------------------------------------------------------------

# Properties holding a list of objects; a `where` on `items.<property>` tests the lines.
LIST_PROPERTIES = frozenset({"items"})
PRODUCT_EVENTS = ("product_view", "add_to_cart", "remove_from_cart")
EVENT_PROPERTIES: tuple[EventProperty, ...] = (
    EventProperty("category", "Product category", STRING, (*PRODUCT_EVENTS, "search")),
    EventProperty("product_id", "Product id", None, PRODUCT_EVENTS),
    EventProperty("price", "Price", NUMBER, PRODUCT_EVENTS),
    EventProperty("quantity", "Quantity", NUMBER, ("add_to_cart", "remove_from_cart")),
    EventProperty("query", "Search terms", STRING, ("search",)),
    EventProperty("order_id", "Order id", None, ("purchase",)),
    EventProperty("revenue", "Order revenue", NUMBER, ("purchase",)),
    EventProperty("items.category", "Order line: category", STRING, ("purchase",)),
    EventProperty("items.product_id", "Order line: product id", None, ("purchase",)),
    EventProperty("items.price", "Order line: unit price", NUMBER, ("purchase",)),
    EventProperty("items.quantity", "Order line: quantity", NUMBER, ("purchase",)),
    EventProperty(
        "items.line_revenue", "Order line: revenue (price × quantity)", NUMBER, ("purchase",)
    ),
    EventProperty("placement", "Placement", STRING, ("click", "impression")),
)


def line_revenue(line: Any) -> int | float | None:
    """price x quantity of an order line; a line without quantity counts once. Missing
    when the price (or a given quantity) is not a number."""
    if not isinstance(line, dict):
        return None
    price: Any = line.get("price")
    if type(price) not in (int, float):
        return None
    quantity = line.get("quantity")
    if quantity is None:
        unit: int | float = price
        return unit
    if type(quantity) not in (int, float):
        return None
    revenue: int | float = price * quantity
    return revenue


# Derived properties of one order line: (getter, SQL over the line's JSON object).
DERIVED_LINE_PROPERTIES: dict[str, tuple[Any, VendorSql]] = {
    "line_revenue": (
        line_revenue,
        VendorSql(
            postgresql=(
                "CASE WHEN jsonb_typeof({line} -> 'price') = 'number'"
                " AND COALESCE(jsonb_typeof({line} -> 'quantity'), 'null')"
                " IN ('number', 'null')"
                " THEN ({line} ->> 'price')::double precision"
                " * COALESCE(({line} ->> 'quantity')::double precision, 1) END"
            ),
            sqlite=(
                "CASE WHEN json_type({line}, '$.price') IN ('integer', 'real')"
                " AND COALESCE(json_type({line}, '$.quantity'), 'null')"
                " IN ('integer', 'real', 'null')"
                " THEN json_extract({line}, '$.price')"
                " * COALESCE(json_extract({line}, '$.quantity'), 1) END"
            ),
        ),
    ),
}

BUILTIN_REGISTRY = FieldRegistry(
    fields=(
        *PROFILE_FIELDS,
        *LAST_CONTEXT_FIELDS,
        *BEHAVIOUR_FIELDS,
        *CRM_ATTRIBUTES,
        *CONTEXT_FIELDS,
    ),
    families=FAMILIES,
    event_types=EVENT_TYPE_CHOICES,
    event_properties=EVENT_PROPERTIES,
)
