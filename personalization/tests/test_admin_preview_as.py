""" "Preview as": staff pick segments, context and a page; the view shows what each
placement would serve and links to the storefront with `?pz_preview_segments`."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from content.tests.factories import component, placement
from segments.services import segment_save

pytestmark = pytest.mark.django_db(transaction=True)

URL = "content_preview_as"


@pytest.fixture
def hero(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    for key in ("carters", "buyers"):
        segment_save(
            key=key, name=key.title(), rule={"field": "profile.orders", "op": "gt", "value": 0}
        )
    return placement(
        "home-hero",
        [
            {"key": "default", "component": component("hero-a"), "is_fallback": True},
            {
                "key": "cart",
                "component": component("hero-cart"),
                "priority": 200,
                "segments_any": ["carters"],
            },
            {
                "key": "mobile",
                "component": component("hero-mobile"),
                "context_rule": {"field": "context.device", "op": "eq", "value": "mobile"},
            },
            {
                "key": "mail",
                "component": component("hero-mail"),
                "priority": 50,
                "context_rule": {"field": "context.utm_source", "op": "eq", "value": "mail"},
            },
        ],
    )


def served(response) -> str:
    return response.context["decision"].placements["home-hero"].variant


def test_the_form_renders_for_staff(admin_client, hero):
    response = admin_client.get(reverse(URL))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="carters"' in html and "Storefront page" in html
    assert "decision" not in response.context


def test_segments_choose_the_variant_and_the_link_forces_them(admin_client, hero):
    response = admin_client.get(
        reverse(URL), {"segments": ["carters", "buyers"], "path": "/p/1001/"}
    )

    assert served(response) == "cart"
    assert response.context["storefront_url"] == "/p/1001/?pz_preview_segments=buyers,carters"
    assert 'href="/p/1001/?pz_preview_segments=buyers,carters"' in response.content.decode()


def test_context_is_applied_to_the_decision(admin_client, hero):
    mobile = admin_client.get(reverse(URL), {"device": "mobile", "path": "/"})
    mail = admin_client.get(reverse(URL), {"utm_source": "mail", "path": "/"})
    nobody = admin_client.get(reverse(URL), {"path": "/"})

    assert served(mobile) == "mobile"
    assert "pz_preview_device=mobile" in mobile.context["storefront_url"]
    assert (served(mail), mail.context["storefront_url"]) == (
        "mail",
        "/?pz_preview_segments=&utm_source=mail",
    )
    assert served(nobody) == "default"


@pytest.mark.parametrize("path", ["https://evil.example/", "//evil.example/", "p/1/", "/a b"])
def test_only_shop_paths_are_accepted(admin_client, hero, path):
    response = admin_client.get(reverse(URL), {"path": path})

    assert response.status_code == 200
    assert "storefront_url" not in response.context
    assert response.context["form"].errors["path"]


def test_the_menu_offers_preview_as_to_staff(admin_client, hero):
    html = admin_client.get(reverse("wagtailsnippets_content_placement:list")).content.decode()

    assert reverse(URL) in html


def test_non_staff_are_denied(client, django_user_model, hero):
    user = django_user_model.objects.create_user(username="editor", password="x")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_placement"),
    )
    client.force_login(user)

    denied = client.get(reverse(URL))  # Wagtail turns PermissionDenied into a redirect home

    assert (denied.status_code, denied.url) == (302, reverse("wagtailadmin_home"))
    listing = client.get(reverse("wagtailsnippets_content_placement:list"))
    assert reverse(URL) not in listing.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, hero):
    response = client.get(reverse(URL))

    assert response.status_code == 302 and "/login/" in response.url


def test_the_country_is_chosen_by_name(admin_client, hero):
    page = admin_client.get(reverse(URL)).content.decode()
    assert '<option value="DE">Germany</option>' in page
    assert '<option value="GE">Georgia</option>' in page

    response = admin_client.get(reverse(URL), {"country": "DE", "path": "/"})
    assert "pz_preview_country=DE" in response.context["storefront_url"]
    typed = admin_client.get(reverse(URL), {"country": "Germany", "path": "/"})
    assert typed.context["form"].errors["country"]


def test_the_shop_says_it_is_a_preview_offers_a_way_out_and_tracks_nothing(admin_client, hero):
    page = admin_client.get(
        "/", {"pz_preview_segments": "carters", "pz_preview_country": "DE"}
    ).content.decode()

    assert "Previewing as Carters · Germany." in page
    assert '<a href="/">Exit preview</a>' in page
    assert 'data-auto=""' in page  # pz.js sends no page views, impressions or clicks

    real_visit = admin_client.get("/").content.decode()
    assert "Previewing as" not in real_visit
    assert 'data-auto="page,product,clicks,impressions"' in real_visit


def test_a_preview_right_after_an_edit_shows_the_edit(db):
    from personalization.preview import preview_decision

    assert preview_decision(segments=[], path="/").placements == {}
    placement("new-banner", [{"key": "default", "component": component("b"), "is_fallback": True}])

    # Within seconds of the first preview: the compiled catalog follows the config version.
    assert preview_decision(segments=[], path="/").placements["new-banner"].variant == "default"


def test_results_name_placements_and_components_and_say_why(admin_client, hero):
    html = admin_client.get(reverse(URL), {"segments": ["carters"], "path": "/"}).content.decode()

    assert '<th scope="row">Home-Hero</th>' in html
    assert (
        '<td data-variant="cart">Hero-Cart <span class="w-text-grey-400">(variant “cart”)' in html
    )
    assert "They are in the segment “Carters”." in html
    assert "Open / as Carters" in html and "<code>" not in html.split("pz-preview-result")[1]


def test_previews_record_no_impression_or_exposure(admin_client, hero):
    from experiments.models import Exposure
    from experiments.services import experiment_create, experiment_start
    from tracking.models import Event

    experiment = experiment_create(
        key="hero-test",
        name="Hero test",
        placement_key="home-hero",
        arms=[{"key": "control", "variant": "default"}, {"key": "b", "variant": "cart"}],
    )
    experiment_start(experiment=experiment)

    admin_client.get(reverse(URL), {"segments": ["carters"], "path": "/"})
    admin_client.get("/", {"pz_preview_segments": "carters"})

    assert not Exposure.objects.exists()
    assert not Event.objects.filter(type="impression").exists()
