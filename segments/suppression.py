"""Segment counts as a role may see them (API and admin alike): for roles without the
permission to view visitor data, every count of visitors below PZ_MIN_SEGMENT_SIZE is
None and marked suppressed, so sizes, previews, overlaps and trends are no oracle about
one person. See `core.permissions.visible_count`."""

from typing import Any

from core.permissions import can_view_visitor_data, visible_count

OVERLAP_COUNTS = ("size_a", "size_b", "both", "only_a", "only_b")


def visible_overlap(overlap: dict[str, Any], user: Any) -> dict[str, Any]:
    """The overlap report with small counts suppressed (and the Jaccard index with them,
    since it would give the intersection back)."""
    shown = dict(overlap)
    suppressed = []
    for name in OVERLAP_COUNTS:
        shown[name], hidden = visible_count(overlap[name], user)
        if hidden:
            suppressed.append(name)
    if suppressed:
        shown["jaccard"] = None
    shown["suppressed"] = suppressed
    return shown


def visible_trend(trend: list[dict[str, Any]], user: Any) -> list[dict[str, Any]]:
    """Size snapshots with a small size, and its entered/left counts, suppressed."""
    if can_view_visitor_data(user):
        return trend
    rows = []
    for row in trend:
        size, hidden = visible_count(row["size"], user)
        if hidden:
            row = {**row, "size": size, "entered": None, "left": None, "suppressed": True}
        rows.append(row)
    return rows
