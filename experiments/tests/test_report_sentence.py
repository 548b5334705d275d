"""The plain sentence leading an experiment's report."""

from experiments.wording import lead_sentence

VARIANTS = {"a": "standard-shipping", "b": "free-shipping"}


def report(decision: str, **best) -> dict:
    return {
        "control": "a",
        "decision": decision,
        "sample_size_per_arm": 3500,
        "srm": {"flag": False},
        "arms": [
            {"key": "a", "is_control": True, "exposures": 1200},
            {
                "key": "b",
                "exposures": 1180,
                "lift": 0.12,
                "chance_to_beat_control": 0.95,
                **best,
            },
        ],
    }


def test_running_experiment_says_who_leads_and_how_long_to_go():
    assert lead_sentence(report("keep_running"), VARIANTS, "purchase") == (
        "Free shipping is ahead: +12% purchases, 95% chance it is better; "
        "keep running until about 3,500 visitors per arm."
    )


def test_a_winner_can_be_promoted():
    assert lead_sentence(report("winner:b"), VARIANTS, "purchase") == (
        "Free shipping wins: +12% purchases, 95% chance it is better; you can promote it."
    )


def test_behind_and_no_difference_and_srm():
    behind = report("keep_running", lift=-0.05, chance_to_beat_control=0.2)
    assert lead_sentence(behind, VARIANTS, "add_to_cart").startswith(
        "Free shipping is behind: -5% add-to-carts, 20% chance it is better"
    )
    assert "keep the control" in lead_sentence(report("no_difference"), VARIANTS, "purchase")
    broken = {**report("keep_running"), "srm": {"flag": True}}
    assert "cannot be trusted" in lead_sentence(broken, VARIANTS, "purchase")
