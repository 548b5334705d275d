"""The documented events request is derived from the ingest validator: every key, context
key and the batch limit the validator accepts is in the OpenAPI schema, and nothing else."""

from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from tracking.event_validation import BOOLEAN_CONTEXT_KEYS, CONTEXT_KEYS, EVENT_KEYS, EVENT_TYPES

SCHEMAS = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


def test_the_event_schema_has_the_validators_keys_and_types():
    event = SCHEMAS["Event"]["properties"]
    assert set(event) == EVENT_KEYS
    # Shops register their own types, so the type is text that names the built-in ones.
    assert all(name in event["type"]["description"] for name in EVENT_TYPES)


def test_the_context_schema_has_every_context_key_the_validator_accepts():
    context = SCHEMAS["EventContext"]["properties"]
    assert set(context) == CONTEXT_KEYS
    assert {key for key, spec in context.items() if spec["type"] == "boolean"} == (
        BOOLEAN_CONTEXT_KEYS
    )


def test_the_batch_limit_is_the_one_ingest_enforces():
    assert SCHEMAS["EventBatch"]["properties"]["events"]["maxItems"] == (
        settings.PZ_MAX_BATCH_EVENTS
    )
