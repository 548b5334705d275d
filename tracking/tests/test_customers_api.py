"""Customer attribute definitions and `PUT /api/v1/customers`."""

import json

import pytest
from django.conf import settings

from tracking.customer_keys import customer_key
from tracking.models import AttributeDefinition, VisitorProfile

pytestmark = pytest.mark.django_db
TIER = {"key": "tier", "type": "string", "choices": ["gold", "silver"], "label": "Tier"}


def send(client, method, url, body):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def attributes_of(customer_id):
    key = customer_key(customer_id, settings.PZ_CUSTOMER_ID_PEPPER)
    return VisitorProfile.objects.get(customer_key=key).attributes


def define(staff_client, body):
    response = send(staff_client, "post", "/api/v1/attributes", body)
    assert response.status_code == 201, response.json()
    return response.json()


def test_attributes_are_defined_and_listed_with_the_built_in_columns(staff_client):
    assert define(staff_client, TIER) == {**TIER, "builtin": False}
    listing = {row["key"]: row for row in staff_client.get("/api/v1/attributes").json()}
    assert listing["tier"]["choices"] == ["gold", "silver"]
    assert listing["age_band"]["builtin"] is True
    assert send(staff_client, "post", "/api/v1/attributes", TIER).status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "9x", "type": "string"}, "key"),
        ({"key": "x", "type": "money"}, "type"),
        ({"key": "x", "type": "number", "choices": ["a"]}, "choices[0]"),
        ({"key": "x", "type": "boolean", "choices": [True]}, "choices"),
    ],
)
def test_bad_definitions_are_a_400_naming_the_field(staff_client, body, field):
    response = send(staff_client, "post", "/api/v1/attributes", body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_definition_replaces_a_built_in_column(staff_client):
    define(staff_client, {"key": "loyalty_tier", "type": "string", "choices": ["vip", "std"]})
    fields = {f["path"]: f for f in staff_client.get("/api/v1/rule-fields").json()["fields"]}
    assert [c["value"] for c in fields["attributes.loyalty_tier"]["choices"]] == ["vip", "std"]


def test_customers_are_created_updated_and_unchanged_with_per_item_errors(
    staff_client, server_api_client
):
    define(staff_client, TIER)
    define(staff_client, {"key": "points", "type": "number"})
    define(staff_client, {"key": "vip", "type": "boolean"})
    define(staff_client, {"key": "joined", "type": "date"})
    first = {
        "customer_id": "C-1",
        "email": "ada@example.com",
        "first_name": "Ada",
        "attributes": {"tier": "gold", "points": 120, "vip": True, "joined": "2024-05-01"},
    }
    bad = [
        {"customer_id": "", "attributes": {"tier": "bronze"}},
        {"customer_id": "C-3", "attributes": {"points": "many", "unknown": 1}},
        {"customer_id": "C-4", "email": "nope"},
    ]
    body = send(server_api_client, "put", "/api/v1/customers", {"customers": [first, *bad]})
    assert body.status_code == 200
    report = body.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 0, 0)
    assert report["rejected"] == [
        {
            "index": 1,
            "errors": {
                "customer_id": "is required (1 to 128 characters)",
                "attributes.tier": "must be one of gold, silver",
            },
        },
        {
            "index": 2,
            "errors": {
                "attributes.points": "must be a number",
                "attributes.unknown": "not a defined attribute; define it with POST "
                "/api/v1/attributes or in the admin",
            },
        },
        {"index": 3, "errors": {"email": "is not an email address (got 'nope')"}},
    ]
    assert attributes_of("C-1") == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "tier": "gold",
        "points": 120,
        "vip": True,
        "joined": "2024-05-01",
    }
    again = send(
        server_api_client,
        "put",
        "/api/v1/customers",
        {"customers": [first, {"customer_id": "C-1", "attributes": {"vip": None}}]},
    ).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 1)
    assert "vip" not in attributes_of("C-1")
    assert VisitorProfile.objects.count() == 1


def test_customers_need_a_server_key_or_staff_and_a_bounded_body(
    api_client, staff_client, server_api_client
):
    body = {"customers": [{"customer_id": "C-1"}]}
    assert send(api_client, "put", "/api/v1/customers", body).status_code in (401, 403)
    assert send(staff_client, "put", "/api/v1/customers", body).json()["created"] == 1
    too_many = {"customers": [{"customer_id": str(n)} for n in range(1001)]}
    response = send(server_api_client, "put", "/api/v1/customers", too_many)
    assert response.status_code == 400
    assert "customers" in response.json()["error"]["fields"]
    assert send(server_api_client, "put", "/api/v1/customers", [1]).status_code == 400
    assert AttributeDefinition.objects.count() == 0
