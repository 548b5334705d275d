"""RFM quintile cut points, scores and labels, and the refresh service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tracking import rfm
from tracking.models import RfmScale, VisitorProfile
from tracking.services import refresh_rfm_scores

pytestmark = pytest.mark.time_sensitive


def test_quintile_cuts_of_one_to_ten():
    assert rfm.quintile_cuts(list(range(1, 11))) == (3, 5, 6, 8)


def test_scores_give_five_to_the_best_quintile_and_none_without_purchases():
    cuts = rfm.RfmCuts(
        recency=(10, 30, 90, 180), frequency=(1, 2, 4, 8), monetary=(50, 100, 200, 500)
    )
    assert rfm.score(5, 10, 1000, cuts) == (5, 5, 5)
    assert rfm.score(365, 1, 10, cuts) == (1, 1, 1)
    assert rfm.score(30, 2, 100, cuts) == (4, 2, 2)
    assert rfm.score(None, 0, 0, cuts) is None
    assert rfm.score(5, 1, 10, rfm.RfmCuts()) is None


@pytest.mark.parametrize(
    ("r", "f", "m", "name"),
    [
        (5, 5, 5, "champions"),
        (1, 2, 5, "lapsed_high_value"),
        (2, 4, 2, "at_risk"),
        (3, 4, 3, "loyal"),
        (5, 1, 1, "new"),
        (1, 1, 1, "hibernating"),
        (3, 2, 2, "needs_attention"),
    ],
)
def test_classic_labels(r, f, m, name):
    assert rfm.label(r, f, m) == name


@pytest.mark.django_db
def test_refresh_scores_every_purchaser_from_the_population():
    now = timezone.now()
    for index in range(10):
        VisitorProfile.objects.create(
            visitor_id=f"c{index}",
            bucketing_id=f"c{index}",
            orders=index + 1,
            revenue=100.0 * (index + 1),
            last_purchase_at=now - timedelta(days=10 * (10 - index)),
        )
    VisitorProfile.objects.create(visitor_id="browser", bucketing_id="browser")
    scale = refresh_rfm_scores(now=now)
    assert scale.customers == 10
    assert RfmScale.objects.count() == 1
    best = VisitorProfile.objects.get(visitor_id="c9")
    worst = VisitorProfile.objects.get(visitor_id="c0")
    assert (best.rfm_r, best.rfm_f, best.rfm_m) == (5, 5, 5)
    assert (worst.rfm_r, worst.rfm_f, worst.rfm_m) == (1, 1, 1)
    assert VisitorProfile.objects.get(visitor_id="browser").rfm_r is None
