"""A small load client for the public API (stdlib asyncio, loopback only).

    .venv/bin/python loadtest/run.py --url http://127.0.0.1:8200 --duration 60 \
        --concurrency 16 --events-share 0.2

Each of `concurrency` connections (HTTP/1.1 keep-alive) loops until the deadline,
sending `POST /api/v1/decide` or, with probability `events-share`, a batch of
`batch-size` events to `POST /api/v1/events`. Prints throughput, p50/p99 latency per
endpoint and the error count (non-2xx answers, timeouts and connection failures).
Rate limits apply per client address: start the server with PZ_RATE_LIMIT_DECIDE=0 and
PZ_RATE_LIMIT_EVENTS=0 or the run measures 429s.
"""

import argparse
import asyncio
import ipaddress
import json
import random
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

DECIDE, EVENTS = "/api/v1/decide", "/api/v1/events"
PLACEMENTS = ["home-hero", "home-recs", "site-banner"]
DEVICES = ["mobile", "desktop", "tablet"]
COUNTRIES = ["DE", "GB", "FR", "NL", "US"]
EVENT_TYPES = ["page_view", "product_view", "product_view", "add_to_cart", "search"]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {DECIDE: [], EVENTS: []})
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    events_sent: int = 0
    error_samples: list[str] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


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

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\n\r\n"
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


def decide_body(rng: random.Random, visitors: int) -> bytes:
    return json.dumps(
        {
            "visitor_id": f"lt-{rng.randrange(visitors)}",
            "placements": PLACEMENTS,
            "context": {
                "device": rng.choice(DEVICES),
                "country": rng.choice(COUNTRIES),
                "url": "/",
            },
        }
    ).encode()


def events_body(rng: random.Random, visitors: int, products: list[str], size: int) -> bytes:
    visitor = f"lt-{rng.randrange(visitors)}"
    now = datetime.now(UTC).isoformat()
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
    deadline: float,
    stats: Stats,
) -> None:
    # Pseudo-random load shape, reproducible by seed; nothing secret.
    rng = random.Random(args.seed + n)  # noqa: S311  # nosec B311
    conn = Connection(*target)
    while time.monotonic() < deadline:
        path = EVENTS if rng.random() < args.events_share else DECIDE
        body = (
            events_body(rng, args.visitors, products, args.batch_size)
            if path == EVENTS
            else decide_body(rng, args.visitors)
        )
        start = time.perf_counter()
        try:
            status, payload = await asyncio.wait_for(conn.request("POST", path, body), args.timeout)
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
    await conn.close()


async def product_ids(target: tuple[str, int]) -> list[str]:
    """Popular products from the API itself, so events name real products."""
    conn = Connection(*target)
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
    products = await product_ids(target)
    stats = Stats()
    deadline = time.monotonic() + args.duration
    await asyncio.gather(
        *(worker(n, args, target, products, deadline, stats) for n in range(args.concurrency))
    )
    return stats


def report(stats: Stats, elapsed: float, args: argparse.Namespace) -> str:
    lines = [
        f"duration {elapsed:.1f}s, concurrency {args.concurrency}, "
        f"events batch {args.batch_size}, events share {args.events_share}"
    ]
    total = 0
    for path, values in stats.latencies.items():
        total += len(values)
        lines.append(
            f"{path}: {len(values)} requests, {len(values) / elapsed:.1f} req/s, "
            f"p50 {percentile(values, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(values, 0.99) * 1000:.1f} ms"
        )
    lines.append(
        f"total {total / elapsed:.1f} req/s; events stored-or-counted "
        f"{stats.events_sent / elapsed:.0f}/s; errors {stats.errors}"
    )
    lines.append(
        "statuses " + ", ".join(f"{p} {s}: {c}" for (p, s), c in sorted(stats.statuses.items()))
    )
    lines.extend(f"  error sample: {sample}" for sample in stats.error_samples)
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
    args = parser.parse_args(argv)
    started = time.monotonic()
    stats = asyncio.run(run(args))
    sys.stdout.write(report(stats, time.monotonic() - started, args) + "\n")
    return 1 if stats.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
