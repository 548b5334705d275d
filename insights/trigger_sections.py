"""The contacted-vs-control section insights adds to a trigger's results page."""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from core.formatting import money, percent
from insights.statistics import Lift, Uplift
from insights.trigger_results import trigger_results


def lift_text(lift: Lift) -> str:
    if lift.estimate is None:
        return "not enough data"
    if lift.low is None or lift.high is None:
        return percent(lift.estimate, signed=True)
    return (
        f"{percent(lift.estimate, signed=True)} "
        f"({percent(lift.low, signed=True)} to {percent(lift.high, signed=True)})"
    )


def trigger_sentence(result: Uplift) -> str:
    lift = result.lift["conversion_rate"]
    if result.holdout.visitors == 0:
        return "No control firings yet: the control group fills as the trigger matches visitors."
    if result.decision == "personalization_wins":
        return f"The trigger works: {percent(lift.estimate, signed=True)} purchases vs control."
    if result.decision == "holdout_wins":
        return f"The trigger hurts: {percent(lift.estimate, signed=True)} purchases vs control."
    if result.decision == "no_difference":
        return "No measurable effect of the trigger on purchases."
    return "Not conclusive yet; keep the control group running."


def trigger_control_section(request: Any, trigger: Any) -> SafeString:
    result = trigger_results(trigger)
    return render_to_string(
        "insights/admin/trigger_control.html",
        {
            "result": result,
            "sentence": trigger_sentence(result),
            "window_days": settings.PZ_CONVERSION_DAYS,
            "control_percent": percent(trigger.control_share),
            "contacted": {
                "conversion": percent(result.personalized.conversion_rate),
                "revenue": money(result.personalized.revenue_per_visitor),
            },
            "control": {
                "conversion": percent(result.holdout.conversion_rate),
                "revenue": money(result.holdout.revenue_per_visitor),
            },
            "lift": {
                "conversion": lift_text(result.lift["conversion_rate"]),
                "revenue": lift_text(result.lift["revenue_per_visitor"]),
            },
        },
        request=request,
    )
