"""The load test in one command: gunicorn on the demo data with real services.

    .venv/bin/python loadtest/gunicorn_run.py                  # 60 s of decide + ingest
    .venv/bin/python loadtest/gunicorn_run.py --duration 10    # smoke run
    make loadtest                                              # same; DURATION=10 for a smoke

Steps: drop and recreate the scratch PostgreSQL database `pz_loadtest`, empty Redis DB 13,
`migrate`, `load_demo` (the whole Online Retail shop; `--limit-invoices N` for a quicker
subset) and `prepare.py` (one running A/B test, the known visitors' ids), all with eager
Celery; then start a Celery worker on its own queue and gunicorn
(`observability/gunicorn_conf.py`, production settings, gthread), wait for `/readyz`
(database, cache and broker all "ok"), warm up, measure a baseline (`GET /healthz` at the
same concurrency) and run `run.py` against decide and ingest. Prints the client's figures,
throughput and p50 against the baseline, the worker's task count and the load average
before and after. gunicorn and the worker are stopped (their process groups) however the
run ends, and the worker's queue is deleted; logs stay in the run directory printed.
Exit status 1 when the measured run had errors.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from config.queues import all_queue_names, pool_queue_names  # noqa: E402  (our own module)

BIN = ROOT / ".venv" / "bin"
PYTHON = BIN / "python"
RUN_PY = ROOT / "loadtest" / "run.py"
# Production settings redirect plain HTTP; the client speaks as a TLS-terminating proxy.
PROXY_HEADER = "X-Forwarded-Proto: https"
DECIDE, EVENTS = "/api/v1/decide", "/api/v1/events"


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_services(args: argparse.Namespace) -> None:
    """Fail early, by name, when a service is not there."""
    import psycopg
    import redis

    with psycopg.connect(args.pg_url, connect_timeout=3):
        pass
    redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()
    host, port = "127.0.0.1", 5672
    with socket.create_connection((host, port), timeout=2):
        pass


def recreate_database(pg_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_url(pg_url: str, name: str) -> str:
    return pg_url.rsplit("/", 1)[0] + "/" + name


def service_env(args: argparse.Namespace, queue: str, run_dir: Path) -> dict[str, str]:
    """The environment of every Django process of the run: production settings, real
    services, rate limits off. The setup steps drop the broker and run tasks eagerly."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        # Fixed, so the customer keys load_demo wrote stay valid with --reuse-db.
        "PZ_CUSTOMER_ID_PEPPER": "pz-loadtest-pepper",
        "PZ_IDENTITY_SECRET": secrets.token_urlsafe(40),
        # The load is consenting visitors: production's opt-in would drop every event.
        "PZ_DEFAULT_CONSENT_TRACKING": "1",
        "PZ_DEFAULT_CONSENT_PERSONALIZATION": "1",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url(args.pg_url, args.database),
        "DATABASE_CONN_MAX_AGE": str(args.conn_max_age),
        "REDIS_URL": args.redis_url,
        "PZ_CACHE_PREFIX": "pzlt",
        "CELERY_BROKER_URL": args.broker_url,
        "PZ_LOG_QUEUE_WAIT": "1",  # the per-task-type waits of the report
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PZ_CELERY_QUEUE": queue,
        "PZ_RATE_LIMIT_DECIDE": "0",
        "PZ_RATE_LIMIT_EVENTS": "0",
        "PZ_RATE_LIMIT_RECOMMENDATIONS": "0",
        "PZ_LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(run_dir / "prometheus"),
    }


def step(name: str, command: list[str], env: dict[str, str], log: Path) -> None:
    started = time.monotonic()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {shlex.join(command)}\n")
        out.flush()
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode:
        say(tail(log, 40))
        raise SystemExit(f"{name} failed (exit {result.returncode}); log: {log}")
    say(f"  {name}: {time.monotonic() - started:.0f} s")


def tail(path: Path, lines: int) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class Services:
    """gunicorn and the Celery worker, each in its own session (process group), so that
    stopping one stops its children and Ctrl-C in the terminal reaches neither directly."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        with log.open("ab") as out:
            self.procs[name] = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited early (status {proc.returncode})")

    def stop(self) -> None:
        try:
            for name, proc in reversed(self.procs.items()):
                self._stop(name, proc)
        finally:
            # Also after a second Ctrl-C during the graceful stop: no group survives.
            for proc in self.procs.values():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    @staticmethod
    def _stop(name: str, proc: subprocess.Popen[bytes]) -> None:
        # To the parent only, so gunicorn's master and Celery's main process stop their
        # children themselves: SIGTERM is the graceful stop of both, SIGQUIT Celery's cold
        # one (a warm shutdown can sit on reserved countdown tasks), then the whole group.
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGQUIT, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            try:
                proc.wait(grace)
                break
            except subprocess.TimeoutExpired:
                say(f"  {name} still running {grace:.0f} s after {sig.name}")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


def wait_ready(url: str, services: Services, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        services.check_alive()
        try:
            # The URL is http://127.0.0.1:<port>, built here.
            probe = urllib.request.urlopen(url + "/readyz", timeout=3)  # noqa: S310  # nosec B310
            with probe as response:
                body = json.loads(response.read())
            checks = body["checks"]
            if all(checks[name]["status"] == "ok" for name in ("database", "cache", "broker")):
                return checks
            last = json.dumps(checks)
        except (OSError, ValueError, KeyError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.5)
    raise RuntimeError(f"/readyz not ready with every service ok after {timeout:.0f} s: {last}")


def wait_worker(log: Path, services: Services, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.check_alive()
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if text.count(" ready.") >= 2:  # both workers
            return
        time.sleep(0.5)
    raise RuntimeError(f"the Celery worker did not report ready in {timeout:.0f} s; log: {log}")


def client(
    args: argparse.Namespace, url: str, duration: float, out: Path, extra: list[str]
) -> tuple[dict[str, Any], str]:
    """Run `run.py` in its own process; its figures (from --json) and printed report."""
    command = [
        str(PYTHON),
        str(RUN_PY),
        "--url",
        url,
        "--duration",
        str(duration),
        "--concurrency",
        str(args.concurrency),
        "--timeout",
        str(args.timeout),
        "--seed",
        str(args.seed),
        "--header",
        PROXY_HEADER,
        "--json",
        str(out),
        *extra,
    ]
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        command, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if not out.exists():
        raise RuntimeError(f"the load client failed:\n{result.stdout}{result.stderr}")
    return json.loads(out.read_text(encoding="utf-8")), result.stdout.rstrip()


def queue_depth_and_delete(broker_url: str, queue: str) -> int | None:
    """Messages left in the run's queues (tasks the workers had not taken), then drop them."""
    from kombu import Connection

    total = 0
    try:
        with Connection(broker_url, connect_timeout=2) as conn:
            channel = conn.default_channel
            for name in all_queue_names(queue):
                try:
                    _, messages, _ = channel.queue_declare(queue=name, passive=True)
                except Exception:  # noqa: BLE001 - never declared: nothing was routed there
                    channel = conn.channel()
                    continue
                total += messages
                channel.queue_delete(queue=name)
            return total
    except Exception:  # noqa: BLE001 - cleanup is best effort; the figures are already out
        return None


class QueueLag:
    """Samples the run's queues every `interval` s in a thread: messages waiting (ready),
    the age of the oldest waiting one, and messages held by workers (unacknowledged:
    running, or reserved until a countdown, e.g. trigger checks minutes later), from
    `rabbitmqctl list_queues` (task messages carry their publish time, config/celery.py).
    Lag is the age of the oldest waiting message. Without rabbitmqctl, no samples."""

    def __init__(self, queues: list[str], interval: float) -> None:
        import threading

        self.queues, self.interval = queues, interval
        self.samples: list[tuple[float, dict[str, tuple[int, float, int]]]] = []
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.error = ""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def sample(self) -> dict[str, tuple[int, float, int]] | None:
        binary = shutil.which("rabbitmqctl")
        if binary is None:
            self.error = "rabbitmqctl not found"
            return None
        try:
            out = subprocess.run(  # noqa: S603 - fixed argv
                [
                    binary,
                    "-q",
                    "list_queues",
                    "name",
                    "messages_ready",
                    "head_message_timestamp",
                    "messages_unacknowledged",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            self.error = str(exc)[:200]
            return None
        now = time.time()  # noqa: TID251 - compared with the broker's wall clock
        found = {}
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and parts[0] in self.queues:
                messages = int(parts[1]) if parts[1].isdigit() else 0
                stamp = parts[2].strip() if len(parts) > 2 else ""
                age = max(0.0, now - int(stamp)) if stamp.isdigit() and messages else 0.0
                held = int(parts[3]) if len(parts) > 3 and parts[3].strip().isdigit() else 0
                found[parts[0]] = (messages, age, held)
        self.samples.append((time.monotonic() - self.started, found))
        return found

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def drain(self, timeout: float) -> float | None:
        """Seconds until no message waits in any queue (None: not within `timeout`)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            found = self.sample()
            if found is not None and not any(messages for messages, _, _ in found.values()):
                return time.monotonic() - started
            time.sleep(2)
        return None

    def report(self) -> list[str]:
        if not self.samples:
            return [f"queue lag: no samples ({self.error or 'rabbitmqctl unavailable'})"]
        lines = [
            "queue lag (age of the oldest waiting message, s), messages waiting and held by "
            "workers (running or reserved until a countdown), per queue:"
        ]
        for queue in self.queues:
            rows = [found.get(queue, (0, 0.0, 0)) for _, found in self.samples]
            depths, ages, held = ([row[i] for row in rows] for i in range(3))
            if not any(depths) and not any(held):
                lines.append(f"  {queue:<36} empty throughout")
                continue
            lines.append(
                f"  {queue:<36} lag max {max(ages):5.0f}  mean {sum(ages) / len(ages):5.1f}  "
                f"waiting max {max(depths):6d}  at end {depths[-1]:6d}  held at end {held[-1]:5d}"
            )
        timeline = ", ".join(
            f"{at:.0f}s:{max((row[1] for row in found.values()), default=0):.0f}"
            for at, found in self.samples
        )
        lines.append(f"  max lag over all queues by time: {timeline}")
        return lines


def worker_tasks(log: Path) -> Counter[str]:
    """Tasks the worker logged, by outcome and by task name."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    outcomes = re.findall(r"Task (\S+)\[[^\]]+\] (received|succeeded|raised|retry)", text)
    return Counter(outcome for _, outcome in outcomes) + Counter(
        name.rsplit(".", 1)[-1] for name, outcome in outcomes if outcome == "received"
    )


def task_figures(log: Path) -> list[str]:
    """Per task type, from the worker log: how long tasks waited in their queue before a
    worker started them (config/celery.py logs it; from the ETA for delayed tasks) and the
    worker time they took ("succeeded in"). The broker's head age shows only the next
    message of a priority queue; this shows every type's lag, low priorities included."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    waits: dict[str, list[float]] = {}
    priorities: dict[str, str] = {}
    for name, wait, priority in re.findall(
        r"Task (\S+)\[[^\]]+\] waited ([\d.]+)s priority (\S+)", text
    ):
        waits.setdefault(name, []).append(float(wait))
        priorities[name] = priority
    runtimes: dict[str, list[float]] = {}
    for name, runtime in re.findall(r"Task (\S+)\[[^\]]+\] succeeded in ([\d.]+)s", text):
        runtimes.setdefault(name, []).append(float(runtime))
    if not waits and not runtimes:
        return ["tasks by type: none logged"]
    lines = [
        "tasks by type: queue wait (s, from publish or ETA to start) p50/p95/max, "
        "worker time (s) total and mean:"
    ]
    for name in sorted(set(waits) | set(runtimes)):
        wait = sorted(waits.get(name, [0.0]))
        ran = runtimes.get(name, [])

        def at(share: float, values: list[float] = wait) -> float:
            return values[min(len(values) - 1, int(share * len(values)))]

        lines.append(
            f"  {name.rsplit('.', 1)[-1]:<36} prio {priorities.get(name, '?'):>4} "
            f"n {len(ran):5d}  wait {at(0.5):5.1f}/{at(0.95):5.1f}/{wait[-1]:5.1f}  "
            f"work {sum(ran):7.1f} total {sum(ran) / max(1, len(ran)):6.3f} mean"
        )
    return lines


def error_lines(log: Path) -> list[str]:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    keep = ("Traceback", '"level": "ERROR"', "[ERROR]", "[CRITICAL]", "WORKER TIMEOUT")
    return [line for line in text.splitlines() if any(k in line for k in keep)]


def summary(main: dict[str, Any], base: dict[str, Any], args: argparse.Namespace) -> Iterator[str]:
    baseline = base["endpoints"].get(args.baseline_path, {})
    base_rps, base_p50 = baseline.get("rps", 0.0), baseline.get("p50_ms", 0.0)
    base_p99 = baseline.get("p99_ms", 0.0)
    yield (
        f"baseline GET {args.baseline_path}: {base_rps:.1f} req/s, p50 {base_p50:.1f} ms, "
        f"p99 {base_p99:.1f} ms, errors {base['errors']} "
        f"({base['duration_s']:.0f} s, concurrency {base['concurrency']})"
    )
    yield "ratio = value / the same figure of the baseline (measured in this run)"
    yield f"{'figure':<20}{'value':>10}{'baseline':>10}{'ratio':>9}"

    def row(name: str, value: float, reference: float) -> str:
        ratio = f"{value / reference:.3f}" if reference else "n/a"
        return f"{name:<20}{value:>10.1f}{reference:>10.1f}{ratio:>9}"

    for path in (DECIDE, EVENTS):
        figures = main["endpoints"].get(path)
        if figures is None:
            continue
        name = "decide" if path == DECIDE else "ingest"
        yield row(f"{name} req/s", figures["rps"], base_rps)
        yield row(f"{name} p50 ms", figures["p50_ms"], base_p50)
        yield row(f"{name} p99 ms", figures["p99_ms"], base_p99)
    yield row("total req/s", main["total_rps"], base_rps)
    yield f"{'ingest events/s':<20}{main['events_per_s']:>10.0f}"


def run(args: argparse.Namespace) -> int:
    run_dir = Path(tempfile.mkdtemp(prefix="pz-loadtest-"))
    (run_dir / "prometheus").mkdir()
    queue = f"pz-loadtest-{os.getpid()}"
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(args, queue, run_dir)
    setup_env = {k: v for k, v in env.items() if k != "CELERY_BROKER_URL"}
    setup_env["CELERY_TASK_ALWAYS_EAGER"] = "1"
    load_before = load_average()
    say(f"run directory (logs, figures): {run_dir}")
    say(f"load average before: {load_before}")

    check_services(args)
    database = env["DATABASE_URL"]
    if args.reuse_db:
        say(f"reusing database {database} (no migrate/load_demo)")
    else:
        say(f"setup: scratch database {database}, Redis {args.redis_url} (emptied)")
        recreate_database(args.pg_url, args.database)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    setup_log = run_dir / "setup.log"
    known = run_dir / "known_visitors.txt"
    if not args.reuse_db:
        manage = [str(PYTHON), "manage.py"]
        step("migrate", [*manage, "migrate", "--noinput"], setup_env, setup_log)
        limit = ["--limit-invoices", str(args.limit_invoices)] if args.limit_invoices else []
        step("load_demo", [*manage, "load_demo", *limit], setup_env, setup_log)
    prepare = [str(PYTHON), "loadtest/prepare.py", "--visitor-ids", str(known)]
    step("prepare", prepare, setup_env, setup_log)
    say(tail(setup_log, 2))
    # The client names visitors of its choosing, as the shop's backend does: a server key.
    server_key = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [str(PYTHON), "manage.py", "create_server_key", "loadtest"],
        cwd=ROOT,
        env=setup_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    gunicorn_conf = (
        f"observability/gunicorn_conf.py, {args.workers} workers x {args.threads} threads "
        f"(gthread), DATABASE_CONN_MAX_AGE={args.conn_max_age}, settings "
        "config.settings.production (DEBUG off), rate limits off"
    )
    services = Services()
    worker_log, gunicorn_log = run_dir / "worker.log", run_dir / "gunicorn.log"
    try:
        # Two worker processes: the realtime pool (ingest follow-up, delivery) and one
        # for the rest (default, segments, experiments, training), as README "Workers".
        pools = {
            "realtime": pool_queue_names("realtime", queue),
            "batch": [
                *pool_queue_names("batch", queue),
                *pool_queue_names("training", queue),
            ],
        }
        for pool, names in pools.items():
            services.start(
                f"celery worker {pool}",
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    ",".join(names),
                    "-n",
                    f"{pool}.{queue}@%h",
                    f"--concurrency={args.worker_concurrency}",
                    "--loglevel=INFO",
                    f"--logfile={worker_log}",
                ],
                env,
                run_dir / f"worker-{pool}.out",
            )
        services.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "-c",
                "observability/gunicorn_conf.py",
                "--worker-class",
                "gthread",
                "--threads",
                str(args.threads),
                "--error-logfile",
                "-",
                "--capture-output",
                # The default socket (~/.gunicorn/gunicorn.ctl) is shared by every gunicorn.
                "--no-control-socket",
                "config.wsgi",
            ],
            {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(args.workers)},
            gunicorn_log,
        )
        checks = wait_ready(url, services, timeout=90)
        wait_worker(worker_log, services, timeout=60)
        say(f"gunicorn {url}: {gunicorn_conf}")
        say(
            "readyz: "
            + ", ".join(f"{name} {check['status']}" for name, check in checks.items())
            + f"; 2 celery workers (realtime, batch+training) on queues {queue}.*, "
            f"concurrency {args.worker_concurrency} each"
        )

        mix = [
            "--header",
            f"Authorization: Bearer {server_key}",
            "--events-share",
            str(args.events_share),
            "--batch-size",
            str(args.batch_size),
            "--visitor-ids",
            str(known),
            "--known-share",
            str(args.known_share),
        ]
        if args.warmup > 0:
            warm, _ = client(args, url, args.warmup, run_dir / "warmup.json", mix)
            rate, errors = warm["total_rps"], warm["errors"]
            say(f"warm-up {args.warmup:.0f} s: {rate:.1f} req/s, errors {errors}")
        base, _ = client(
            args, url, args.baseline, run_dir / "baseline.json", ["--get", args.baseline_path]
        )
        say(f"baseline {args.baseline:.0f} s done; measuring {args.duration:.0f} s ...")
        lag = QueueLag(all_queue_names(queue), args.lag_interval)
        lag.start()
        main, main_report = client(args, url, args.duration, run_dir / "run.json", mix)
        lag.stop()
        say(f"load stopped; waiting up to {args.drain_timeout:.0f} s for the queues to drain ...")
        drained = lag.drain(args.drain_timeout)
        services.check_alive()
    finally:
        services.stop()
        depth = queue_depth_and_delete(args.broker_url, queue)

    say()
    say("== load test: decide + ingest on gunicorn ==")
    say(f"gunicorn: {gunicorn_conf}")
    say(f"client: {shlex.join(['loadtest/run.py', *mix])} --concurrency {args.concurrency}")
    say(main_report)
    say()
    for line in summary(main, base, args):
        say(line)
    tasks = worker_tasks(worker_log)
    left = "unknown" if depth is None else str(depth)
    by_name = ", ".join(f"{k} {v}" for k, v in sorted(tasks.items()) if k.endswith("_task"))
    say(
        f"celery worker: {tasks['received']} tasks received ({by_name}), "
        f"{tasks['succeeded']} succeeded, {tasks['raised'] + tasks['retry']} raised or retried; "
        f"{left} left unrun in the queue when it stopped (queue deleted)"
    )
    for line in lag.report():
        say(line)
    for line in task_figures(worker_log):
        say(line)
    say(
        f"queues drained {drained:.0f} s after the load stopped (2 worker processes)"
        if drained is not None
        else f"queues NOT drained within {args.drain_timeout:.0f} s after the load stopped"
    )
    errors = error_lines(gunicorn_log)
    say(f"gunicorn log: {len(errors)} error lines ({gunicorn_log})")
    for line in errors[:10]:
        say(f"  {line[:300]}")
    say(f"load average before: {load_before}")
    say(f"load average after:  {load_average()}")
    return 1 if main["errors"] or base["errors"] else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--duration", type=float, default=60.0, help="measured seconds (default 60)")
    add("--baseline", type=float, default=10.0, help="seconds of the baseline phase")
    add("--baseline-path", default="/healthz")
    add("--warmup", type=float, default=5.0, help="unmeasured seconds first (0: none)")
    add("--concurrency", type=int, default=16)
    add("--events-share", type=float, default=0.2)
    add("--batch-size", type=int, default=50)
    add("--known-share", type=float, default=0.5, help="share of requests for demo customers")
    add("--timeout", type=float, default=10.0)
    add("--seed", type=int, default=1)
    add("--workers", type=int, default=3, help="gunicorn workers (2 cores: 3)")
    add("--threads", type=int, default=4, help="gthread threads per worker")
    add("--worker-concurrency", type=int, default=1, help="processes of each of the 2 workers")
    add("--lag-interval", type=float, default=5.0, help="seconds between queue lag samples")
    add("--drain-timeout", type=float, default=180.0, help="seconds the queues get to drain")
    add("--conn-max-age", type=int, default=60, help="DATABASE_CONN_MAX_AGE of the servers")
    add("--port", type=int, default=0, help="gunicorn port (default: a free one)")
    add("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    add("--database", default="pz_loadtest", help="scratch database, dropped and recreated")
    add("--reuse-db", action="store_true", help="keep the database as loaded by a last run")
    add("--limit-invoices", type=int, default=None, help="load_demo subset (default: all)")
    add("--redis-url", default="redis://127.0.0.1:6379/13", help="emptied at the start")
    add("--broker-url", default="amqp://guest:guest@127.0.0.1:5672//")
    return parser.parse_args(argv)


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the services are stopped."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        return run(args)
    except KeyboardInterrupt:
        say("interrupted; gunicorn and the worker were stopped")
        return 130
    except RuntimeError as exc:
        say(f"load test failed: {exc}")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
