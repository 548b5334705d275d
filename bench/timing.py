"""Per-call latency sampling shared by the benchmarks: wall (`perf_counter_ns`) and CPU
of this thread (`thread_time_ns`), summaries, and the result rows against a baseline."""

from collections.abc import Callable, Iterable
from time import perf_counter_ns, thread_time_ns
from typing import Any

from bench.results import Result, percentile


def timed(call: Callable[[], Any], wall: list[int], cpu: list[int]) -> None:
    """Run `call` once, appending its wall and thread-CPU nanoseconds."""
    cpu_start = thread_time_ns()
    wall_start = perf_counter_ns()
    call()
    wall_end = perf_counter_ns()
    cpu_end = thread_time_ns()
    wall.append(wall_end - wall_start)
    cpu.append(cpu_end - cpu_start)


def summary(samples_ns: list[int], unit_ns: float = 1000.0) -> dict[str, float]:
    """p50/p90/p99/max in the unit (µs by default) and the sample count."""
    values = [sample / unit_ns for sample in samples_ns]
    return {
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values),
        "n": len(values),
    }


def timer_overhead() -> int:
    """Median ns a `perf_counter_ns` pair reads around nothing (in every wall sample)."""
    samples = []
    for _ in range(1000):
        start = perf_counter_ns()
        end = perf_counter_ns()
        samples.append(end - start)
    return sorted(samples)[len(samples) // 2]


def latency_results(
    benchmark: str,
    case: str,
    label: str,
    own: dict[str, dict[str, float]],
    base: dict[str, dict[str, float]],
    *,
    percentiles: Iterable[str],
    note: str,
    cpu_decimals: int = 0,
) -> list[Result]:
    """Wall percentiles against the baseline's, then the thread-CPU p99 against its."""
    rows = [
        Result(
            benchmark,
            case,
            f"{label} {pct}",
            own["wall"][pct],
            "µs",
            base["wall"][pct],
            better="lower",
            note=note.format(pct=pct),
        )
        for pct in percentiles
    ]
    rows.append(
        Result(
            benchmark,
            case,
            f"{label} CPU p99",
            own["cpu"]["p99"],
            "µs",
            base["cpu"]["p99"],
            better="lower",
            note=f"thread CPU; p50 {own['cpu']['p50']:.{cpu_decimals}f} µs, max wall "
            f"{own['wall']['max']:,.0f} µs",
        )
    )
    return rows
