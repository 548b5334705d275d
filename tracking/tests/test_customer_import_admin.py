"""The admin's customer import: upload, map columns to definitions, preview, then all
rows or none."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tracking.customer_keys import customer_key
from tracking.definitions import attribute_define
from tracking.models import VisitorProfile

pytestmark = pytest.mark.django_db
URL = "/admin/customer-import/"
CSV = "Kundennummer,Mail,Stufe,Punkte\nC-1,ada@example.com,Gold,120\nC-2,,silver,7\n"


def upload(client, text):
    return client.post(URL, {"file": SimpleUploadedFile("crm.csv", text.encode())})


def token_of(response):
    html = response.content.decode()
    return html.split('name="token" value="', 1)[1].split('"', 1)[0]


def attributes_of(customer_id):
    key = customer_key(customer_id, settings.PZ_CUSTOMER_ID_PEPPER)
    return VisitorProfile.objects.get(customer_key=key).attributes


@pytest.fixture
def definitions():
    attribute_define(key="tier", type="string", choices=["gold", "silver"], label="Tier")
    attribute_define(key="points", type="number", label="Points")


def test_columns_are_mapped_previewed_and_imported(admin_client, definitions):
    step = upload(admin_client, CSV)
    html = step.content.decode()
    assert "Import customers" in html
    assert "Tier (string)" in html and "Points (number)" in html  # the definitions
    assert "ada@example.com" in html and "silver" in html  # the preview
    mapping = {
        "token": token_of(step),
        "column_0": "customer_id",
        "column_1": "email",
        "column_2": "tier",
        "column_3": "points",
    }
    done = admin_client.post(URL, mapping)
    assert done.status_code == 302
    assert attributes_of("C-1") == {"email": "ada@example.com", "tier": "gold", "points": 120}
    assert attributes_of("C-2") == {"tier": "silver", "points": 7}


def test_a_bad_row_imports_nothing_and_is_reported(admin_client, definitions):
    step = upload(admin_client, CSV + "C-3,x@example.com,diamond,3\n,a@example.com,gold,1\n")
    mapping = {
        "token": token_of(step),
        "column_0": "customer_id",
        "column_2": "tier",
        "column_3": "points",
    }
    response = admin_client.post(URL, mapping)
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 rows cannot be imported, so nothing was imported" in html
    assert "Line 4: Stufe must be one of gold, silver (got &#x27;diamond&#x27;)" in html
    assert "Line 5: customer_id is required" in html
    assert not VisitorProfile.objects.exists()


def test_a_mapping_without_customer_id_is_refused(admin_client, definitions):
    step = upload(admin_client, CSV)
    response = admin_client.post(URL, {"token": token_of(step), "column_2": "tier"})
    assert "Map one column to the customer id." in response.content.decode()
    assert not VisitorProfile.objects.exists()


def test_staff_without_the_permission_cannot_import(client, django_user_model):
    user = django_user_model.objects.create_user("ed", password="pw-ed-12345", is_staff=True)
    client.force_login(user)
    assert client.get(URL).status_code in (302, 403)
