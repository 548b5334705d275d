"""Stored aggregates of the reports: no visitor ids, only counts and sums per day."""

from django.db import models


class SegmentKpiDay(models.Model):
    """One segment's results on one UTC day, over the visitors who were members at any
    time that day (written by the periodic task, read by the segment KPI endpoint).
    Its `view` permission is the reports' permission (uplift, KPIs, dashboard)."""

    segment = models.ForeignKey(
        "segments.Segment", on_delete=models.CASCADE, related_name="kpi_days"
    )
    day = models.DateField()
    members = models.PositiveIntegerField(default=0)
    converters = models.PositiveIntegerField(default=0)  # members with a purchase that day
    orders = models.PositiveIntegerField(default=0)
    revenue = models.FloatField(default=0.0)
    impressions = models.PositiveIntegerField(default=0)  # of placements, shown to members
    clicks = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "day"], name="segment_kpi_day_unique")
        ]
        verbose_name = "segment KPI day"

    def __str__(self) -> str:
        return f"{self.segment_id} on {self.day}"
