from recommendations.engine.content import train_content_neighbours


def test_items_with_shared_words_are_neighbours():
    texts = {
        "mug-red": "red ceramic mug kitchen",
        "mug-blue": "blue ceramic mug kitchen",
        "lamp": "brass desk lamp",
        "bulb": "desk lamp bulb",
    }
    ids = ["bulb", "lamp", "mug-blue", "mug-red", "no-text"]

    neighbours = train_content_neighbours(ids, texts, n_neighbours=2)

    assert neighbours.of_item(ids.index("mug-red"))[0][0] == ids.index("mug-blue")
    assert neighbours.of_item(ids.index("lamp"))[0][0] == ids.index("bulb")
    assert len(neighbours.of_item(ids.index("no-text"))[0]) == 0


def test_no_text_at_all_gives_empty_neighbours():
    neighbours = train_content_neighbours(["a", "b"], {}, n_neighbours=5)

    assert all(len(neighbours.of_item(i)[0]) == 0 for i in range(2))
