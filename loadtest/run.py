"""A small load client for the public API (stdlib asyncio, loopback only).

    .venv/bin/python loadtest/run.py --url http://127.0.0.1:8200 --duration 60 \
        --concurrency 16 --events-share 0.2 --visitor-ids known.txt --known-share 0.5

Each of `concurrency` connections (HTTP/1.1 keep-alive) loops until the deadline,
sending `POST /api/v1/decide` or, with probability `events-share`, a batch of
`batch-size` events to `POST /api/v1/events`. A request is for a known visitor (an id
read from `--visitor-ids`, e.g. the demo's customers) with probability `known-share`,
else for one of `visitors` anonymous ids (`lt-<n>`). `--get PATH` instead sends only
`GET PATH` (a baseline such as /healthz at the same concurrency). Prints throughput,
p50/p99 latency per endpoint and the error count (non-2xx answers, timeouts and
connection failures); `--json FILE` also writes the figures. Rate limits apply per
client address: start the server with PZ_RATE_LIMIT_DECIDE=0 and PZ_RATE_LIMIT_EVENTS=0
or the run measures 429s. `loadtest/gunicorn_run.py` runs the whole thing on gunicorn.
"""

import argparse
import asyncio
import ipaddress
import json
import random
import socket
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Run as a script: make the repository root importable for the one percentile helper.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.results import percentile  # noqa: E402

DECIDE, EVENTS = "/api/v1/decide", "/api/v1/events"
PLACEMENTS = ["home-hero", "home-recs", "site-banner"]
DEVICES = ["mobile", "desktop", "tablet"]
COUNTRIES = ["DE", "GB", "FR", "NL", "US"]
EVENT_TYPES = ["page_view", "product_view", "product_view", "add_to_cart", "search"]


@dataclass
class Stats:
    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    events_sent: int = 0
    # What the 2xx decide answers held: evidence the run exercised real profiles.
    decisions: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)


def loopback_target(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit("only http:// URLs are supported")
    address = socket.gethostbyname(parts.hostname)
    if not ipaddress.ip_address(address).is_loopback:
        raise SystemExit(f"refusing to load a non-loopback host ({parts.hostname})")
    return address, parts.port or 80


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects after an error."""

    def __init__(self, host: str, port: int, headers: list[str] | None = None):
        self.host, self.port = host, port
        self.extra = "".join(f"{header}\r\n" for header in headers or [])
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Connection: keep-alive\r\n{self.extra}\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        if self.reader is None:
            raise ConnectionError("not connected")
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            payload = b""
            while size := int((await self.reader.readline()).strip() or b"0", 16):
                payload += await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            payload = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


def pick_visitor(rng: random.Random, args: argparse.Namespace, known: list[str]) -> str:
    if known and rng.random() < args.known_share:
        return rng.choice(known)
    return f"lt-{rng.randrange(args.visitors)}"


def decide_body(visitor: str, rng: random.Random) -> bytes:
    return json.dumps(
        {
            "visitor_id": visitor,
            "placements": PLACEMENTS,
            "context": {
                "device": rng.choice(DEVICES),
                "country": rng.choice(COUNTRIES),
                "url": "/",
            },
        }
    ).encode()


def events_body(visitor: str, rng: random.Random, products: list[str], size: int) -> bytes:
    now = datetime.now(UTC).isoformat()  # noqa: TID251 - a client, on the machine clock
    events = []
    for _ in range(size):
        kind = rng.choice(EVENT_TYPES)
        properties: dict[str, object] = {"product_id": rng.choice(products)}
        if kind == "search":
            properties = {"query": "gift"}
        events.append(
            {
                "type": kind,
                "visitor_id": visitor,
                "session_id": f"{visitor}-s",
                "timestamp": now,
                "properties": properties,
                "context": {"device": rng.choice(DEVICES), "country": "DE", "url": "/"},
            }
        )
    return json.dumps({"events": events}).encode()


async def worker(
    n: int,
    args: argparse.Namespace,
    target: tuple[str, int],
    products: list[str],
    known: list[str],
    deadline: float,
    stats: Stats,
) -> None:
    # Pseudo-random load shape, reproducible by seed; nothing secret.
    rng = random.Random(args.seed + n)  # noqa: S311  # nosec B311
    conn = Connection(*target, args.header)
    while time.monotonic() < deadline:
        if args.get:
            method, path, body = "GET", args.get, b""
        else:
            method = "POST"
            path = EVENTS if rng.random() < args.events_share else DECIDE
            visitor = pick_visitor(rng, args, known)
            body = (
                events_body(visitor, rng, products, args.batch_size)
                if path == EVENTS
                else decide_body(visitor, rng)
            )
        start = time.perf_counter()
        try:
            request = conn.request(method, path, body)
            status, payload = await asyncio.wait_for(request, args.timeout)
        except (TimeoutError, OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            stats.error(f"{path}: {type(exc).__name__}")
            await conn.close()
            continue
        stats.latencies[path].append(time.perf_counter() - start)
        stats.statuses[(path, status)] += 1
        if not 200 <= status < 300:
            stats.error(f"{path}: {status} {payload[:200]!r}")
        elif path == EVENTS:
            stats.events_sent += args.batch_size
        elif path == DECIDE:
            count_decision(stats, payload)
    await conn.close()


def count_decision(stats: Stats, payload: bytes) -> None:
    try:
        decision = json.loads(payload)
    except ValueError:
        stats.decisions["unparsable"] += 1
        return
    placements = [p for p in (decision.get("placements") or {}).values() if p]
    stats.decisions["answers"] += 1
    stats.decisions["with segments"] += bool(decision.get("segments"))
    stats.decisions["in an experiment"] += any("experiment" in p for p in placements)
    stats.decisions["degraded"] += bool(decision.get("degraded"))


async def product_ids(target: tuple[str, int], headers: list[str]) -> list[str]:
    """Popular products from the API itself, so events name real products."""
    conn = Connection(*target, headers)
    try:
        status, payload = await conn.request("GET", "/api/v1/recommendations?strategy=popular&k=50")
        items = json.loads(payload).get("items", []) if status == 200 else []
    except (OSError, ValueError):
        items = []
    finally:
        await conn.close()
    return [item["product_id"] for item in items] or [f"LT-{i}" for i in range(50)]


async def run(args: argparse.Namespace) -> Stats:
    target = loopback_target(args.url)
    products = [] if args.get else await product_ids(target, args.header)
    known = known_visitors(args.visitor_ids)
    stats = Stats()
    deadline = time.monotonic() + args.duration
    await asyncio.gather(
        *(
            worker(n, args, target, products, known, deadline, stats)
            for n in range(args.concurrency)
        )
    )
    return stats


def known_visitors(path: Path | None) -> list[str]:
    if path is None:
        return []
    ids = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [visitor for visitor in ids if visitor]


def figures(stats: Stats, elapsed: float, args: argparse.Namespace) -> dict[str, Any]:
    """The run's figures as plain data (what `--json` writes and `report` prints)."""
    endpoints = {
        path: {
            "requests": len(values),
            "rps": len(values) / elapsed,
            "p50_ms": percentile(values, 50) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
        }
        for path, values in sorted(stats.latencies.items())
    }
    return {
        "duration_s": elapsed,
        "concurrency": args.concurrency,
        "mode": f"GET {args.get}" if args.get else "decide+events",
        "events_batch": args.batch_size,
        "events_share": args.events_share,
        "known_share": args.known_share if args.visitor_ids else 0.0,
        "endpoints": endpoints,
        "total_rps": sum(e["requests"] for e in endpoints.values()) / elapsed,
        "events_per_s": stats.events_sent / elapsed,
        "errors": stats.errors,
        "decisions": dict(stats.decisions),
        "statuses": {f"{p} {s}": c for (p, s), c in sorted(stats.statuses.items())},
        "error_samples": stats.error_samples,
    }


def report(data: dict[str, Any]) -> str:
    if data["mode"] == "decide+events":
        shape = (
            f"events batch {data['events_batch']}, events share {data['events_share']}, "
            f"known visitors share {data['known_share']}"
        )
    else:
        shape = data["mode"]
    lines = [f"duration {data['duration_s']:.1f}s, concurrency {data['concurrency']}, {shape}"]
    for path, row in data["endpoints"].items():
        lines.append(
            f"{path}: {row['requests']} requests, {row['rps']:.1f} req/s, "
            f"p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms"
        )
    lines.append(
        f"total {data['total_rps']:.1f} req/s; events stored-or-counted "
        f"{data['events_per_s']:.0f}/s; errors {data['errors']}"
    )
    if decisions := dict(data["decisions"]):
        total = decisions.pop("answers", 0)
        details = ", ".join(f"{k} {c}" for k, c in decisions.items())
        lines.append(f"decide answers (2xx): {total}; {details}")
    lines.append("statuses " + ", ".join(f"{k}: {c}" for k, c in data["statuses"].items()))
    lines.extend(f"  error sample: {sample}" for sample in data["error_samples"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8200")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--events-share", type=float, default=0.2)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--visitors", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--visitor-ids", type=Path, default=None, help="known visitor ids, one per line"
    )
    parser.add_argument(
        "--known-share",
        type=float,
        default=0.5,
        help="share of requests for a known visitor (with --visitor-ids)",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra request header, repeatable (e.g. 'X-Forwarded-Proto: https')",
    )
    parser.add_argument("--get", metavar="PATH", help="baseline: only GET PATH (e.g. /healthz)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    stats = asyncio.run(run(args))
    data = figures(stats, time.monotonic() - started, args)
    sys.stdout.write(report(data) + "\n")
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 1 if stats.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
