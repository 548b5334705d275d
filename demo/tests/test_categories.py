"""The category rule table on hand-picked descriptions from the Online Retail data."""

import pytest

from demo.categories import CATCH_ALL, CATEGORY_RULES, all_categories, derive_category


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("PAPER CHAIN KIT 50'S CHRISTMAS", "seasonal/christmas"),
        ("SET OF 6 T-LIGHTS SANTA", "seasonal/christmas"),
        ("ADVENT CALENDAR GINGHAM SACK", "seasonal/christmas"),
        ("CREAM FELT EASTER EGG BASKET", "seasonal/easter"),
        ("WHITE HANGING HEART T-LIGHT HOLDER", "home/lighting"),
        ("WHITE METAL LANTERN", "home/lighting"),
        ("KNITTED UNION FLAG HOT WATER BOTTLE", "home/textiles"),
        ("RED WOOLLY HOTTIE WHITE HEART.", "home/decor"),
        ("LUNCH BAG RED RETROSPOT", "kitchen/lunch"),
        ("SPACEBOY LUNCH BOX", "kitchen/lunch"),
        ("REGENCY CAKESTAND 3 TIER", "kitchen/baking"),
        ("PACK OF 72 RETROSPOT CAKE CASES", "kitchen/baking"),
        ("SET OF 3 CAKE TINS PANTRY DESIGN", "kitchen/baking"),
        ("CERAMIC CAKE DESIGN SPOTTED MUG", "kitchen/tableware"),
        ("ROSES REGENCY TEACUP AND SAUCER", "kitchen/tableware"),
        ("JUMBO BAG RED RETROSPOT", "bags/shopping-bags"),
        ("RED SPOT PAPER GIFT BAG", "gifts/wrapping"),
        ("WRAP ENGLISH ROSE", "gifts/wrapping"),
        ("BLACK DIAMOND CLUSTER NECKLACE", "fashion/accessories"),
        ("BAROQUE BUTTERFLY EARRINGS BLACK", "fashion/accessories"),
        ("ASSORTED COLOUR BIRD ORNAMENT", "home/decor"),
        ("HOME BUILDING BLOCK WORD", "home/decor"),
        ("FELTCRAFT PRINCESS CHARLOTTE DOLL", "kids/toys"),
        ("CHILDRENS CUTLERY SPACEBOY", "kids/toys"),
        ("PARTY BUNTING", "party/decorations"),
        ("SET/20 RED RETROSPOT PAPER NAPKINS", "party/decorations"),
        ("TUSCAN VILLA BIRD FEEDER", "garden/outdoor"),
        ("DOORMAT NEW ENGLAND", "garden/outdoor"),
        ("GREEN FERN NOTEBOOK", "stationery/paper"),
        ("PENCIL CASE LIFE IS BEAUTIFUL", "stationery/paper"),
        ("RECIPE BOX WITH METAL HEART", "home/storage"),
        ("BLUE GEISHA GIRL", CATCH_ALL),
        ("", CATCH_ALL),
    ],
)
def test_rule_table(description: str, category: str) -> None:
    assert derive_category(description) == category


def test_keywords_match_whole_words_with_plurals() -> None:
    assert derive_category("SET OF 4 PEGS") == "home/storage"  # PEG + S
    assert derive_category("SKULL LUNCHBOXES") == "kitchen/lunch"  # LUNCHBOX + ES
    assert derive_category("SPENCER TRAY") == "kitchen/tableware"  # not PEN in SPENCER
    assert derive_category("rose cushion cover") == "home/textiles"  # any case


def test_every_category_is_two_levels() -> None:
    assert all_categories()[-1] == CATCH_ALL
    assert len(all_categories()) == len(set(all_categories()))
    for category, keywords in CATEGORY_RULES:
        assert category.count("/") == 1 and category == category.lower()
        assert keywords and all(k == k.upper() for k in keywords)
