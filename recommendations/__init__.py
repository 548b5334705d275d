"""Recommendations: pure engine (``engine``), offline evaluation (``evaluation``)."""
