"""The typed visitor context decide and the other apps read: who the request is for,
their consent, profile (only with personalization consent) and segments."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from segments.selectors import visitor_context
from segments.services import segment_save
from tracking.models import VisitorProfile
from tracking.profile_entry import ProfileEntry
from tracking.selectors import get_profile_entry, profile_cache_key
from tracking.services import ingest_events, set_consent
from tracking.tests.factories import make_event

pytestmark = pytest.mark.django_db(transaction=True)
PHONES = {"field": "context.device", "op": "eq", "value": "mobile"}


def test_a_known_visitor_with_consent_is_personalized_with_their_profile():
    segment_save(key="phones", name="Phones", rule=PHONES)
    ingest_events([make_event("product_view", visitor_id="v1")])

    visitor = visitor_context("v1", {"device": "mobile"})

    assert visitor.personalized and isinstance(visitor.profile, ProfileEntry)
    assert visitor.canonical_id == "v1" and visitor.profile.state.visitor_id == "v1"
    assert visitor.bucketing_id == VisitorProfile.objects.get(visitor_id="v1").bucketing_id
    assert visitor.consent.tracking and visitor.consent.personalization
    assert "phones" in visitor.segments and visitor.request == {"device": "mobile"}
    assert not visitor.degraded


def test_without_personalization_consent_there_is_no_profile_but_tracking_stays():
    ingest_events([make_event("product_view", visitor_id="v1")])
    set_consent(visitor_id="v1", tracking=True, personalization=False)

    visitor = visitor_context("v1", {})

    assert visitor.profile is None and not visitor.personalized
    assert visitor.consent.tracking and not visitor.consent.personalization
    assert visitor.canonical_id == "v1"


@override_settings(PZ_DEFAULT_CONSENT={"tracking": False, "personalization": False})
def test_a_visitor_never_seen_has_the_site_default_consent():
    visitor = visitor_context("nobody", {})

    assert visitor.profile is None and visitor.bucketing_id == "nobody"
    assert not visitor.consent.tracking and not visitor.consent.personalization


def test_an_entry_cached_in_the_old_dict_shape_is_read_again_from_the_database():
    ingest_events([make_event("product_view", visitor_id="v1")])
    cache.set(profile_cache_key("v1"), {"state": None, "consent": {}, "bucketing_id": "x"})

    entry = get_profile_entry("v1")

    assert isinstance(entry, ProfileEntry) and entry.state.visitor_id == "v1"
    assert cache.get(profile_cache_key("v1")) == entry  # replaced, not read again each time
