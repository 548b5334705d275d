"""Run pz benchmarks: `python bench/run.py ingest`, `python bench/run.py all`,
`python bench/run.py list`.

A benchmark is a module `bench/<name>.py` with a `run(args) -> list[Result]` function
and, optionally, `add_arguments(parser)` for its own `--<name>-...` options. Adding the
module is all it takes to register it.
"""

import argparse
import importlib
import os
import pkgutil
import platform
import sys
from pathlib import Path
from types import ModuleType

if __package__ in (None, ""):
    # Run as a script (`python bench/run.py`): make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import BACKENDS, DEFAULT_PG_URL  # noqa: E402
from bench.results import Result, format_table, write_json  # noqa: E402


def benchmarks() -> dict[str, ModuleType]:
    """Every module of the `bench` package that defines `run`, by name."""
    import bench

    found = {}
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda info: info.name):
        if info.name.startswith("_") or info.name in {"run", "django_worker"}:
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            found[info.name] = module
    return found


def parser_for(registry: dict[str, ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="pz benchmarks; every figure is shown next to a baseline from the same run.",
    )
    parser.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help=f"benchmarks to run: {', '.join(registry)}, 'all', or 'list'",
    )
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help=f"comma-separated database backends ({','.join(BACKENDS)})",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure; median is shown")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the synthetic data")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("PZ_BENCH_PG_URL", DEFAULT_PG_URL),
        help="PostgreSQL server to create the scratch database on (env PZ_BENCH_PG_URL)",
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="use Redis as the Django cache (e.g. redis://127.0.0.1:6379/15); "
        "default: local memory",
    )
    parser.add_argument(
        "--json", action="store_true", help="also write the figures to bench/results/"
    )
    for module in registry.values():
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    return parser


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    registry = benchmarks()
    parser = parser_for(registry)
    args = parser.parse_args(argv)
    if args.names == ["list"]:
        for name, module in registry.items():
            summary = (module.__doc__ or "").strip().splitlines()[0]
            print(f"{name:<12} {summary}")
        return 0
    names = list(registry) if args.names == ["all"] else args.names
    unknown = [name for name in names if name not in registry]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(registry)}")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    bad = [b for b in args.backends if b not in BACKENDS]
    if bad:
        parser.error(f"unknown backend(s): {', '.join(bad)}; known: {', '.join(BACKENDS)}")

    load_before = _load()
    print(f"load average before: {load_before} on {os.cpu_count()} CPUs", flush=True)
    results: list[Result] = []
    for name in names:
        results.extend(registry[name].run(args))
    load_after = _load()
    print(f"\nload average after: {load_after}; ratios share the run's noise, absolutes do not")
    print()
    print(format_table(results) if results else "No figures (every case was skipped).")
    if args.json and results:
        meta = {
            "argv": sys.argv,
            "python": platform.python_version(),
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": {"before": load_before, "after": load_after},
            "options": {k: v for k, v in vars(args).items() if k != "pg_url"},
        }
        print(f"\nJSON: {write_json(results, meta)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
