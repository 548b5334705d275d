"""Two-level `department/kind` categories derived from product descriptions.

The Online Retail data has no categories, so the demo derives them from keywords in the
(upper-case) description with an ordered rule table: the first rule with a keyword that
occurs as a whole word (an optional plural "S"/"ES" allowed) wins, and anything left
over goes to the catch-all `home/gifts`. The table runs in four tiers: seasons
(Christmas, Easter) first, whatever the object; then phrases that would otherwise fall
to a generic word ("HOT WATER BOTTLE", "LUNCH BAG", "CAKE STAND"); then what the thing
is (mug, candle, necklace, bag...); last the motifs and materials ("CAKE", "HEART",
"BIRD", "PEARL") that only decide when nothing says what the thing is. Pure Python.
"""

import re
from collections.abc import Sequence

CATCH_ALL = "home/gifts"

# (category, keywords); a keyword may be a phrase. Checked top to bottom; a category
# may appear in several tiers.
# fmt: off
CATEGORY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # 1. Seasons define the category whatever the object is.
    ("seasonal/christmas", (
        "CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE", "SNOWMAN",
        "NATIVITY", "BAUBLE", "TINSEL", "STOCKING", "ANGEL", "ELF", "NOEL", "CRACKER",
    )),
    ("seasonal/easter", ("EASTER", "BUNNY", "CHICK", "EGG HUNT", "HEN")),
    # 2. Phrases whose words would otherwise match a more generic rule below.
    ("home/textiles", ("HOT WATER BOTTLE", "TEA COSY", "TEA TOWEL", "OVEN GLOVE")),
    ("kitchen/lunch", ("LUNCH BOX", "LUNCH BAG", "LUNCHBOX", "LUNCH", "PICNIC")),
    ("kitchen/baking", (
        "CAKE STAND", "CAKESTAND", "CAKE TIN", "CAKE CASES", "BAKING", "COOKIE CUTTER",
        "ROLLING PIN", "JELLY MOULD", "JAM MAKING",
    )),
    ("stationery/paper", ("PENCIL CASE", "CARD HOLDER", "MEMO BOARD")),
    ("gifts/wrapping", ("GIFT BAG", "GIFT BOX", "GIFT TAG", "GIFT WRAP", "TISSUE PAPER")),
    ("fashion/accessories", ("HAND WARMER", "HANDWARMER", "KEY RING", "KEYRING", "RAIN MAC")),
    ("garden/outdoor", ("BIRD HOUSE", "BIRDHOUSE", "BIRD FEEDER", "BIRD TABLE", "WATERING CAN")),
    ("home/storage", ("MONEY BANK", "MONEY BOX", "SUCTION CUP")),
    # 3. What the thing is.
    ("party/decorations", (
        "PARTY", "BUNTING", "BALLOON", "NAPKIN", "GARLAND", "CONFETTI", "PAPER CUP",
        "PAPER PLATE", "STRAWS", "PAPER CHAIN", "PAPER LANTERN", "HONEYCOMB", "POM POM",
        "DOILIES", "DOILY",
    )),
    ("kids/toys", (
        "TOY", "GAME", "DOLL", "DOLLY", "SPACEBOY", "CHILDRENS", "CHILDREN'S", "CHILDS",
        "KIDS", "BABY", "JIGSAW", "PUZZLE", "SKIPPING ROPE", "SOLDIER", "DOMINOES",
        "PLAYING CARDS", "SPINNING TOP", "MARBLES", "CRAYONS", "COLOURING", "TEDDY",
        "ROBOT", "NINJA", "KNITTING NANCY", "BUBBLES", "LUDO", "SOCK PUPPET", "PUPPET",
        "FELTCRAFT", "PAINT SET", "HELICOPTER", "ROCKING HORSE", "PLAYHOUSE", "STENCIL",
        "MAGIC DRAWING SLATE", "SNAKES", "INFLATABLE", "TATTOOS",
    )),
    ("home/lighting", (
        "LIGHT", "LANTERN", "CANDLE", "T-LIGHT", "TLIGHT", "LAMP", "NIGHTLIGHT",
        "CANDLEHOLDER", "CANDLEPOT", "CANDLESTICK", "LED", "INCENSE", "OIL BURNER", "TEALIGHT",
        "LAMPSHADE", "SHADE", "CHANDELIER", "FRAGRANCE OIL",
    )),
    ("kitchen/tableware", (
        "MUG", "CUP", "TEACUP", "TEAPOT", "PLATE", "BOWL", "SAUCER", "BEAKER", "JUG",
        "TUMBLER", "CUTLERY", "SPOON", "FORK", "KNIFE", "CHOPSTICKS", "TRAY", "COASTER",
        "PLACEMAT", "EGG CUP", "DISH", "TEA SET", "CAFETIERE", "COLANDER", "LADLE",
        "CHOPPING BOARD", "FRYING PAN", "WASHING UP", "DISHCLOTH", "GOBLET", "PLATTER",
        "SQUEEZER", "TOASTRACK", "TOAST RACK", "WINE GLASS", "GLASSES", "CAKE SLICE",
        "FOOD COVER", "EGG COSY", "TEASPOON", "SCALES", "THERMOMETER", "KITCHEN",
    )),
    ("kitchen/lunch", ("BOTTLE", "FLASK")),
    ("home/textiles", (
        "CUSHION", "THROW", "BLANKET", "QUILT", "PILLOW", "TOWEL", "APRON", "DOORSTOP",
        "PADS", "FILLER PAD", "CURTAIN", "FLANNEL", "POUFFE", "MAT",
    )),
    ("fashion/accessories", (
        "JEWEL", "JEWELLERY", "NECKLACE", "NECKLAC", "BRACELET", "EARRING", "HAIR",
        "RING", "BANGLE", "BROOCH", "PENDANT", "HAIRCLIP", "HAIR SLIDE", "SCARF", "HAT",
        "GLOVES", "MITTENS", "SOCKS", "SLIPPER", "SUNGLASSES", "COMPACT MIRROR",
        "TIARA", "HAIRBAND", "ALICE BAND", "WATCH", "SHOE", "PONCHO", "BADGE",
        "LIPSTICK", "LIP GLOSS", "PHONE CHARM", "BAG CHARM", "SOMBRERO", "GRASS SKIRT",
        "SHIRT", "COLLAR",
    )),
    ("bags/shopping-bags", (
        "BAG", "TOTE", "PURSE", "SHOPPER", "BACKPACK", "RUCKSACK", "WALLET", "HANDBAG",
        "LUGGAGE TAG", "PASSPORT COVER", "CASE",
    )),
    ("gifts/wrapping", (
        "CARD", "WRAP", "RIBBON", "TAG", "TISSUE", "BOW", "ENVELOPE", "WRAPPING",
        "GIFTWRAP", "INVITES",
    )),
    ("stationery/paper", (
        "NOTEBOOK", "PEN", "PENCIL", "STICKER", "STATIONERY", "NOTEPAD", "NOTE PAD",
        "NOTES", "JOURNAL", "DIARY", "CALENDAR", "BOOKMARK", "ERASER", "RUBBER", "RULER",
        "SHARPENER", "MEMO", "PAPER", "POSTCARD", "ADDRESS BOOK", "BOOK", "SKETCHBOOK",
        "CHALK", "CHALKBOARD", "BLACKBOARD", "TAPE", "STAMP", "PAPERWEIGHT", "P'WEIGHT",
        "MAGNET", "PHOTO ALBUM", "ALBUM", "SCRAPBOOK", "GLUE", "HOLE PUNCH", "SCISSOR",
        "CRAFT", "STENCIL",
    )),
    ("garden/outdoor", (
        "GARDEN", "GARDENERS", "PLANT", "PLANTER", "FLOWER POT", "POT", "TROWEL", "SEED",
        "HERB", "PARASOL", "UMBRELLA", "WINDMILL", "WIND CHIME", "CHIME", "OUTDOOR",
        "GNOME", "DOORMAT", "HAMMOCK", "DECKCHAIR", "BICYCLE", "BEACH", "CACTI", "CACTUS",
        "TOADSTOOL", "SOW", "GROW", "FLAG", "FLY SWAT",
    )),
    ("home/decor", (
        "FRAME", "PHOTOFRAME", "CLOCK", "SIGN", "MIRROR", "WALL ART", "PLAQUE", "PRINT",
        "ORNAMENT", "WREATH", "VASE", "FIGURE", "FIGURINE", "STATUE", "CANVAS", "POSTER",
        "SHELF", "DOORSIGN", "MOBILE", "BIRDCAGE", "ARTIFICIAL FLOWER", "ART FLOWER",
        "PICTURE", "BLOCK WORD", "LETTERS", "WALLHANGING", "WALL HANGING", "CHAIR",
        "STOOL", "TABLE", "BUDDHA", "ROSETTE", "TILE",
    )),
    ("home/storage", (
        "BOX", "JAR", "BASKET", "STORAGE", "DRAWER", "HOOK", "HANGER", "CHEST", "CABINET",
        "CRATE", "TIDY", "RACK", "TRINKET", "BUCKET", "BIN", "PEG", "CONTAINER", "TRUNK",
        "SAVINGS", "PIGGY BANK", "SPONGE", "SOAP", "BATHROOM", "TOILET", "WASHBAG",
        "SPONGEBAG", "ORGANISER", "CANNISTER", "CANISTER", "KNOB", "HOLDER", "KIT",
    )),
    # 4. Themes, materials and motifs: only when nothing above says what the thing is.
    ("kitchen/baking", ("CAKE", "CUPCAKE", "TIN", "PANTRY", "RECIPE", "BAKE", "MOULD")),
    ("kitchen/tableware", ("TEA", "COFFEE", "GLASS", "JAM", "BREAD", "MILK", "SUGAR")),
    ("kids/toys", ("BEAR", "RABBIT", "DINOSAUR", "BALL", "CIRCUS", "SPACE", "DOLPHIN")),
    ("garden/outdoor", ("BIRD", "BUTTERFLY", "FLOWER", "DRAGONFLY", "LADYBIRD")),
    ("fashion/accessories", ("CHARM", "BEAD", "PEARL", "CRYSTAL", "DIAMANTE", "SEQUIN")),
    ("home/decor", (
        "DECORATION", "DEC", "HANGING", "HEART", "STAR", "METAL", "ZINC", "ENAMEL",
        "WICKER", "FEATHER", "BELL", "WORD", "LETTER", "NUMBER", "HAND OPEN", "ROSE",
    )),
)
# fmt: on


def _pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
    return re.compile(rf"(?<![A-Z0-9])(?:{alternatives})(?:S|ES)?(?![A-Z0-9])")


_COMPILED = tuple((category, _pattern(keywords)) for category, keywords in CATEGORY_RULES)


def derive_category(description: str) -> str:
    """The `department/kind` path of a product description (see the module docstring)."""
    text = " ".join(description.upper().replace("/", " ").split())
    for category, pattern in _COMPILED:
        if pattern.search(text):
            return category
    return CATCH_ALL


def all_categories() -> list[str]:
    """Every path `derive_category` can return, in rule order, catch-all last."""
    return list(dict.fromkeys([category for category, _ in CATEGORY_RULES] + [CATCH_ALL]))
