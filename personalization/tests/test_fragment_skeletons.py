"""Fragments showing a visitor's own data (`{{ visitor.* }}`) are rendered once without
it (a skeleton, which the shared cache may hold) and filled in per request: the page is
what a full rendering gives, and the cache never holds the visitor's values."""

import pickle

import pytest
from django.core.cache import cache
from django.test import Client

import personalization.services
from content.models import Component
from content.rendering import fill_skeleton, render_component, render_skeleton
from content.tests.factories import component, placement
from tracking.models import VisitorProfile
from tracking.selectors import profile_cache_key
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db(transaction=True)
NAMES = ["visitor.first_name", "visitor.city", "visitor.country", "visitor.loyalty_tier"]
VALUES = [None, "", "Anna", '<img src=x onerror="alert(1)">', 'Zoë & "Joe\'s"', "{{ x }}"]


def _values(first_name: object, city: object = "Leeds") -> dict[str, object]:
    return {
        "visitor.first_name": first_name,
        "visitor.city": city,
        "visitor.country": "GB",
        "visitor.loyalty_tier": None,
        "shop.name": "pz shop",
    }


def _article() -> Component:
    body = '<p>For {{ visitor.city|default:"you" }}, <a href="/guides/">guides</a></p>'
    return Component(
        key="guide",
        name="Guide",
        body=[("article", {"heading": "Hi {{ visitor.first_name }}", "body": body, "faq": []})],
    )


@pytest.mark.parametrize("first_name", VALUES)
def test_a_filled_skeleton_is_the_full_rendering(first_name):
    hero = component(
        "hero-hello",
        heading='Hello {{ visitor.first_name|default:"there" }}, {{ shop.name }}',
        subheading="From {{ visitor.city }} ({{ visitor.first_name }})",
    )
    skeleton, first = render_skeleton(
        hero, values=_values("Anna"), deferred=NAMES, placement_key="home-hero"
    )

    assert skeleton.fragment is not None
    assert first == render_component(hero, values=_values("Anna"), placement_key="home-hero")
    assert "Anna" not in pickle.dumps(skeleton).decode("latin-1")
    assert "Leeds" not in pickle.dumps(skeleton).decode("latin-1")
    for city in (None, "Berlin"):
        values = _values(first_name, city)
        expected = render_component(hero, values=values, placement_key="home-hero")
        if "{" in str(first_name):  # template syntax in a value: only a full rendering strips it
            assert fill_skeleton(skeleton, values) is None
        else:
            assert fill_skeleton(skeleton, values) == expected


def test_rich_text_skeletons_are_filled_escaped_like_the_full_rendering():
    article = _article()
    skeleton, _ = render_skeleton(
        article, values=_values("Anna"), deferred=NAMES, placement_key="category-top"
    )

    assert skeleton.fragment is not None
    for values in (_values("<b>Ben</b>", "<i>Leeds</i>"), _values(None, None)):
        expected = render_component(article, values=values, placement_key="category-top")
        assert fill_skeleton(skeleton, values) == expected
    filled = fill_skeleton(skeleton, _values("Ben", "<i>Leeds</i>"))
    assert filled is not None and "<p>For &lt;i&gt;Leeds&lt;/i&gt;, <a" in filled.html


def test_a_visitor_value_in_a_link_is_never_rendered_ahead():
    hero = component("hero-x", heading="Hi {{ visitor.first_name }}", cta_url="/{{ visitor.city }}")

    skeleton, fragment = render_skeleton(
        hero, values=_values("Anna"), deferred=NAMES, placement_key="home-hero"
    )

    assert skeleton.fragment is None
    assert fragment == render_component(hero, values=_values("Anna"), placement_key="home-hero")


def _visitor_named(client: Client, first_name: str) -> None:
    visitor_id = client.get("/cart/").wsgi_request.pz_visitor_id
    ingest_events([{"type": "page_view", "visitor_id": visitor_id, "properties": {}}])
    VisitorProfile.objects.filter(visitor_id=visitor_id).update(
        attributes={"first_name": first_name}
    )
    cache.delete(profile_cache_key(visitor_id))


def stored_skeletons() -> list[bytes]:
    """The cached fragment skeletons as stored (pickled): by key in the tests' local-memory
    cache, or in Redis through django-redis when REDIS_URL is set (CI)."""
    if hasattr(cache, "_cache"):
        stored = list(cache._cache.items())
    else:
        client = cache.client.get_client()
        stored = [(key.decode(), client.get(key)) for key in client.keys("*:skeleton:fragment:*")]
    return [value for key, value in stored if ":skeleton:fragment:" in key]


def test_pages_fill_one_cached_skeleton_and_the_cache_holds_no_visitor_data(monkeypatch):
    hero = component("hero-hello", heading='Hello {{ visitor.first_name|default:"there" }}')
    placement("home-hero", [{"key": "default", "component": hero, "is_fallback": True}])
    rendered_ahead = []
    real = personalization.services.render_skeleton

    def counted(*args, **kwargs):
        rendered_ahead.append(kwargs["values"]["visitor.first_name"])
        return real(*args, **kwargs)

    monkeypatch.setattr(personalization.services, "render_skeleton", counted)
    anna, ben, anonymous = Client(), Client(), Client()
    _visitor_named(anna, "Anna")
    _visitor_named(ben, "Ben")

    pages = [client.get("/").content.decode() for client in (anna, ben, anonymous, anna)]

    assert "Hello Anna" in pages[0] and "Hello Anna" in pages[3]
    assert "Hello Ben" in pages[1] and "Anna" not in pages[1]
    assert "Hello there" in pages[2] and "Anna" not in pages[2] and "Ben" not in pages[2]
    assert rendered_ahead == ["Anna"]  # once; every later page filled the cached skeleton
    skeletons = stored_skeletons()
    assert len(skeletons) == 1
    assert b"Anna" not in skeletons[0] and b"Ben" not in skeletons[0]
