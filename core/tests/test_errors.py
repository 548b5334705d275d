"""The one exception handler: every domain error a service raises becomes API.md's error
shape with its status (400, 404, 409, 503 + Retry-After), and rolls back."""

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.errors import Busy, Conflict, DomainError, Invalid, NotFound


def _view_raising(error: Exception):
    class Raising(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def get(self, request):
            raise error

    return Raising.as_view()


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Invalid("Bad rule.", {"rule.all[0].op": "unknown operator"}), 400, "invalid"),
        (NotFound("No such segment.", {"key": "no segment 'x'"}), 404, "not_found"),
        (Conflict("A segment with this key exists.", {"key": "already exists"}), 409, "conflict"),
        (Busy("A training is running.", retry_after_seconds=30), 503, "busy"),
    ],
)
def test_domain_errors_become_the_api_error_shape(error: DomainError, status, code):
    response = _view_raising(error)(APIRequestFactory().get("/api/v1/x"))
    assert response.status_code == status
    assert response.data == {
        "error": {"code": code, "message": error.message, "fields": error.fields}
    }
    if isinstance(error, Busy):
        assert response["Retry-After"] == "30"


def test_invalid_is_still_a_value_error_for_callers_that_catch_one():
    assert issubclass(Invalid, ValueError)
