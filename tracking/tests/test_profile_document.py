"""The profile document rules read is worked out key by key, and equals the one the API
shows; a cached profile pickles as its constructor's arguments and still loads from the
pickles written before that."""

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from tracking import profile_state
from tracking.profile_entry import ProfileEntry
from tracking.profile_state import ProfileDocument, ProfileSettings, ProfileState, profile_document

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CFG = ProfileSettings()


def shopper() -> ProfileState:
    return ProfileState(
        visitor_id="v1",
        customer_key="key-v1",
        first_seen=NOW - timedelta(days=30),
        last_seen=NOW - timedelta(minutes=5),
        sessions=4,
        events_count=31,
        counters={"product_view": 20, "add_to_cart": 3, "purchase": 2},
        interest={"lamps": 6.0, "desks": 0.0, "outdoor/tents": 2.5},
        engagement_log2=4.2,
        cart={"SKU-1": {"quantity": 2, "price": 19.95, "category": "lamps"}},
        last_cart_at=NOW - timedelta(hours=2),
        orders=2,
        revenue=123.45,
        last_purchase_at=NOW - timedelta(days=3),
        rfm_r=4,
        rfm_f=2,
        rfm_m=3,
        last_context={"device": "mobile"},
        attributes={"first_name": "Ada"},
    )


@pytest.mark.parametrize("exact", [True, False])
def test_the_document_read_key_by_key_equals_the_whole_one(exact):
    document = ProfileDocument(shopper(), NOW, CFG, exact=exact)
    whole = profile_document(shopper(), NOW, CFG, exact=exact)

    assert {key: document[key] for key in document} == whole
    assert list(document) == list(whole) and len(document) == len(whole)
    assert document.get("orders") == 2 and document.get("no-such-key", "none") == "none"
    assert "cart" in document and "no-such-key" not in document
    with pytest.raises(KeyError):
        document["no-such-key"]


def test_only_the_keys_read_are_worked_out(monkeypatch):
    calls = []
    flags = profile_state.PROFILE_SECTIONS["flags"]

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(args[0].visitor_id)
        return flags(*args)

    monkeypatch.setitem(profile_state.PROFILE_SECTIONS, "flags", counted)
    document = ProfileDocument(shopper(), NOW, CFG, exact=True)

    assert document["orders"] == 2 and document["cart"]["items"] == 2
    assert calls == []
    assert document["flags"]["cart_abandoned"] is True
    assert document.get("flags") is document["flags"]
    assert calls == ["v1"]


def test_a_cached_profile_round_trips_and_an_older_pickle_still_loads(monkeypatch):
    entry = ProfileEntry(
        state=shopper(),
        tracking_choice=True,
        personalization_choice=None,
        bucketing_id="b-1",
        marketing_email_choice=True,
        marketing_email_address="ada@example.com",
    )
    assert pickle.loads(pickle.dumps(entry)) == entry  # noqa: S301 - our own bytes

    # Written before entries pickled as constructor arguments: the slots' state.
    monkeypatch.delattr(ProfileState, "__reduce__")
    monkeypatch.delattr(ProfileEntry, "__reduce__")
    older = pickle.dumps(entry)
    monkeypatch.undo()
    assert pickle.loads(older) == entry  # noqa: S301 - our own bytes


def test_cached_fields_keep_their_positions():
    # Cached profiles pickle their fields by position: a field may be added last (with a
    # default), never moved or removed, unless the profile cache prefix changes with it.
    assert ProfileState.__match_args__[:22] == (
        "visitor_id",
        "customer_key",
        "first_seen",
        "last_seen",
        "sessions",
        "last_session_id",
        "events_count",
        "counters",
        "interest",
        "engagement_log2",
        "cart",
        "last_cart_at",
        "checkout_started_at",
        "orders",
        "revenue",
        "first_purchase_at",
        "last_purchase_at",
        "rfm_r",
        "rfm_f",
        "rfm_m",
        "last_context",
        "attributes",
    )
    assert ProfileEntry.__match_args__[:7] == (
        "state",
        "tracking_choice",
        "personalization_choice",
        "bucketing_id",
        "marketing_email_choice",
        "marketing_email_confirmed",
        "marketing_email_address",
    )
