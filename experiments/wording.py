"""The one plain sentence that leads an experiment's report, for marketers: who is ahead,
by how much, how sure, and what to do (the statistician's table stays below it)."""

from typing import Any

from core.formatting import percent

GOAL_NOUNS = {
    "purchase": "purchases",
    "add_to_cart": "add-to-carts",
    "click": "clicks",
    "checkout_start": "checkouts",
    "page_view": "page views",
    "product_view": "product views",
}


def event_words(event: str) -> str:
    """A tracked event type as marketers say it ("remove_from_cart" → "remove from cart")."""
    return GOAL_NOUNS.get(event, event.replace("_", " "))


def arm_name(key: str, variant: str | None) -> str:
    """An arm as marketers know it: the name its key was made from ("bold-hero" → "Bold
    hero"); a one- or two-letter key ("a", "b") says nothing, so its variant's name."""
    label = (key if len(key) > 2 or not variant else variant).replace("-", " ")
    label = label.replace("_", " ").strip()
    return label[:1].upper() + label[1:] if label else key


# Each decision as a short label and a line saying what it means, shown wherever the
# decision is (list, report, messages); the API keeps the machine values.
DECISIONS = {
    "keep_running": (
        "Keep running",
        "Not conclusive yet: no arm has passed the always-valid test against the control "
        "and the planned sample is not reached, so stopping now would not be a verdict.",
    ),
    "no_difference": (
        "No difference",
        "Every arm has the planned sample and none beats the control by the minimum "
        "detectable effect: keep the control or pick on other grounds.",
    ),
    "": ("No results yet", "Results are computed every few minutes, or with Recompute now."),
}


def decision_words(
    decision: str | None, control: str = "", variants: dict[str, str] | None = None
) -> tuple[str, str]:
    """A decision (`keep_running`, `winner:<arm>` …) as a label and its meaning."""
    decision = decision or ""
    if decision.startswith("winner:"):
        arm = decision.removeprefix("winner:")
        if control and arm == control:
            return (
                "Keep the control",
                "The other arms convert significantly worse than the control.",
            )
        name = arm_name(arm, (variants or {}).get(arm))
        return (
            f"{name} wins",
            "It converts significantly better than the control; you can promote it.",
        )
    return DECISIONS.get(decision, (arm_name(decision, None), ""))


SRM_WORDS = (
    "Sample ratio mismatch",
    "The arms' sizes do not match their shares, so assignment or logging is broken: "
    "no verdict until it is fixed.",
)


def lead_sentence(report: dict[str, Any], variants: dict[str, str], goal_event: str) -> str:
    arms = report.get("arms") or []
    control = report.get("control", "")
    goal = GOAL_NOUNS.get(goal_event, f"{goal_event} events")
    treatments = [arm for arm in arms if not arm.get("is_control")]
    if (report.get("srm") or {}).get("flag"):
        return (
            "These results cannot be trusted yet: the arms' sizes do not match their weights "
            "(sample ratio mismatch). Find the cause before reading anything else."
        )
    if not treatments or not any(arm.get("exposures") for arm in arms):
        return "No results yet: nobody has seen the experiment."
    if all(arm.get("conversions") == 0 for arm in arms):
        seen = sum(arm.get("exposures") or 0 for arm in arms)
        return f"No {goal} yet among the {seen:,} visitors in the experiment; keep running."
    best = max(treatments, key=lambda arm: arm.get("lift") if arm.get("lift") is not None else -1e9)
    name = arm_name(best["key"], variants.get(best["key"]))
    lift = best.get("lift")
    chance = best.get("chance_to_beat_control")
    if lift is None:
        return f"Not enough {goal} yet to compare the arms; keep running."
    figures = f"{percent(lift, signed=True, digits=0)} {goal}"
    if chance is not None:
        figures += f", {percent(chance, digits=0)} chance it is better"
    decision = report.get("decision") or ""
    if decision.startswith("winner:"):
        winner = decision.removeprefix("winner:")
        if winner == control:
            control_name = arm_name(control, variants.get(control))
            return (
                f"Keep {control_name} (the control): the other arms do worse ({name}: {figures})."
            )
        winner_arm = next((arm for arm in arms if arm["key"] == winner), best)
        name = arm_name(winner, variants.get(winner))
        lift = winner_arm.get("lift")
        chance = winner_arm.get("chance_to_beat_control")
        figures = f"{percent(lift, signed=True, digits=0)} {goal}"
        if chance is not None:
            figures += f", {percent(chance, digits=0)} chance it is better"
        return f"{name} wins: {figures}; you can promote it."
    if decision == "no_difference":
        return f"No arm beats the control ({name}: {figures}); stop and keep the control."
    leader = "is ahead" if lift >= 0 else "is behind"
    needed = report.get("sample_size_per_arm")
    seen = min((arm.get("exposures") or 0) for arm in arms)
    todo = (
        f"keep running until about {needed:,} visitors per arm"
        if needed and needed > seen
        else "keep running"
    )
    return f"{name} {leader}: {figures}; {todo}."
