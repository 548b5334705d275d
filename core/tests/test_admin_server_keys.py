"""The admin screen of server keys: administrators create a key (shown once) and revoke
it; marketing editors and analysts do not see the screen."""

import re

import pytest
from django.test import Client

from core.models import ServerKey
from core.selectors import active_server_key
from core.server_keys import server_key_hash
from core.staff_groups import ADMINISTRATORS, ANALYSTS, MARKETING_EDITORS, ensure_staff_groups

pytestmark = pytest.mark.django_db
KEY_RE = re.compile(r"pz_sk_[A-Za-z0-9_-]{40}")


@pytest.fixture
def staff(django_user_model):
    groups = ensure_staff_groups()

    def make(group_name: str) -> Client:
        user = django_user_model.objects.create_user(
            username=group_name.replace(" ", "-"), password="pw-staff-123", is_staff=True
        )
        user.groups.add(groups[group_name])
        client = Client()
        client.force_login(user)
        return client

    return make


def test_an_administrator_creates_a_key_that_is_shown_once(
    staff, django_capture_on_commit_callbacks
):
    admin = staff(ADMINISTRATORS)
    assert admin.get("/admin/server_keys/").status_code == 200

    created = admin.post("/admin/server_keys/new/", {"name": "shop backend"})

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    [key] = KEY_RE.findall(created.content.decode())
    stored = ServerKey.objects.get()
    assert stored.key_hash == server_key_hash(key) and stored.name == "shop backend"
    listing = admin.get("/admin/server_keys/").content.decode()
    assert "shop backend" in listing and key not in listing
    assert key not in admin.get(f"/admin/server_keys/inspect/{stored.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        revoked = admin.post(f"/admin/server_keys/revoke/{stored.pk}/")
    assert revoked.status_code == 302
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert active_server_key(key) is None


@pytest.mark.parametrize("group", [MARKETING_EDITORS, ANALYSTS])
def test_other_staff_cannot_see_or_make_keys(staff, group):
    client = staff(group)
    for response in (
        client.get("/admin/server_keys/"),
        client.post("/admin/server_keys/new/", {"name": "sneaky"}),
    ):
        assert response.status_code in (302, 403)
    assert not ServerKey.objects.exists()
