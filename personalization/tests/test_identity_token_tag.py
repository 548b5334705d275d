"""`{% pz_identity_token user %}`: the token a Django shop hands pz.js for a signed-in
customer (API.md "Callers and identity")."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import override_settings

from core.identity_tokens import identity_token_error

pytestmark = pytest.mark.django_db
TEMPLATE = Template("{% load pz %}{% pz_identity_token user %}")


def render(user) -> str:
    return TEMPLATE.render(Context({"user": user}))


def test_a_signed_in_user_gets_a_token_for_their_primary_key(django_user_model, settings):
    user = django_user_model.objects.create_user(username="jane", password="pw-jane-123")
    token = render(user)
    assert token.startswith(f"{user.pk}.")
    error = identity_token_error(
        token, str(user.pk), secret=settings.PZ_IDENTITY_SECRET, now=time.time()
    )
    assert error is None


@override_settings(PZ_CUSTOMER_ID_ATTR="username")
def test_the_customer_id_attribute_is_a_setting(django_user_model):
    user = django_user_model.objects.create_user(username="cust.77", password="pw-cust-123")
    assert render(user).startswith("cust.77.")


def test_anonymous_users_get_nothing():
    assert render(AnonymousUser()) == ""
