"""The field registry as a running pz uses it: the API refuses unknown fields and values
out of range naming the node, field providers extend it for every consumer, stored rules
it no longer accepts are left out rather than breaking decisions, and the profile
document and request context carry exactly the registered fields."""

import json
import logging
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from core.request_context import headless_context, rule_context
from segments.field_registry import current_registry, forget_registry
from segments.models import Segment, SegmentMembership
from segments.selectors import load_catalog, visitor_context
from segments.services import recompute_segment, segment_save
from tracking.models import VisitorProfile
from tracking.profile_state import ProfileState, profile_document
from tracking.rule_fields import BUILTIN_REGISTRY
from tracking.selectors import profile_settings
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db
PROVIDERS = ["segments.tests.registries.provide_custom_fields"]
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_registry():
    forget_registry()
    yield
    forget_registry()


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def create(client, rule):
    return post(client, "/api/v1/segments", {"key": "s", "name": "S", "rule": rule})


# --- the API: a 400 naming the node, never a silently empty segment, never a 500 ---------


def test_an_unknown_field_is_a_400_naming_the_node(staff_client):
    rule = {
        "all": [
            {"field": "profile.orders", "op": "gte", "value": 1},
            {"field": "context.device", "op": "eq", "value": "mobile"},
            {"field": "profile.foo", "op": "eq", "value": 1},
        ]
    }
    response = create(staff_client, rule)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"]["rule"] == "all[2].field: unknown field profile.foo"
    assert error["fields"]["rule_errors"] == [
        {"path": "all[2].field", "reason": "unknown field profile.foo"}
    ]
    assert not Segment.objects.exists()
    preview = post(staff_client, "/api/v1/segments/preview", {"rule": rule})
    assert preview.status_code == 400
    assert preview.json()["error"]["fields"]["rule"] == "all[2].field: unknown field profile.foo"


@pytest.mark.parametrize(
    ("leaf", "path"),
    [
        ({"field": "profile.rfm.recency_days", "op": "gt", "value": 2**52}, "value"),
        ({"field": "profile.rfm.recency_days", "op": "lte", "value": 1e300}, "value"),
        ({"field": "profile.first_seen", "op": "lte", "value": "9999-12-31"}, "value"),
        ({"field": "profile.last_seen", "op": "gt", "value": "0001-01-01T00:00:00+05:00"}, "value"),
        ({"field": "context.local_weekday", "op": "eq", "value": 8}, "value"),
        ({"field": "context.country", "op": "eq", "value": "Germany"}, "value"),
        ({"field": "profile.rfm.label", "op": "eq", "value": "vip"}, "value"),
        ({"field": "profile.cart.lines", "op": "exists", "value": True}, "field"),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/segments", "/api/v1/segments/preview"])
def test_values_out_of_range_are_a_400_naming_the_node(staff_client, leaf, path, url):
    rule = {"any": [{"field": "profile.orders", "op": "gte", "value": 1}, leaf]}
    response = post(staff_client, url, {"key": "s", "name": "S", "rule": rule})

    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["rule"].startswith(f"any[1].{path}: ")


def test_the_rule_fields_endpoint_lists_the_registry(staff_client, api_client):
    body = staff_client.get("/api/v1/rule-fields").json()

    assert body == json.loads(json.dumps(BUILTIN_REGISTRY.as_json()))
    assert api_client.get("/api/v1/rule-fields").status_code in (401, 403)


def test_the_openapi_schema_documents_the_registered_fields(staff_client):
    schema = staff_client.get("/api/v1/schema/?format=json").json()
    rule = schema["components"]["schemas"]["SegmentInput"]["properties"]["rule"]
    for field in BUILTIN_REGISTRY.fields:
        if not field.hidden:
            assert f"`{field.path}`" in rule["description"]
    assert "items.line_revenue" in rule["description"]


# --- providers extend the registry for every consumer ------------------------------------


def test_a_provider_adds_fields_for_validation_sql_real_time_and_the_builder(
    staff_client, admin_client
):
    ingest_events([{"type": "page_view", "visitor_id": v} for v in ("gold", "plain")], now=NOW)
    VisitorProfile.objects.filter(visitor_id="gold").update(attributes={"tier": "gold"})
    rule = {"field": "attributes.tier", "op": "eq", "value": "gold"}

    assert create(staff_client, rule).json()["error"]["fields"]["rule"] == (
        "field: unknown field attributes.tier"
    )
    with override_settings(PZ_RULE_FIELD_PROVIDERS=PROVIDERS):
        forget_registry()
        assert create(staff_client, rule).status_code == 201
        recompute_segment(segment_id=Segment.objects.get(key="s").pk)
        members = SegmentMembership.objects.filter(segment__key="s", left_at__isnull=True)
        assert list(members.values_list("visitor_id", flat=True)) == ["gold"]
        assert "s" in visitor_context("gold", {}).segments
        assert "s" not in visitor_context("plain", {}).segments
        fields = {f["path"]: f for f in staff_client.get("/api/v1/rule-fields").json()["fields"]}
        assert fields["attributes.tier"]["label"] == "Tier"
        html = admin_client.get("/admin/segments/new/").content.decode()
        assert '"path": "attributes.tier"' in html
        wishlist = {"events": {"type": "wishlist_add", "within": "7d"}, "op": "gte", "value": 1}
        assert post(staff_client, "/api/v1/segments/preview", {"rule": wishlist}).json() == {
            "count": 0,
            "real_time_only": False,
            "suppressed": False,
        }


def test_a_stored_rule_the_registry_no_longer_accepts_is_left_out_not_fatal(caplog):
    ingest_events([{"type": "page_view", "visitor_id": "v1"}], now=NOW)
    VisitorProfile.objects.filter(visitor_id="v1").update(attributes={"tier": "gold"})
    with override_settings(PZ_RULE_FIELD_PROVIDERS=PROVIDERS):
        forget_registry()
        stale = segment_save(
            key="tiered",
            name="Tiered",
            rule={"field": "attributes.tier", "op": "eq", "value": "gold"},
        )
        assert recompute_segment(segment_id=stale.pk).size == 1
    forget_registry()  # the provider is gone: attributes.tier is unknown now
    segment_save(
        key="viewers", name="Viewers", rule={"field": "profile.events", "op": "gte", "value": 1}
    )

    with caplog.at_level(logging.ERROR):
        catalog = load_catalog(version="v-after")
        result = recompute_segment(segment_id=stale.pk)
    assert set(catalog.rules) == {"viewers"}
    assert visitor_context("v1", {}).segments == ("viewers",)
    assert result.size == 1  # the last materialized members are kept, not recomputed
    assert "tiered is left out" in caplog.text and "tiered is not recomputed" in caplog.text


# --- the registry and what feeds it agree ----------------------------------------------------


def test_every_registered_profile_field_is_a_path_of_the_profile_document():
    state = ProfileState(visitor_id="v1")
    document = profile_document(state, NOW, profile_settings(), exact=True)
    for field in BUILTIN_REGISTRY.fields:
        if field.source != "profile":
            continue
        container = document
        *parents, last = field.path.split(".")[1:]
        for key in parents:
            container = container[key]
        assert last in container or parents == ["last_context"], field.path


def test_the_request_context_carries_exactly_the_registered_context_fields():
    meta = {
        "HTTP_USER_AGENT": "Mozilla/5.0 (iPhone) Mobile",
        "HTTP_ACCEPT_LANGUAGE": "de-AT",
        "HTTP_REFERER": "https://news.example/a",
    }
    page = rule_context(
        meta,
        path="/p/sku-1",
        query={"utm_source": "mail", "utm_medium": "email", "utm_campaign": "spring"},
        logged_in=True,
        local_time=NOW,
        locale="de",
    )
    headless = headless_context(
        {"device": "mobile", "city": "Berlin", "locale": "de-AT", "url": "/x?q=1"}, now=NOW
    )
    produced = {f"context.{name}" for name in {*page, *headless}}
    registered = {f.path for f in BUILTIN_REGISTRY.fields if f.source == "context"}
    # `referrer` is recorded for the profile (profile.last_context.referrer_host reads it)
    assert produced - {"context.query", "context.referrer"} == registered
    assert page["locale"] == "de"  # server-rendered pages know their language too


def test_every_context_rule_of_the_request_is_read_by_the_registry_getters():
    context = headless_context({"device": "tablet", "country": "de"}, now=NOW)
    for path, expected in (("context.device", "tablet"), ("context.country", "DE")):
        field = current_registry().lookup(path)
        assert field.read(context) == expected  # type: ignore[union-attr]


def test_recency_beyond_the_calendar_compiles_without_overflow():
    """Stored rules validated before the bounds existed still compile (no 500)."""
    from segments.sql import SqlRuleCompiler, members_queryset

    compiler = SqlRuleCompiler(
        now=NOW, settings=profile_settings(), rule_segments={}, materialized_segments={}
    )
    ingest_events(
        [{"type": "purchase", "visitor_id": "v1", "properties": {"order_id": "1", "revenue": 5}}],
        now=NOW,
    )
    condition = compiler._days_since("last_purchase_at", "lt", 2**52)
    assert list(members_queryset(condition).values_list("visitor_id", flat=True)) == ["v1"]
