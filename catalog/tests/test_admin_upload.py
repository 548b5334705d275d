"""The admin feed upload: the command's import and report, permissioned and audited."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.models import ModelLogEntry

from catalog.models import Product, ProductImport

pytestmark = pytest.mark.django_db
URL = "/admin/catalog/imports/upload/"
TSV = (
    "id\ttitle\tprice\tavailability\tproduct_type\n"
    "A\tLamp\t9.50 GBP\tin stock\tHome > Lighting\n"
    "B\tMug\tfree\tin stock\tKitchen\n"
)


def staff(django_user_model, username: str, *codenames: str):
    user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
    group = Group.objects.create(name=f"{username}-group")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in codenames:
        group.permissions.add(Permission.objects.get(codename=codename))
    user.groups.add(group)
    return user


def test_an_upload_imports_shows_the_report_and_is_audited(client, django_user_model) -> None:
    user = staff(django_user_model, "merch", "add_product", "change_product")
    client.force_login(user)
    assert client.get(URL).status_code == 200

    feed = SimpleUploadedFile("feed.txt", TSV.encode(), content_type="text/plain")
    response = client.post(URL, {"file": feed, "format": ""})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong data-created>1</strong>" in html and "<strong data-rejected>1</strong>" in html
    assert "must be a number" in html
    assert Product.objects.get().category == "home/lighting"
    record = ProductImport.objects.get()
    assert (record.source, record.user, record.created) == ("admin", user, 1)
    entry = ModelLogEntry.objects.get(action="catalog.import")
    assert entry.user == user and entry.data["after"]["rejected"] == 1


def test_staff_without_both_product_permissions_cannot_upload(client, django_user_model) -> None:
    client.force_login(staff(django_user_model, "viewer", "change_product"))
    feed = SimpleUploadedFile("feed.txt", TSV.encode())
    response = client.post(URL, {"file": feed})
    assert response.status_code in (302, 403)
    assert not Product.objects.exists()


def test_an_unknown_file_type_is_a_form_error(admin_client) -> None:
    response = admin_client.post(URL, {"file": SimpleUploadedFile("feed.pdf", b"%PDF")})
    assert response.status_code == 200
    assert "cannot tell the format" in response.content.decode()
    assert not ProductImport.objects.exists()
