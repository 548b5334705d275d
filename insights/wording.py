"""Plain sentences for marketers from report numbers."""

from typing import Any

from core.formatting import percent


def uplift_sentence(report: dict[str, Any]) -> str:
    """One sentence leading the uplift report: who is ahead, by how much, how sure."""
    lift = report["lift"]["conversion_rate"]
    estimate, (low, high) = lift["estimate"], lift["ci95"]
    visitors = report["personalized"]["visitors"] + report["holdout"]["visitors"]
    if report["srm"]["mismatch"]:
        return (
            "The holdout's size does not match its configured share: something is broken "
            "(caching, bots, consent), so these figures cannot be trusted yet."
        )
    if estimate is None or low is None or high is None:
        return (
            f"Not enough purchases yet to compare ({visitors:,} visitors so far); "
            "keep personalization running."
        )
    decision = report["decision"]
    rpv = report["lift"]["revenue_per_visitor"]["estimate"]
    money_part = f" and {percent(rpv, signed=True)} revenue per visitor" if rpv is not None else ""
    interval = f"between {percent(low, signed=True)} and {percent(high, signed=True)}"
    if decision == "personalization_wins":
        return (
            f"Personalization earns more: {percent(estimate, signed=True)} purchases"
            f"{money_part} over the holdout (95% interval {interval})."
        )
    if decision == "holdout_wins":
        return (
            f"Personalization is behind: {percent(estimate, signed=True)} purchases versus the "
            f"holdout (95% interval {interval}); review the targeted content."
        )
    if decision == "no_difference":
        return (
            f"No measurable difference yet: {percent(estimate, signed=True)} purchases "
            f"(95% interval {interval}) with {visitors:,} visitors."
        )
    needed = report.get("holdout_visitors_needed")
    more = (
        f"; keep running until about {needed:,} visitors in the holdout"
        if needed and needed > report["holdout"]["visitors"]
        else "; keep running"
    )
    leader = "ahead" if estimate >= 0 else "behind"
    return (
        f"Personalization is {leader} so far: {percent(estimate, signed=True)} purchases "
        f"(95% interval {interval}), not yet conclusive{more}."
    )
