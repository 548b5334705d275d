"""What a benchmark returns, and how a run is shown (a table) and kept (JSON)."""

import json
import math
import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Result:
    """One figure of one benchmark case, next to the baseline measured in the same run.

    `ratio` is value / baseline: for a throughput higher is better, for a latency lower
    is better; `better` says which, so the table can be read without the README.
    """

    benchmark: str
    case: str
    figure: str
    value: float
    unit: str
    baseline: float | None = None
    better: str = "higher"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation): p99 of 120 samples is the 119th.
    The one percentile helper of bench/ and loadtest/; NaN for no samples."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def format_table(results: list[Result]) -> str:
    header = ("benchmark", "case", "figure", "value", "unit", "baseline", "ratio", "note")
    rows = [
        (
            r.benchmark,
            r.case,
            r.figure,
            _number(r.value),
            r.unit,
            _number(r.baseline),
            "-" if r.ratio is None else f"{r.ratio:.2f}x ({r.better} is better)",
            r.note,
        )
        for r in results
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    numeric = {3, 5}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def write_json(results: list[Result], meta: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")  # noqa: TID251 - names the file
    path = RESULTS_DIR / f"bench-{stamp}.json"
    document = {"meta": meta, "results": [r.as_dict() for r in results]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path
