"""A NUL in the URL is a 400 before any lookup (on PostgreSQL the lookup was a 500)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/segments/overlap?a=%00&b=x",
        "/api/v1/recommendations?strategy=popular&product_id=a%00",
        "/api/v1/segments?x%00=1",
    ],
)
def test_a_nul_in_an_api_url_is_a_400_in_the_error_shape(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"url": "NUL"}


def test_a_nul_in_a_page_url_is_a_plain_400(client):
    assert client.get("/cms/%00/").status_code == 400
    assert client.get("/admin/pages/search/?q=%00").status_code == 400
