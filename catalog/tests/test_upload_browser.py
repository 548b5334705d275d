"""The feed upload in Chromium, as a merchandiser uses it: from the imports list, upload a
Merchant Center file, read the report."""

import pytest

from catalog.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_merchandiser_uploads_a_feed_and_reads_the_report(
    browser, live_server, django_user_model, tmp_path
):
    django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    feed = tmp_path / "merchant-feed.txt"
    feed.write_text(
        "id\ttitle\tprice\tavailability\tproduct_type\n"
        "A\tBrass lamp\t9.50 GBP\tin stock\tHome > Lighting\n"
        "B\tMug\tfree\tin stock\tKitchen\n",
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/catalog/imports/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-boss-123")
    page.click("button[type=submit]")
    page.click("text=Upload a feed")
    page.set_input_files("#id_file", str(feed))
    page.click("button:has-text('Import')")
    page.wait_for_selector("[data-import-report]")
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)

    assert page.inner_text("[data-created]") == "1"
    assert "must be a number" in page.inner_text("[data-import-report]")
    assert Product.objects.get().title == "Brass lamp"
    page.goto(f"{live_server.url}/admin/catalog/imports/")
    assert "merchant-feed.txt" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "imports.png"), full_page=True)
    assert errors == []
