"""Delivering personalized content on server-rendered pages: safe placeholders, no
cross-visitor leaks, graceful degradation, one decision per page, segment conditions in
templates and staff preview."""

import pytest
from django.core.cache import cache, caches
from django.db import OperationalError
from django.template import Context, Template
from django.test import Client, RequestFactory

import personalization.request_decisions
import personalization.services
import segments.selectors
from content.rendering import render_component
from content.tests.factories import component, placement
from segments.services import segment_save
from tracking.models import VisitorProfile
from tracking.selectors import profile_cache_key
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db(transaction=True)
MOBILE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def _visitor(client: Client) -> str:
    return client.get("/cart/").wsgi_request.pz_visitor_id


def _give_attributes(visitor_id: str, **attributes: str) -> None:
    ingest_events([{"type": "page_view", "visitor_id": visitor_id, "properties": {}}])
    VisitorProfile.objects.filter(visitor_id=visitor_id).update(attributes=attributes)
    cache.delete(profile_cache_key(visitor_id))


def _buy(visitor_id: str) -> None:
    ingest_events(
        [
            {
                "type": "purchase",
                "visitor_id": visitor_id,
                "properties": {"order_id": f"o-{visitor_id}", "revenue": 900},
            }
        ]
    )


@pytest.fixture
def champions(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    segment = segment_save(
        key="champions",
        name="Champions",
        rule={"field": "profile.orders", "op": "gt", "value": 0},
        placeholder_values={"discount_code": "THANKYOU15"},
    )
    _buy("v-first-champion")  # big enough to target before the tests' visitors arrive
    return segment


@pytest.fixture
def home(champions):
    """Three placements on the home page: a hero with a champions variant, a banner and
    a recommendations carousel."""
    placement(
        "home-hero",
        [
            {
                "key": "default",
                "component": component(
                    "hero-hello", heading='Hello {{ visitor.first_name|default:"there" }}'
                ),
                "is_fallback": True,
            },
            {
                "key": "vip",
                "component": component(
                    "hero-vip", heading="VIP code {{ segment.discount_code }}", theme="accent"
                ),
                "priority": 500,
                "segments_any": ["champions"],
            },
        ],
    )
    placement(
        "site-banner",
        [
            {
                "key": "default",
                "component": component("free-shipping", kind="offer", heading="Free shipping"),
                "is_fallback": True,
            }
        ],
    )
    placement(
        "home-recs",
        [
            {
                "key": "default",
                "component": component("for-you", kind="recommendations"),
                "is_fallback": True,
            }
        ],
    )


# Placeholders: a whitelist, never template code.


def test_editor_template_code_is_never_evaluated(settings):
    hero = component(
        "hero-evil",
        heading="{% load static %}{{ settings.SECRET_KEY }} {{ request.user }} Hi",
        subheading='{{ visitor.first_name|default:"<script>alert(1)</script>" }}',
        cta_text="{% debug %}Go",
    )

    fragment = render_component(hero, values={}, placement_key="home-hero")

    assert settings.SECRET_KEY not in fragment.html
    assert "<script>" not in fragment.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment.html
    assert "{%" not in fragment.html and "{{" not in fragment.html
    assert "static" not in fragment.html and "AnonymousUser" not in fragment.html
    assert fragment.data["heading"].strip() == "Hi"
    assert {"settings.SECRET_KEY", "request.user"} <= set(fragment.unknown_tokens)
    assert "{% load static %}" in fragment.unknown_tokens
    assert "{% debug %}" in fragment.unknown_tokens


def test_visitor_values_are_escaped_and_not_evaluated(settings):
    hero = component("hero-name", heading="Hello {{ visitor.first_name }}")
    values = {"visitor.first_name": '<img src=x onerror="alert(1)">{{ settings.SECRET_KEY }}'}

    fragment = render_component(hero, values=values, placement_key="home-hero")

    assert "<img" not in fragment.html and "&lt;img" in fragment.html
    assert settings.SECRET_KEY not in fragment.html
    assert fragment.unknown_tokens == ["{{ settings.SECRET_KEY }}"]


def test_rich_text_placeholders_are_escaped():
    from content.models import Component

    article = Component(
        key="guide",
        name="Guide",
        body=[
            (
                "article",
                {
                    "heading": "Guide",
                    "body": "<p>For {{ visitor.city }} {{ request.META }}</p>",
                    "faq": [],
                },
            )
        ],
    )

    fragment = render_component(
        article, values={"visitor.city": "<b>Leeds</b>"}, placement_key="category-top"
    )

    assert "<p>For &lt;b&gt;Leeds&lt;/b&gt; </p>" in fragment.html
    assert fragment.unknown_tokens == ["request.META"]


def test_a_page_shows_no_secret_from_editor_text(settings, client):
    placement(
        "home-hero",
        [
            {
                "key": "default",
                "component": component(
                    "hero-evil", heading="{{ settings.SECRET_KEY }}{% load static %}Welcome"
                ),
                "is_fallback": True,
            }
        ],
    )

    response = client.get("/")

    assert response.status_code == 200
    assert settings.SECRET_KEY not in response.content.decode()
    assert "Welcome" in response.content.decode()


# Cache isolation between visitors.


def test_one_visitors_data_never_reaches_another(home):
    anna, other = Client(), Client()
    _give_attributes(_visitor(anna), first_name="Anna")

    first = anna.get("/")
    right_after = other.get("/")
    again = anna.get("/")

    assert "Hello Anna" in first.content.decode()
    assert "Anna" not in right_after.content.decode()
    assert "Hello there" in right_after.content.decode()
    assert "Hello Anna" in again.content.decode()
    for response in (first, right_after):
        assert "private" in response["Cache-Control"]
        assert "Cookie" in response["Vary"]


def test_segment_content_is_not_shared_with_non_members(home):
    member, other = Client(), Client()
    _buy(_visitor(member))

    assert "VIP code THANKYOU15" in member.get("/").content.decode()
    assert "VIP code" not in other.get("/").content.decode()


# Degradation.


def test_pages_render_when_redis_is_unreachable(home, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6390/0",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.1,
                "SOCKET_TIMEOUT": 0.1,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    assert type(caches["default"]).__name__ == "RedisCache"  # and nothing listens there
    client = Client()
    _buy(_visitor(client))

    response = client.get("/")

    assert response.status_code == 200
    assert 'data-pz-placement="home-hero"' in response.content.decode()
    assert "VIP code THANKYOU15" in response.content.decode()
    assert "Free shipping" in response.content.decode()


def _break_segments(monkeypatch) -> None:
    def unavailable(*args, **kwargs):
        raise OperationalError("database is down")

    # The function and every module that imported it by name.
    for module in (segments.selectors, personalization.services):
        monkeypatch.setattr(module, "visitor_context", unavailable)


def test_a_database_error_during_the_decision_shows_the_fallback(home, monkeypatch):
    client = Client()
    _buy(_visitor(client))
    assert "VIP code" in client.get("/").content.decode()
    _break_segments(monkeypatch)

    response = client.get("/")

    assert response.status_code == 200
    assert 'data-pz-variant="default"' in response.content.decode()
    assert "Hello there" in response.content.decode()
    assert "VIP code" not in response.content.decode()


def test_a_database_error_in_a_segment_condition_renders_the_else_branch(monkeypatch):
    _break_segments(monkeypatch)
    request = RequestFactory().get("/")
    request.pz_visitor_id = "v-down"

    html = Template(
        '{% load pz %}{% pz_if_segment "champions" %}VIP{% else %}guest{% endpz_if_segment %}'
    ).render(Context({"request": request}))

    assert html == "guest"


# One decision per page.


def test_a_page_with_three_placements_makes_one_decision(home, monkeypatch):
    calls = []
    real_decide = personalization.request_decisions.decide

    def counting_decide(**kwargs):
        calls.append(kwargs["placement_keys"])
        return real_decide(**kwargs)

    monkeypatch.setattr(personalization.request_decisions, "decide", counting_decide)
    monkeypatch.setattr(personalization.services, "decide", counting_decide)

    response = Client().get("/")

    assert response.status_code == 200
    assert len(calls) == 1
    assert {"home-hero", "site-banner", "home-recs"} <= set(calls[0])
    content = response.content.decode()
    for key in ("home-hero", "site-banner", "home-recs"):
        assert f'data-pz-placement="{key}"' in content
    assert "<!--pz:placement:" not in content


# Segment conditions in templates.


def _render_if_segment(visitor_id: str | None, **query: str) -> str:
    request = RequestFactory().get("/", query)
    request.pz_visitor_id = visitor_id
    template = Template(
        '{% load pz %}{% pz_if_segment "champions" "high-value" %}VIP'
        "{% else %}guest{% endpz_if_segment %}"
    )
    return template.render(Context({"request": request}))


def test_pz_if_segment_shows_members_the_first_branch(champions):
    ingest_events([{"type": "page_view", "visitor_id": "v-guest", "properties": {}}])
    _buy("v-member")

    assert _render_if_segment("v-member") == "VIP"
    assert _render_if_segment("v-guest") == "guest"
    assert _render_if_segment(None) == "guest"


def test_pz_if_segment_without_else_renders_nothing_for_others(champions):
    request = RequestFactory().get("/")
    request.pz_visitor_id = "v-guest"

    html = Template('{% load pz %}[{% pz_if_segment "champions" %}VIP{% endpz_if_segment %}]')

    assert html.render(Context({"request": request})) == "[]"


def test_the_header_shows_a_vip_badge_to_a_signed_in_champion(champions, client):
    client.post("/account/login/", {"customer_id": "12748"})
    assert "vip-badge" not in client.get("/").content.decode()
    _buy(client.get("/").wsgi_request.pz_visitor_id)

    assert "vip-badge" in client.get("/").content.decode()


# Staff preview.


def test_staff_can_preview_a_page_as_a_segment(home, client, django_user_model):
    staff = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    client.force_login(staff)

    preview = client.get("/?pz_preview_segments=champions")
    normal = client.get("/")

    assert "VIP code" in preview.content.decode()
    assert 'data-pz-variant="vip"' in preview.content.decode()
    assert "VIP code" not in normal.content.decode()
    assert "private" in preview["Cache-Control"]


def test_visitors_cannot_preview_segments(home, client, django_user_model):
    assert "VIP code" not in client.get("/?pz_preview_segments=champions").content.decode()
    shopper = django_user_model.objects.create_user("shopper", password="pw")
    client.force_login(shopper)
    assert "VIP code" not in client.get("/?pz_preview_segments=champions").content.decode()


def test_a_page_with_segment_tags_and_placements_evaluates_segments_once(home, monkeypatch):
    """A `pz_if_segment` tag (like base.html's VIP badge) and the page's placements share
    one evaluation of the visitor's segments."""
    calls = []
    real = segments.selectors.current_catalog

    def counting(*args, **kwargs):  # once per evaluation, whoever imported visitor_context
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(segments.selectors, "current_catalog", counting)
    request = RequestFactory().get("/")
    request.pz_visitor_id = "v-once"
    Template(
        '{% load pz %}{% pz_if_segment "champions" %}VIP{% endpz_if_segment %}'
        '{% pz_placement "home-hero" %}'
    ).render(Context({"request": request}))
    decision = personalization.request_decisions.decide_for_request(request, ["home-hero"])

    assert decision.placements["home-hero"] is not None
    assert len(calls) == 1
