"""Segment-format events into pz: each message mapped (`integrations.segment_format`), its
visitor resolved, and the batch ingested as the shop's backend would post it (server key:
`identify` stitches, API.md "Event sources in other formats")."""

from datetime import datetime
from typing import Any

from django.conf import settings

from core.client_input import find_unstorable, is_visitor_id
from integrations.segment_format import Mapped, map_message
from tracking.customer_keys import customer_key
from tracking.definitions import attribute_value_error, current_definitions
from tracking.services import IngestResult, ingest_events, known_profile, upsert_customers

# Segment's identify traits that pz keeps under its own names.
PERSONAL_TRAITS = {"email": "email", "firstName": "first_name", "first_name": "first_name"}


def visitor_id_of(mapped: Mapped) -> str:
    """anonymousId when it fits pz's id syntax, else its keyed hash; a message with only a
    userId belongs to that customer's profile."""
    if mapped.anonymous_id is not None:
        if is_visitor_id(mapped.anonymous_id):
            return mapped.anonymous_id
        digest = customer_key(f"segment:{mapped.anonymous_id}", settings.PZ_CUSTOMER_ID_PEPPER)
        return f"sg{digest[:40]}"
    assert mapped.user_id is not None  # noqa: S101 - map_message requires one of them
    return known_profile(mapped.user_id).visitor_id


def _customer_from_traits(user_id: str, traits: dict[str, Any]) -> dict[str, Any] | None:
    """An identify's traits as a `PUT /customers` item: e-mail, first name and the traits
    that are defined attributes with a valid value (the others are not pz's to keep)."""
    item: dict[str, Any] = {"customer_id": user_id, "attributes": {}}
    specs = current_definitions().attributes
    for name, value in traits.items():
        if name in PERSONAL_TRAITS and isinstance(value, str) and value:
            item[PERSONAL_TRAITS[name]] = value
        elif name in specs and name not in ("email", "first_name"):
            if value is not None and attribute_value_error(specs[name], value) is None:
                item["attributes"][name] = value
    return item if len(item) > 2 or item["attributes"] else None


def ingest_segment_messages(
    messages: list[object], *, default_type: str | None = None, now: datetime | None = None
) -> IngestResult:
    """Ingest Segment messages; rejections carry the message's index in the batch."""
    rejected: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    positions: list[int] = []
    customers: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        unstorable = find_unstorable(message, path="")
        if unstorable is not None:
            rejected.append(
                {"index": index, "errors": {unstorable[0].lstrip(".") or "message": unstorable[1]}}
            )
            continue
        mapped = map_message(message, default_type)
        if not isinstance(mapped, Mapped):
            rejected.append({"index": index, "errors": mapped})
            continue
        events.append({**mapped.event, "visitor_id": visitor_id_of(mapped)})
        positions.append(index)
        if mapped.event["type"] == "login" and mapped.user_id and mapped.traits:
            customer = _customer_from_traits(mapped.user_id, mapped.traits)
            if customer:
                customers.append(customer)
    result = ingest_events(events, now=now, verify_identity=False)
    for rejection in result.rejected:
        rejected.append({**rejection, "index": positions[rejection["index"]]})
    result.rejected = sorted(rejected, key=lambda rejection: rejection["index"])
    if customers:
        upsert_customers(customers)
    return result
