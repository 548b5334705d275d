"""Fuzz the API from its own OpenAPI schema: no input yields a 5xx, and the responses
match the schema (status codes, content types, bodies).

Schemathesis generates valid and invalid requests for every operation of
`/api/v1/schema/` and sends them to the WSGI app in-process. Staff operations get a
superuser's token; public ones go out anonymous, as a storefront calls them. Runs are
derandomized, so a failure reproduces on the next run; the closing summary of pytest
lists the responses per operation.
"""

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

# Per operation and generation phase; schemathesis adds its own boundary-value cases.
MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_token(django_user_model) -> str:
    user = django_user_model.objects.create_user(
        username="fuzz-staff", password="pw-fuzz-123", is_staff=True, is_superuser=True
    )
    return Token.objects.create(user=user).key


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_operation(case, staff_token, fuzz_counts):
    headers = {"Host": "testserver"}
    if case.operation.definition.raw.get("security"):
        headers["Authorization"] = f"Token {staff_token}"

    response = case.call(headers=headers)

    fuzz_counts[case.operation.label, f"{response.status_code // 100}xx"] += 1
    # Also a path parameter outside its pattern, which matches no URL: its 404 is JSON too.
    case.validate_response(response, checks=CHECKS, headers=headers)
