"""The field registry as decisions use it: variant rules it refuses fail closed, and
server-rendered pages give rules their language."""

import logging

import pytest

from content.placement_catalog import placement_catalog
from content.tests.factories import component, placement
from personalization.services import decide
from segments.tests.test_field_registry import NOW, fresh_registry
from tracking.rule_fields import BUILTIN_REGISTRY

pytestmark = pytest.mark.django_db
__all__ = ["fresh_registry"]  # the autouse fixture


def test_a_stored_variant_rule_the_registry_refuses_fails_closed(caplog, settings):
    settings.PZ_MIN_SEGMENT_SIZE = 0
    placement(
        "home-hero",
        [
            {"key": "default", "component": component("hero-a"), "is_fallback": True},
            {
                "key": "stale",
                "component": component("hero-b"),
                "priority": 10,
                # stored before the registry refused it: no device is called "never"
                "context_rule": {"field": "context.device", "op": "eq", "value": "never"},
            },
        ],
    )
    with caplog.at_level(logging.ERROR):
        catalog = placement_catalog("v-stale")
        decision = decide(visitor_id=None, placement_keys=["home-hero"], context={}, now=NOW)
    assert {variant.key for variant in catalog.placements["home-hero"].variants} == {
        "stale",
        "default",
    }
    assert decision.placements["home-hero"].variant == "default"
    assert "is never shown" in caplog.text


def test_server_rendered_pages_give_rules_their_language(rf, settings):
    from personalization.request_decisions import request_context

    settings.LANGUAGE_CODE = "de"
    context = request_context(rf.get("/p/sku-1", HTTP_USER_AGENT="Mozilla/5.0"))
    field = BUILTIN_REGISTRY.lookup("context.locale")
    assert field.read(context) == "de"  # type: ignore[union-attr]
