"""Customer lookup: staff who may see visitor data find one customer by customer id or
e-mail and read, in words, their segments, what each placement shows them and why; the
lookup is audited and records no impression or exposure."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import ModelLogEntry

from content.tests.factories import component, placement
from core import clock
from core.config_version import bump_config_version
from experiments.models import Exposure
from segments.models import Segment, SegmentMembership
from segments.services import segment_save
from tracking.customer_keys import customer_key
from tracking.models import Event, VisitorProfile

pytestmark = pytest.mark.django_db(transaction=True)

URL = "personalization_customer_lookup"


@pytest.fixture
def customer(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    buyers = segment_save(
        key="buyers", name="Repeat buyers", rule={"field": "profile.orders", "op": "gt", "value": 0}
    )
    placement(
        "home-hero",
        [
            {"key": "default", "component": component("hero-a"), "is_fallback": True},
            {
                "key": "vip",
                "component": component("hero-vip"),
                "priority": 200,
                "segments_any": ["buyers"],
            },
        ],
    )
    profile = VisitorProfile.objects.create(
        visitor_id="v-ada",
        bucketing_id="v-ada",
        customer_key=customer_key("C-1001", settings.PZ_CUSTOMER_ID_PEPPER),
        marketing_email_address="ada@example.com",
        consent_tracking=True,
        consent_personalization=True,
        orders=3,
        revenue=120.0,
        attributes={"first_name": "Ada"},
    )
    SegmentMembership.objects.create(segment=buyers, visitor_id="v-ada", entered_at=clock.now())
    Segment.objects.filter(pk=buyers.pk).update(size=1)  # counted: targetable
    bump_config_version()
    Event.objects.create(
        visitor_id="v-ada",
        type="purchase",
        timestamp=clock.now(),
        received_at=clock.now(),
        session_id="s1",
        properties={"revenue": 40},
    )
    return profile


def test_staff_without_the_visitor_data_permission_are_refused(client, django_user_model, customer):
    editor = django_user_model.objects.create_user(username="ed", password="pw", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)

    response = client.get(reverse(URL), {"q": "C-1001"})

    # Wagtail turns the PermissionDenied into its "no permission" redirect, as elsewhere.
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert not ModelLogEntry.objects.filter(action="pz.customer.lookup").exists()
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Customer lookup" not in menu


def test_a_role_with_the_visitor_data_permission_may_look_up(client, django_user_model, customer):
    user = django_user_model.objects.create_user(username="cs", password="pw", is_staff=True)
    group = Group.objects.create(name="Service")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_visitorprofile"),
    )
    user.groups.add(group)
    client.force_login(user)

    response = client.get(reverse(URL), {"q": "C-1001"})

    assert response.status_code == 200
    assert response.context["customer"].visitor_id == "v-ada"


def test_lookup_by_customer_id_shows_segments_and_placements_in_words(admin_client, customer):
    response = admin_client.get(reverse(URL), {"q": "C-1001"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada" in html and "Repeat buyers" in html and "since" in html
    hero = next(row for row in response.context["customer"].placements if row.variant == "vip")
    assert hero.why == "They are in the segment “Repeat buyers”."
    assert "They are in the segment “Repeat buyers”." in html
    assert "Purchase" in html  # the event's label, not its type
    entry = ModelLogEntry.objects.get(action="pz.customer.lookup")
    assert entry.object_id == str(customer.pk)


def test_lookup_by_email(admin_client, customer):
    response = admin_client.get(reverse(URL), {"q": "ADA@example.com"})

    assert response.context["customer"].visitor_id == "v-ada"


def test_a_segment_too_small_to_target_says_so(admin_client, customer, settings):
    settings.PZ_MIN_SEGMENT_SIZE = 100

    response = admin_client.get(reverse(URL), {"q": "C-1001"})

    html = response.content.decode()
    assert "data-too-small>too small</span>" in html
    assert "(1 member; segments under 100 are never targeted" in html
    hero = next(row for row in response.context["customer"].placements if row.key == "home-hero")
    assert hero.variant == "default"  # the too-small segment targets nothing


def test_an_unknown_customer_gets_a_message(admin_client, customer):
    response = admin_client.get(reverse(URL), {"q": "nobody@example.com"})

    assert response.status_code == 200
    assert "No customer found for “nobody@example.com”" in response.content.decode()
    assert not ModelLogEntry.objects.filter(action="pz.customer.lookup").exists()


def test_looking_up_records_no_impression_or_exposure(admin_client, customer):
    events_before = Event.objects.count()

    admin_client.get(reverse(URL), {"q": "C-1001"})

    assert Event.objects.count() == events_before
    assert not Event.objects.filter(type="impression").exists()
    assert not Exposure.objects.exists()


def test_the_visitor_screen_opens_the_lookup(admin_client, customer):
    response = admin_client.get(reverse("visitors:inspect", args=[customer.pk]))

    assert response.status_code == 302
    assert response.url == reverse(URL) + "?q=v-ada"


def test_an_arm_of_a_running_test_is_what_the_placement_shows(admin_client, customer):
    from content.models import Placement
    from experiments.models import Arm, Experiment

    test = Experiment.objects.create(
        key="hero-test",
        name="Hero test",
        placement=Placement.objects.get(key="home-hero"),
        status=Experiment.Status.RUNNING,
    )
    Arm.objects.create(experiment=test, key="b", variant_key="default")
    Exposure.objects.create(
        experiment=test, arm="b", visitor_id="v-ada", first_exposed_at=clock.now()
    )

    response = admin_client.get(reverse(URL), {"q": "C-1001"})

    view = response.context["customer"]
    (hero,) = view.placements
    assert (hero.variant, hero.why) == (
        "default",
        "Their arm “b” of the running A/B test “Hero test”.",
    )
    assert [(arm.experiment, arm.arm, arm.variant) for arm in view.arms] == [
        ("Hero test", "b", "default")
    ]
    assert Exposure.objects.count() == 1


def test_amounts_are_shown_with_the_shops_currency(admin_client, customer, settings):
    settings.PZ_CURRENCY_SYMBOL = "€"
    html = admin_client.get(reverse(URL), {"q": "C-1001"}).content.decode()

    assert "€120.00 spent" in html  # the profile's revenue
    assert "€40.00" in html  # the purchase event's revenue in the timeline
    assert "120.00 spent" not in html.replace("€120.00 spent", "")
