"""The Segments area of the Wagtail admin: list, create/edit through `segment_save`, rule
errors by node path, live preview, detail, recompute, members, overlap, clustering runs,
and who may see it."""

import json
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from core.models import JobRun
from segments.models import ClusteringRun, Segment
from segments.services import segment_save
from tracking.models import VisitorProfile
from tracking.services import ingest_events
from tracking.tests.factories import make_event

pytestmark = pytest.mark.django_db(transaction=True)

CART_RULE = {"field": "profile.cart.items", "op": "gt", "value": 0}
PURCHASE_RULE = {"events": {"type": "purchase", "within": "30d"}, "op": "gte", "value": 1}


@pytest.fixture
def admin_client(django_user_model) -> Client:
    user = django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def shoppers() -> None:
    """v1 and v2 have something in the cart, v3 bought, v4 only looked."""
    ingest_events(
        [
            make_event("add_to_cart", visitor_id="v1"),
            make_event("add_to_cart", visitor_id="v2"),
            make_event("purchase", visitor_id="v3"),
            make_event("product_view", visitor_id="v4"),
        ]
    )


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Carters",
        "key": "carters",
        "kind": "rule",
        "description": "Something in the cart",
        "parent": "",
        "rule": json.dumps(CART_RULE),
        "is_active": "on",
        "recompute_every_minutes": "60",
        "placeholder_values": "{}",
    }
    data.update(overrides)
    return data


def preview(client: Client, body: object) -> object:
    return client.post(
        "/admin/segments/preview/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )


def test_the_list_shows_size_kind_and_parent(admin_client, shoppers):
    parent = segment_save(key="carters", name="Carters", rule=CART_RULE)
    segment_save(key="big-carters", name="Big carters", rule=CART_RULE, parent_key="carters")
    segment_save(
        key="mobile", name="Mobile", rule={"field": "context.device", "op": "eq", "value": "mobile"}
    )
    segment_save(key="paused", name="Paused", rule=CART_RULE, is_active=False)

    response = admin_client.get("/admin/segments/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Carters" in html and "big-carters" in html
    assert f'href="/admin/segments/members/{parent.pk}/"' in html
    assert "too small" in html  # 2 members, below PZ_MIN_SEGMENT_SIZE
    assert "real time" in html
    # Each badge says what it means in visible words (a title reaches no touch screen).
    assert "content is never targeted at it" in html
    assert "checked on every visit from what the visitor is doing now" in html
    assert "switched off: nobody is put in it" in html
    assert "Trend" in html and "Last computed" in html


def test_a_trend_shows_a_sparkline_after_two_computations(admin_client, shoppers):
    segment_save(key="carters", name="Carters", rule=CART_RULE)
    ingest_events([make_event("add_to_cart", visitor_id="v4")])  # refreshes v4's memberships

    html = admin_client.get("/admin/segments/").content.decode()

    assert "<polyline" in html
    assert "▲ +1" in html


def test_creating_a_rule_segment_through_the_form_computes_it(admin_client, shoppers):
    response = admin_client.post("/admin/segments/new/", form_data())

    assert response.status_code == 302, response.content.decode()[:2000]
    segment = Segment.objects.get(key="carters")
    assert response["Location"] == f"/admin/segments/inspect/{segment.pk}/"
    assert segment.rule == CART_RULE
    assert segment.size == 2  # recomputed through on_commit by segment_save
    assert segment.last_computed_at is not None


def test_a_child_segment_is_saved_with_its_parent(admin_client, shoppers):
    segment_save(key="carters", name="Carters", rule=CART_RULE)

    response = admin_client.post(
        "/admin/segments/new/",
        form_data(
            key="carter-buyers",
            name="Carter buyers",
            parent="carters",
            rule=json.dumps(PURCHASE_RULE),
        ),
    )

    assert response.status_code == 302
    child = Segment.objects.get(key="carter-buyers")
    assert child.parent.key == "carters"
    assert child.size == 0  # v2 has a cart but bought nothing; v3 bought with no cart


def test_the_edit_form_shows_the_parent_and_keeps_it(admin_client, shoppers):
    segment_save(key="carters", name="Carters", rule=CART_RULE)
    child = segment_save(key="buyers", name="Buyers", rule=PURCHASE_RULE, parent_key="carters")

    html = admin_client.get(f"/admin/segments/edit/{child.pk}/").content.decode()

    assert '<option value="carters" selected>' in html
    assert '<option value="buyers"' not in html  # not its own parent


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {
                "all": [
                    CART_RULE,
                    {"events": {"type": "purchase", "within": "forever"}, "op": "gte", "value": 1},
                ]
            },
            "all[1].events.within:",
        ),
        ({"any": [{"field": "profile.orders", "op": "between", "value": 1}]}, "any[0].op:"),
        ({"not": {"segment": "nope"}}, "not.segment: unknown segment"),
    ],
)
def test_a_bad_rule_re_renders_with_the_node_path(admin_client, rule, message):
    response = admin_client.post("/admin/segments/new/", form_data(rule=json.dumps(rule)))

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "could not be created" in html
    assert not Segment.objects.exists()


def test_json_that_does_not_parse_is_a_field_error(admin_client):
    response = admin_client.post("/admin/segments/new/", form_data(rule="{not json"))

    assert response.status_code == 200
    assert "Enter a valid JSON" in response.content.decode()
    assert not Segment.objects.exists()


def test_editing_keeps_the_key_and_saves_the_new_rule(admin_client, shoppers):
    segment = segment_save(key="carters", name="Carters", rule=CART_RULE)

    response = admin_client.post(
        f"/admin/segments/edit/{segment.pk}/",
        form_data(key="renamed", name="Buyers", rule=json.dumps(PURCHASE_RULE)),
    )

    assert response.status_code == 302
    segment.refresh_from_db()
    assert (segment.key, segment.name, segment.rule) == ("carters", "Buyers", PURCHASE_RULE)
    assert segment.size == 1


def test_a_reference_cycle_is_shown_on_the_rule(admin_client):
    first = segment_save(key="a", name="A", rule=CART_RULE)
    segment_save(key="b", name="B", rule={"segment": "a"})

    response = admin_client.post(
        f"/admin/segments/edit/{first.pk}/",
        form_data(key="a", name="A", rule=json.dumps({"segment": "b"})),
    )

    assert response.status_code == 200
    assert "cycle" in response.content.decode()
    first.refresh_from_db()
    assert first.rule == CART_RULE


def test_the_form_carries_the_rule_builder(admin_client):
    segment_save(key="vip", name="VIP", rule=CART_RULE)

    html = admin_client.get("/admin/segments/new/").content.decode()

    assert "segments/rule-builder.js" in html
    assert "data-rule-builder" in html
    assert '"preview_url": "/admin/segments/preview/"' in html
    assert "profile.rfm.recency_days" in html
    assert '"key": "vip"' in html


def test_the_rule_builder_offers_the_registry_with_labels_and_named_choices(admin_client):
    import json
    import re

    from catalog.models import Product

    Product.objects.create(product_id="L1", title="Lamp", category="Home/Lighting", price=9)
    html = admin_client.get("/admin/segments/new/").content.decode()
    found = re.search(r'<script id="[^"]*-vocabulary" type="application/json">(.*?)</script>', html)
    vocabulary = json.loads(found.group(1))

    assert vocabulary["groups"] == ["Profile", "Behaviour", "Customer attributes", "Context"]
    fields = {field["path"]: field for field in vocabulary["fields"]}
    assert fields["profile.rfm.recency_days"]["label"] == "Days since the last purchase"
    assert fields["profile.rfm.recency_days"]["unit"] == "days"
    country = fields["context.country"]
    assert (country["group"], country["closed"]) == ("Context", True)
    assert {"value": "DE", "label": "Germany"} in country["choices"]
    assert fields["attributes.loyalty_tier"]["group"] == "Customer attributes"
    assert fields["attributes.email"]["ops"] == ["exists"]
    assert "profile.visitor_id" not in fields  # valid in rules, not offered
    families = {family["prefix"]: family for family in vocabulary["families"]}
    interest = [key["value"] for key in families["profile.interest."]["keys"]]
    assert interest == ["home", "home/lighting"]  # the catalog's, as interest stores them
    counters = families["profile.counters."]
    assert {"value": "purchase", "label": "Purchase"} in counters["keys"]
    assert {"value": "purchase", "label": "Purchase"} in vocabulary["event_types"]
    lines = {p["path"]: p for p in vocabulary["event_properties"]}
    assert lines["items.category"]["label"] == "Order line: category"


def test_preview_counts_a_rule_and_flags_real_time_rules(admin_client, shoppers):
    response = preview(admin_client, {"rule": CART_RULE})
    assert response.status_code == 200
    assert response.json() == {"count": 2, "suppressed": False, "real_time_only": False}

    segment_save(key="carters", name="Carters", rule=CART_RULE)
    assert preview(admin_client, {"rule": PURCHASE_RULE, "parent": "carters"}).json() == {
        "count": 0,
        "suppressed": False,
        "real_time_only": False,
    }
    context_rule = {"field": "context.device", "op": "eq", "value": "mobile"}
    assert preview(admin_client, {"rule": context_rule}).json()["real_time_only"] is True


def test_preview_of_a_bad_rule_is_a_400_with_the_path(admin_client):
    rule = {
        "all": [
            CART_RULE,
            {"events": {"type": "purchase", "within": "1y"}, "op": "gte", "value": 1},
        ]
    }

    response = preview(admin_client, {"rule": rule})

    assert response.status_code == 400
    body = response.json()
    assert body["fields"]["rule"].startswith("all[1].events.within:")
    assert body["fields"]["rule_errors"][0]["path"] == "all[1].events.within"


def test_preview_needs_the_csrf_token(django_user_model):
    user = django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert preview(client, {"rule": CART_RULE}).status_code == 403


def test_the_detail_page_describes_the_rule_and_lists_members(admin_client, shoppers):
    segment = segment_save(key="carters", name="Carters", rule=CART_RULE)
    segment_save(key="buyers", name="Buyers", rule=PURCHASE_RULE)

    profile = VisitorProfile.objects.get(visitor_id="v1")

    html = admin_client.get(f"/admin/segments/inspect/{segment.pk}/").content.decode()

    assert "Items in the cart &gt; 0" in html  # the field by its registry label
    assert f'href="/admin/visitors/inspect/{profile.pk}/"' in html
    assert "v1" in html and "v2" in html and "v3" not in html
    assert "Size over time" in html
    assert "Recompute now" in html
    assert '<option value="buyers">' in html  # the overlap picker


def test_recompute_now_with_a_queue_shows_the_job_waiting(admin_client, shoppers):
    segment = segment_save(key="carters", name="Carters", rule=CART_RULE)

    with mock.patch("segments.admin_views.recompute_segment_task.apply_async") as send:
        response = admin_client.post(f"/admin/segments/recompute/{segment.pk}/", follow=True)

    assert send.call_args.kwargs["args"] == (segment.pk,)
    job = JobRun.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/jobs/{job.pk}/"
    html = response.content.decode()
    assert "Recomputing “Carters”" in html and "Waiting to start" in html
    assert "This page updates by itself" in html


def test_recompute_now_says_when_it_finished(admin_client, shoppers):
    segment = segment_save(key="carters", name="Carters", rule=CART_RULE)

    response = admin_client.post(f"/admin/segments/recompute/{segment.pk}/", follow=True)

    assert response.redirect_chain[-1][0] == f"/admin/segments/inspect/{segment.pk}/"
    assert "Recomputing “Carters”: finished at " in response.content.decode()
    assert JobRun.objects.get().status == JobRun.Status.FINISHED


def test_recompute_now_refreshes_the_size(admin_client, shoppers):
    segment = segment_save(key="carters", name="Carters", rule=CART_RULE)
    ingest_events([make_event("add_to_cart", visitor_id="v4")])

    admin_client.post(f"/admin/segments/recompute/{segment.pk}/")

    segment.refresh_from_db()
    assert segment.size == 3


def test_a_real_time_segment_is_not_recomputed(admin_client):
    segment = segment_save(
        key="mobile", name="Mobile", rule={"field": "context.device", "op": "eq", "value": "mobile"}
    )

    with mock.patch("segments.admin_views.recompute_segment_task.delay") as delay:
        response = admin_client.post(f"/admin/segments/recompute/{segment.pk}/", follow=True)

    delay.assert_not_called()
    assert "is not recomputed" in response.content.decode()


def test_the_members_page_lists_visitor_ids_linked_to_visitors(admin_client, shoppers):
    segment = segment_save(key="carters", name="Carters", rule=CART_RULE)
    profile = VisitorProfile.objects.get(visitor_id="v1")

    response = admin_client.get(f"/admin/segments/members/{segment.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "v1" in html and "v2" in html and "v4" not in html
    assert f'href="/admin/visitors/inspect/{profile.pk}/"' in html
    assert "Member since" in html


def test_overlap_shows_the_numbers(admin_client, shoppers):
    segment_save(key="carters", name="Carters", rule=CART_RULE)
    segment_save(
        key="visitors", name="Visitors", rule={"field": "profile.events", "op": "gte", "value": 1}
    )

    response = admin_client.get("/admin/segments/overlap/?a=carters&b=visitors")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-overlap="size_a">2<' in html
    assert 'data-overlap="size_b">4<' in html
    assert 'data-overlap="both">2<' in html
    assert 'data-overlap="only_a">0<' in html
    assert 'data-overlap="only_b">2<' in html
    assert 'data-overlap="jaccard">0.5 (50.0 %)<' in html


def test_deleting_a_segment_others_depend_on_is_refused(admin_client):
    parent = segment_save(key="carters", name="Carters", rule=CART_RULE)
    segment_save(key="vip-carters", name="VIP carters", rule={"segment": "carters"})

    response = admin_client.post(f"/admin/segments/delete/{parent.pk}/", follow=True)

    assert Segment.objects.filter(pk=parent.pk).exists()
    assert "used by vip-carters" in response.content.decode()


def test_deleting_a_free_segment_works(admin_client):
    segment = segment_save(key="carters", name="Carters", rule=CART_RULE)

    response = admin_client.post(f"/admin/segments/delete/{segment.pk}/")

    assert response.status_code == 302
    assert not Segment.objects.exists()


def test_clustering_runs_are_listed_and_inspected_read_only(admin_client):
    run = ClusteringRun.objects.create(
        algorithm="kmeans",
        k=3,
        silhouette=0.41,
        visitors=120,
        scores_by_k={
            "2": {"silhouette": 0.3, "inertia": 50.0},
            "3": {"silhouette": 0.41, "inertia": 30.0},
        },
        clusters=[
            {"label": 0, "size": 70, "centroid": {"orders": 1.2}, "description": "one-time buyers"}
        ],
        is_current=True,
    )

    listing = admin_client.get("/admin/clustering-runs/")
    detail = admin_client.get(f"/admin/clustering-runs/inspect/{run.pk}/")

    assert listing.status_code == 200 and "Run clustering now" in listing.content.decode()
    assert detail.status_code == 200
    assert "one-time buyers" in detail.content.decode()
    assert "3 (chosen)" in detail.content.decode()
    assert admin_client.get(f"/admin/clustering-runs/edit/{run.pk}/").status_code == 302


def test_run_clustering_now_says_why_it_failed(admin_client):
    response = admin_client.post("/admin/clustering-runs/run/", follow=True)

    assert response.redirect_chain[-1][0] == "/admin/clustering-runs/"
    job = JobRun.objects.get()
    assert job.status == JobRun.Status.FAILED and job.error  # too few visitors to cluster
    assert "Finding clusters: failed at " in response.content.decode()


def test_anonymous_and_non_staff_users_are_sent_to_login(client, django_user_model):
    assert client.get("/admin/segments/")["Location"].startswith("/admin/login/")
    user = django_user_model.objects.create_user(username="shopper", password="pw-shop-123")
    client.force_login(user)

    response = client.get("/admin/segments/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_segment_permissions_are_denied(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="editor", password="pw-edit-123", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    segment = segment_save(key="carters", name="Carters", rule=CART_RULE)

    for url in (
        "/admin/segments/",
        "/admin/segments/new/",
        f"/admin/segments/inspect/{segment.pk}/",
        f"/admin/segments/members/{segment.pk}/",
        "/admin/segments/overlap/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/admin/", url  # Wagtail's "no permission" redirect
    assert preview(client, {"rule": CART_RULE}).status_code == 403
    response = client.post(f"/admin/segments/recompute/{segment.pk}/")
    assert response["Location"] == "/admin/"
    assert client.post("/admin/segments/new/", form_data(key="sneaky")).status_code == 302
    assert not Segment.objects.filter(key="sneaky").exists()


def test_view_permission_shows_but_does_not_edit(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="viewer", password="pw-view-123", is_staff=True
    )
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_segment"),
    )
    client.force_login(user)
    segment = segment_save(key="carters", name="Carters", rule=CART_RULE)

    assert client.get(f"/admin/segments/inspect/{segment.pk}/").status_code == 200
    assert (
        "Recompute now" not in client.get(f"/admin/segments/inspect/{segment.pk}/").content.decode()
    )
    assert client.get(f"/admin/segments/edit/{segment.pk}/")["Location"] == "/admin/"
    assert preview(client, {"rule": CART_RULE}).status_code == 403


def test_the_recompute_interval_is_bounded_in_words(admin_client, shoppers):
    response = admin_client.post(
        "/admin/segments/new/", form_data(recompute_every_minutes=str(10**19))
    )
    html = response.content.decode()

    assert response.status_code == 200 and not Segment.objects.filter(key="carters").exists()
    assert "At most 43,200 minutes (30 days)." in html
    assert "9223372036854775807" not in html
