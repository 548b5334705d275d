"""How categories look in the shop (products have no images): labels, initials, hues."""

import zlib


def _parts(category: str) -> list[str]:
    return [part.strip() for part in category.split("/") if part.strip()]


def category_label(category: str) -> str:
    """ "home/wall-art" -> "Wall Art": the last level, humanised."""
    parts = _parts(category)
    return parts[-1].replace("-", " ").replace("_", " ").title() if parts else ""


def category_ancestors(category: str) -> list[str]:
    """ "home/lighting/desk" -> ["home", "home/lighting"]: the paths above a category."""
    parts = _parts(category)
    return ["/".join(parts[: depth + 1]) for depth in range(len(parts) - 1)]


def category_initials(category: str) -> str:
    """ "home/lighting" -> "HL"; a one-level category gives its first two letters."""
    parts = _parts(category)
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[-1][0]).upper()


# A finite set of hues, one class each in shop.css (.hue-0 ... .hue-350): tiles are
# coloured by class, not by a style attribute the storefront CSP would block.
HUE_STEP = 10


def category_hue(category: str) -> int:
    """A hue (0-350, a multiple of HUE_STEP) that is the same for a category on every page
    and every run; tile templates use it as the class hue-<hue>."""
    hue = zlib.crc32(category.strip().lower().encode()) % 360
    return hue - hue % HUE_STEP
