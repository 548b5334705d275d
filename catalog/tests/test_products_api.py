"""PUT/GET/DELETE /api/v1/products (API.md "Catalog"): the shop's backend with a server
key or staff with the product permission; per-item errors, idempotent, limits."""

from decimal import Decimal

import pytest

from catalog.models import Product

pytestmark = pytest.mark.django_db

TENT = {
    "product_id": "SKU-1",
    "title": "Tent",
    "description": "Two people.",
    "url": "/p/sku-1",
    "image_url": "https://cdn.example/sku-1.jpg",
    "price": 199.0,
    "sale_price": 179.0,
    "currency": "eur",
    "category": "Outdoor > Tents",
    "brand": "Acme",
    "in_stock": True,
    "stock": 12,
    "attributes": {"color": "green", "sizes": ["s", "m"]},
}


def put(client, products):
    return client.put("/api/v1/products", {"products": products}, format="json")


def test_the_shops_backend_creates_updates_and_counts_unchanged_items(server_api_client):
    response = put(server_api_client, [TENT, {"product_id": "SKU-2", "title": "Mat", "price": 5}])
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": []}
    tent = Product.objects.get(product_id="SKU-1")
    assert (tent.category, tent.currency, tent.sale_price) == ("outdoor/tents", "EUR", 179)
    stamp = tent.updated_at

    # Equal after normalization (12.5 = "12.50", the category's spelling): not rewritten.
    same = {**TENT, "price": "199.00", "category": "outdoor/tents", "currency": "EUR"}
    response = put(server_api_client, [same, {"product_id": "SKU-2", "price": "5.00"}])
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 2, "rejected": []}
    assert Product.objects.get(product_id="SKU-1").updated_at == stamp

    # An item is merged: the fields it omits are kept.
    response = put(server_api_client, [{"product_id": "SKU-1", "price": 149.5}])
    assert response.json()["updated"] == 1
    tent = Product.objects.get(product_id="SKU-1")
    assert (tent.price, tent.title, tent.brand) == (Decimal("149.50"), "Tent", "Acme")


def test_bad_items_are_reported_by_index_and_the_others_kept(server_api_client):
    response = put(
        server_api_client,
        [
            TENT,
            {"product_id": "SKU-3", "title": "Stove", "price": "cheap"},
            {"product_id": "SKU-4", "title": "Lamp"},  # new, without a price
            {"product_id": "SKU-5", "title": "X", "price": 1, "url": "javascript:alert(1)"},
            {"product_id": "SKU-6", "title": "Y", "price": 1, "colour": "red"},
            "not an object",
            {"product_id": "SKU-7", "title": "Ok", "price": 1, "attributes": {"a": "\x00"}},
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 1
    rejected = {entry["index"]: entry["errors"] for entry in body["rejected"]}
    assert set(rejected) == {1, 2, 3, 4, 5, 6}
    assert "price" in rejected[1] and rejected[2] == {"price": "is required for a new product"}
    assert "url" in rejected[3] and "colour" in rejected[4] and "item" in rejected[5]
    assert "attributes" in rejected[6]
    assert list(Product.objects.values_list("product_id", flat=True)) == ["SKU-1"]


def test_limits_and_body_shape_are_400_with_the_error_shape(server_api_client):
    too_many = [{"product_id": f"P{n}", "title": "t", "price": 1} for n in range(1001)]
    response = put(server_api_client, too_many)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"products": "at most 1000 products per call"}
    response = server_api_client.put("/api/v1/products", {"items": []}, format="json")
    assert response.status_code == 400 and "products" in response.json()["error"]["fields"]
    assert not Product.objects.exists()


def test_a_body_of_1000_products_above_the_default_limit_is_accepted(server_api_client, settings):
    settings.PZ_MAX_BODY_BYTES = 1024
    items = [{**TENT, "product_id": f"P{n}"} for n in range(1000)]
    assert put(server_api_client, items).json()["created"] == 1000


def test_get_and_delete_one_product(server_api_client, staff_client):
    put(server_api_client, [TENT])
    body = staff_client.get("/api/v1/products/SKU-1").json()
    assert body["price"] == 199.0 and body["attributes"] == TENT["attributes"]
    assert staff_client.get("/api/v1/products/nope").status_code == 404

    assert server_api_client.delete("/api/v1/products/SKU-1").status_code == 204
    assert server_api_client.delete("/api/v1/products/SKU-1").status_code == 404
    assert staff_client.get("/api/v1/products/SKU-1").json()["error"]["code"] == "not_found"


def test_only_the_shops_backend_or_permitted_staff_may_write(
    api_client, server_api_client, django_user_model
):
    assert put(api_client, [TENT]).status_code in (401, 403)  # a browser caller
    assert api_client.delete("/api/v1/products/SKU-1").status_code in (401, 403)
    # A server key writes products; it reads nothing else (API.md "Callers and identity").
    assert server_api_client.get("/api/v1/products/SKU-1").status_code == 403
    editor = django_user_model.objects.create_user(username="ed", password="x", is_staff=True)
    api_client.force_authenticate(editor)
    assert put(api_client, [TENT]).status_code == 403
    assert not Product.objects.exists()


def test_a_staff_removal_is_audited(staff_client, server_api_client):
    from wagtail.models import ModelLogEntry

    put(server_api_client, [TENT])
    assert staff_client.delete("/api/v1/products/SKU-1").status_code == 204
    entry = ModelLogEntry.objects.get(action="wagtail.delete")
    assert entry.user.username == "staff" and entry.data["before"]["product_id"] == "SKU-1"


def test_an_id_with_a_slash_is_read_and_removed_by_its_url(server_api_client, staff_client):
    put(server_api_client, [{**TENT, "product_id": "bags/large-1"}])
    assert staff_client.get("/api/v1/products/bags/large-1").json()["product_id"] == "bags/large-1"
    assert server_api_client.delete("/api/v1/products/bags/large-1").status_code == 204
