from datetime import UTC, datetime

import pytest

from recommendations.engine import build_interactions


def test_event_names_use_the_callers_weights_and_duplicates_sum():
    events = [("u1", "a", "view"), ("u1", "a", "purchase"), ("u2", "b", 2.5)]

    interactions = build_interactions(events, event_weights={"view": 1, "purchase": 5})

    row, column = interactions.user_index["u1"], interactions.item_index["a"]
    assert interactions.matrix[row, column] == 6
    assert interactions.matrix[interactions.user_index["u2"], interactions.item_index["b"]] == 2.5
    assert interactions.binary().max() == 1


def test_default_event_weights_and_unknown_events():
    interactions = build_interactions([("u", "a", "cart")])

    assert interactions.matrix.sum() == 3
    with pytest.raises(KeyError):
        build_interactions([("u", "a", "wishlist")])


def test_timestamps_and_known_items():
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    events = [("u", "a", 1, moment), ("u", "b", 1, moment.timestamp() + 60)]

    interactions = build_interactions(events, known_items=["c"])

    assert interactions.event_timestamps.tolist() == [moment.timestamp(), moment.timestamp() + 60]
    assert interactions.item_ids.tolist() == ["a", "b", "c"]
    assert interactions.matrix.shape == (1, 3)
