"""Poison inputs against every operation of the API, and every later read still answers.

Schemathesis (test_fuzz_api.py) generates values from the schema's own types and missed
every class below, because each of them is a valid JSON value of the right type. Here
hypothesis starts from a plausible body built from the operation's OpenAPI request
schema (so a new endpoint is covered without a line here), then puts ONE poison into it:
a lone surrogate or NUL in a string or key, a non-finite or absurd number, a timestamp
at the calendar's ends with an offset, a URL urlsplit cannot read, a list where an
object is expected. Query and path parameters get their own poison.

Every response must be below 500, a 4xx must have the API's error shape, and after it
every read of what the poison could have reached answers 200: the victim's profile and
GDPR export, the CTR report, an experiment's results, the segment list and a segment.
Staff operations go out as a superuser; public ones as the shop's server caller.
"""

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from content.tests.factories import component, placement
from experiments.services import experiment_create, experiment_start
from segments.services import segment_save
from tracking.services import ingest_events

pytestmark = pytest.mark.django_db

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
API_PREFIX = "/api/v1/"
VICTIM = "victim-1"
SEGMENT = "poison-target"
EXPERIMENT = "poison-test"
NOW = datetime.now(UTC)
EXAMPLES = 12  # per operation; derandomized, so a failure reproduces
# Where poison is stored, more: each example puts one poison in one of many fields.
EXAMPLES_BY_PATH = {"/api/v1/events": 100, "/api/v1/decide": 30, "/api/v1/consent": 20}

INF = "__pz_inf__"  # serialized as the literal 1e999, which json.loads reads as inf
POISON_VALUES: list[Any] = [
    "\ud800",
    "tent\udfff",
    "a\x00b",
    1e308,
    -1e308,
    1.7976931348623157e308,
    INF,
    2**64,
    -(2**63) - 1,
    9007199254740993.0,
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999Z",
    "http://[::1/p",
    "https://exa\uff0fmple.com]/",
    [],
    [{}],
    [[["x"]]],
]
POISON_KEYS = ["revenue", "price", "quantity", "strategy", "url", "timestamp", "\ud800", "a\x00"]
POISON_QUERY = ["%ED%A0%80", "%00", "1e308", "-1", "99999999999999999999999", "%5B%5D", "inf"]
# A bag of event properties valid for every event type, so a poisoned event is
# otherwise storable and the poison is what has to be refused.
EVENT_PROPERTIES = {
    "product_id": "SKU-1",
    "category": "outdoor/tents",
    "price": 19.5,
    "quantity": 1,
    "order_id": "o-1",
    "revenue": 19.5,
    "placement": "home-hero",
    "strategy": "personal",
    "query": "tent",
    "user_id": "c-1",
    "items": [{"product_id": "SKU-1", "quantity": 1, "price": 19.5}],
}
# Strings that must look real for the body to be accepted (so the poison is what fails).
PLAUSIBLE_STRINGS = {
    "country": "DE",
    "device": "mobile",
    "city": "Berlin",
    "url": "/p/sku-1?utm_source=mail",
    "referrer": "https://www.google.com/",
    "locale": "de-DE",
    "product_id": "SKU-1",
    "session_id": "s-1",
}
READS = [
    f"/api/v1/visitors/{VICTIM}",
    f"/api/v1/visitors/{VICTIM}/export",
    "/api/v1/recommendations/ctr",
    f"/api/v1/experiments/{EXPERIMENT}/results",
    "/api/v1/segments",
    f"/api/v1/segments/{SEGMENT}",
]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        return _resolve(schema["allOf"][0])
    return schema


def plausible(schema: dict[str, Any], choose: Any, name: str = "") -> Any:
    """A value of the schema that the endpoint would likely accept; `choose` picks one
    of an enum's values."""
    schema = _resolve(schema)
    if "enum" in schema:
        return choose([v for v in schema["enum"] if v not in ("", None)])
    if name == "visitor_id":
        return VICTIM
    if name == "timestamp" or schema.get("format") == "date-time":
        return (NOW - timedelta(minutes=1)).isoformat()
    if name in ("key", "arm", "parent", "placement") and schema.get("type") == "string":
        return {"key": f"k{uuid.uuid4().hex[:8]}", "arm": "a", "parent": SEGMENT}.get(
            name, "home-hero"
        )
    if name == "properties":
        return dict(EVENT_PROPERTIES)
    if name in PLAUSIBLE_STRINGS and schema.get("type") == "string":
        return PLAUSIBLE_STRINGS[name]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {key: plausible(sub, choose, key) for key, sub in props.items()}
    if kind == "array":
        return [plausible(schema.get("items", {}), choose, name.rstrip("s"))]
    if kind == "string":
        return {"uuid": str(uuid.uuid4()), "uri": "https://shop.example/p"}.get(
            schema.get("format", ""), "x"
        )
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return min(max(0.5, schema.get("minimum", 0.5)), schema.get("maximum", 0.5))
    if kind == "boolean":
        return True
    return {}  # free-form JSON (a rule): the empty object


def nodes(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every node of a JSON value, the root first."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += nodes(item, (*path, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found += nodes(item, (*path, position))
    return found


def poisoned(body: Any, pick: int, poison: Any, key: str, add: bool, twice: bool) -> Any:
    """The body with one poison: replacing the picked node, or added to it as `key`. With
    `twice`, the list item holding it is repeated (sums overflow on the second one)."""
    paths = nodes(body)
    path = paths[pick % len(paths)]
    if not path:
        return {key: poison} if add and isinstance(body, dict) else [body]
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    target = parent[path[-1]]
    if add and isinstance(target, dict):
        target[key] = poison
    else:
        parent[path[-1]] = poison
    if twice:
        for depth in range(len(path) - 1, -1, -1):
            ancestor = body
            for step in path[:depth]:
                ancestor = ancestor[step]
            if isinstance(ancestor, list):
                ancestor.append(copy.deepcopy(ancestor[path[depth]]))
                break
    return body


def encode(body: Any) -> bytes:
    return json.dumps(body).replace(json.dumps(INF), "1e999").encode()


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in SCHEMA["paths"].items()
        for method, operation in methods.items()
    ]


def api_routes(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    """Every route of the URL conf under /api/v1/, as a schema path."""
    routes: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes |= api_routes(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith(API_PREFIX[1:]):
            for converter in ("<slug:", "<str:", "<path:"):
                route = route.replace(converter, "{")
            routes.add("/" + route.replace(">", "}"))
    return routes


def test_the_schema_covers_every_api_route():
    """So a new endpoint is poisoned below as soon as it exists."""
    undocumented = api_routes() - set(SCHEMA["paths"]) - {"/api/v1/schema/", "/api/v1/docs/"}
    assert not undocumented


@pytest.fixture
def world(django_user_model):
    """A victim visitor with events, a segment, a running experiment, and two clients."""
    placement(
        "home-hero",
        [{"key": "a", "component": component("hero-a", heading="A"), "is_fallback": True}],
    )
    experiment_start(
        experiment=experiment_create(
            key=EXPERIMENT,
            name=EXPERIMENT,
            placement_key="home-hero",
            arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "a"}],
        )
    )
    segment_save(
        key=SEGMENT,
        name="Target",
        kind="rule",
        rule={"field": "profile.orders", "op": "gte", "value": 0},
    )
    ingest_events(
        [
            {
                "type": "click",
                "visitor_id": VICTIM,
                "properties": {"placement": "home-hero", "strategy": "personal"},
            },
            {
                "type": "purchase",
                "visitor_id": VICTIM,
                "properties": {"order_id": "o0", "revenue": 5},
            },
        ]
    )
    user = django_user_model.objects.create_user(
        username="poison-staff", password="pw-poison-123", is_staff=True, is_superuser=True
    )
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return staff


def _server_client(request: pytest.FixtureRequest) -> APIClient:
    return request.getfixturevalue("server_api_client")


def assert_error_shape(response) -> None:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    error = response.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert isinstance(error["fields"], dict)


def assert_reads_answer(staff: APIClient) -> None:
    for url in READS:
        response = staff.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        response.content.decode("utf-8")  # strict: no lone surrogate came back either


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    operations(),
    ids=[f"{m} {p}" for m, p, _ in operations()],
)
def test_poison_is_refused_and_every_later_read_answers(method, path, operation, world, request):
    secured = bool(operation.get("security"))
    client = world if secured else _server_client(request)
    body_schema = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema")
    )
    query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]

    @settings(
        max_examples=EXAMPLES_BY_PATH.get(path, EXAMPLES),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        pick=st.integers(0, 10_000),
        poison=st.sampled_from(POISON_VALUES),
        key=st.sampled_from(POISON_KEYS),
        add=st.booleans(),
        query_poison=st.sampled_from(POISON_QUERY),
        path_poison=st.booleans(),
        twice=st.booleans(),
        data=st.data(),
    )
    def attack(pick, poison, key, add, query_poison, path_poison, twice, data):
        url = path.replace("{visitor_id}", VICTIM if method != "DELETE" else "%00")
        key_value = EXPERIMENT if "/experiments/" in path else SEGMENT
        url = url.replace("{key}", "%ED%A0%80" if path_poison or method == "DELETE" else key_value)
        if query:
            url += "?" + "&".join(f"{name}={query_poison}" for name in query)
        kwargs: dict[str, Any] = {}
        if body_schema is not None:
            base = plausible(body_schema, lambda values: data.draw(st.sampled_from(values)))
            body = poisoned(base, pick, poison, key, add, twice)
            kwargs = {"data": encode(body), "content_type": "application/json"}

        response = getattr(client, method.lower())(url, **kwargs)

        assert response.status_code < 500, (url, kwargs, response.content[:300])
        if response.status_code >= 400:
            assert_error_shape(response)
        assert_reads_answer(world)

    attack()


def _request_body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    return content.get("application/json", {}).get("schema")


def every_poisoning(body: Any) -> list[Any]:
    """The body with each poison at each of its fields (replacing it), one body each."""
    bodies = []
    for path in nodes(body)[1:]:
        for poison in POISON_VALUES:
            bodies.append(
                poisoned(copy.deepcopy(body), nodes(body).index(path), poison, "", False, False)
            )
    return bodies


def test_every_field_of_every_public_body_takes_every_poison(world, request):
    """Systematic where poison is stored: each public operation with a body gets each
    poison at each field (an events batch carries one poisoned event per item, for every
    event type); no 5xx, the error shape, and every read still answers."""
    client = _server_client(request)
    for method, path, operation in operations():
        schema = _request_body_schema(operation)
        if operation.get("security") or schema is None:
            continue
        if path == "/api/v1/events":
            item_schema = _resolve(schema)["properties"]["events"]["items"]
            types = _resolve(_resolve(item_schema)["properties"]["type"])["enum"]
            items = [
                poisoned_item
                for event_type in types
                for poisoned_item in every_poisoning(
                    plausible(item_schema, lambda v, t=event_type: t)
                )
            ]
            bodies = [{"events": items[i : i + 1000]} for i in range(0, len(items), 1000)]
        else:
            base = plausible(schema, lambda values: values[0])
            accepted = getattr(client, method.lower())(
                path, data=encode(base), content_type="application/json"
            )
            assert accepted.status_code < 300, (path, base, accepted.content[:300])
            bodies = every_poisoning(base)
        for body in bodies:
            response = getattr(client, method.lower())(
                path, data=encode(body), content_type="application/json"
            )
            assert response.status_code < 500, (path, body, response.content[:300])
            if response.status_code >= 400:
                assert_error_shape(response)
    assert_reads_answer(world)
