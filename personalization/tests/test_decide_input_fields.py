"""Decide's input serializer with shallow-copied fields (core.api.serializers) validates
exactly as with DRF's deep-copied ones, and instances validating at the same time
(gunicorn threads) do not see each other's fields."""

import copy
import threading

import pytest

from personalization.api.serializers import DecideContextSerializer, DecideInputSerializer


class DeepCopiedContext(DecideContextSerializer):
    def get_fields(self):  # DRF's own behaviour
        return copy.deepcopy(self._declared_fields)


class DeepCopiedInput(DecideInputSerializer):
    context = DeepCopiedContext(required=False, default=dict)

    def get_fields(self):
        return copy.deepcopy(self._declared_fields)


BODIES = [
    {"visitor_id": "v-1", "placements": ["home-hero", "home-recs"], "context": {"url": "/"}},
    {"placements": ["home-hero"]},
    {"placements": []},
    {"placements": ["no spaces"], "visitor_id": "x" * 300},
    {"placements": ["a"] * 21, "context": {"country": "DEU", "device": "d" * 40}},
    {"placements": "home-hero", "context": {"url": "http://[::1", "logged_in": "maybe"}},
    {"context": {"local_time": "yesterday", "locale": "x" * 20}},
    {"placements": [None, 3], "context": []},
]


def outcome(serializer_class, body):
    serializer = serializer_class(data=body)
    if serializer.is_valid():
        return "valid", serializer.validated_data
    return "invalid", serializer.errors


@pytest.mark.parametrize("body", BODIES)
def test_validation_matches_drf_deep_copied_fields(body):
    assert outcome(DecideInputSerializer, body) == outcome(DeepCopiedInput, body)


def test_the_declared_fields_are_never_bound():
    DecideInputSerializer(data=BODIES[0]).is_valid()
    for declared in (
        DecideInputSerializer._declared_fields,
        DecideContextSerializer._declared_fields,
    ):
        assert all(field.parent is None and field.field_name is None for field in declared.values())


def test_each_instance_binds_its_own_copies():
    first, second = DecideInputSerializer(data=BODIES[0]), DecideInputSerializer(data=BODIES[1])
    assert first.fields["placements"] is not second.fields["placements"]
    assert first.fields["placements"].parent is first
    assert second.fields["context"].fields["url"].parent is second.fields["context"]


def test_concurrent_validations_keep_their_own_results():
    failures: list[str] = []

    def validate(n: int) -> None:
        for _ in range(200):
            body = {"visitor_id": f"v-{n}", "placements": [f"p-{n}"], "context": {"url": f"/{n}"}}
            serializer = DecideInputSerializer(data=body)
            if not serializer.is_valid() or serializer.validated_data != body:
                failures.append(f"thread {n}")

    threads = [threading.Thread(target=validate, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
