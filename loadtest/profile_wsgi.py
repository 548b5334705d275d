"""pz's WSGI application under cProfile, to see where a served request's time goes.

    PZ_PROFILE_DIR=/tmp/prof PZ_PROFILE_PATH=/api/v1/decide \
        gunicorn -c observability/gunicorn_conf.py loadtest.profile_wsgi

One profiler per thread (cProfile follows the thread that enables it), enabled only for
requests whose path starts with PZ_PROFILE_PATH (all when empty), on wall-clock time or
with PZ_PROFILE_CLOCK=cpu on the thread's CPU time; each thread rewrites
its `<pid>-<thread>.prof` every 50 profiled requests (a stopped worker writes nothing
more). Combine and read them with `python loadtest/profile_wsgi.py /tmp/prof`.
A profiled server is slower: read the shares, not the rates.
"""

import cProfile
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

DUMP_EVERY = 50

_local = threading.local()


def _profiler() -> tuple[cProfile.Profile, list[int]]:
    if not hasattr(_local, "profiler"):
        # PZ_PROFILE_CLOCK=cpu: the thread's CPU time, so time spent waiting for a socket
        # or for the GIL (which a wall-clock profile books on `recv`) is left out.
        cpu = os.environ.get("PZ_PROFILE_CLOCK") == "cpu"
        _local.profiler = cProfile.Profile(time.thread_time) if cpu else cProfile.Profile()
        _local.count = [0]
    return _local.profiler, _local.count


def profiled(app: Callable[..., Iterable[bytes]], out: Path, prefix: str) -> Callable[..., Any]:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not environ.get("PATH_INFO", "").startswith(prefix):
            return app(environ, start_response)
        profiler, count = _profiler()
        profiler.enable()
        try:
            # The body is read here, inside the profile (Django's responses are lists).
            return list(app(environ, start_response))
        finally:
            profiler.disable()
            count[0] += 1
            if count[0] % DUMP_EVERY == 0:
                profiler.dump_stats(out / f"{os.getpid()}-{threading.get_ident()}.prof")

    return application


def _application() -> Callable[..., Any]:
    from config.wsgi import application as app

    out = Path(os.environ.get("PZ_PROFILE_DIR", "/tmp/pz-profile"))  # noqa: S108 - a dev tool
    out.mkdir(parents=True, exist_ok=True)
    return profiled(app, out, os.environ.get("PZ_PROFILE_PATH", ""))


def report(directory: Path, limit: int = 45) -> None:
    import pstats

    files = sorted(str(p) for p in directory.glob("*.prof"))
    if not files:
        raise SystemExit(f"no profiles in {directory}")
    stats = pstats.Stats(*files)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


if __name__ == "__main__":
    report(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 45)
else:
    application = _application()
