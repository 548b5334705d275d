"""Catalog imports: 100,000 products through `manage.py import_products` and through
`PUT /api/v1/products`, as a share of a plain `bulk_create` of the same rows.

One Django worker per backend on a scratch database. Data (seeded, untimed): products
with every field (title, description, url, image, price, sale price on a third,
currency, category path, brand, stock, two attributes). Files and request bodies are
written before timing. Per repeat, each on an emptied product table:

1. **baseline**: `Product.objects.bulk_create` of the same rows as model instances with
   clean values, in batches of 1,000: no parsing, no validation, no lookup.
2. **command CSV**: `call_command("import_products", file.csv)` (read, map, validate,
   look up existing ids, insert; per-1,000 transactions).
3. **command Merchant XML**: the same products as a Google Merchant Center RSS feed
   (defusedxml streaming parse).
4. **API**: 100 `PUT /api/v1/products` of 1,000 products each with a server key,
   in-process through Django's test `Client` (URL routing, middleware, DRF, the JSON
   parser, then the same service).
5. **re-import, unchanged**: the CSV command again on the filled table: every row is
   read, validated and compared, nothing is written.

The recommender retraining a catalog change schedules is switched off here: it runs
later, on a worker, and is no part of an import's cost. Figures: products/s of each
and its ratio to the baseline (target >= 0.3).
"""

import argparse
import csv
import json
import random
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any
from xml.sax.saxutils import escape

from bench.databases import BackendUnavailable, run_worker, scratch_database
from bench.results import Result, median

NAME = "catalog_import"
TARGET_RATIO = 0.3
CATEGORIES = [
    f"{a}/{b}"
    for a in ("home", "kitchen", "garden", "outdoor", "toys", "fashion")
    for b in ("lighting", "storage", "decor", "tools", "gifts")
]
BRANDS = ["Acme", "Northwind", "Globex", "Initech", "Umbrella", "Hooli"]
COLORS = ["red", "green", "blue", "black", "white", "gold"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("catalog_import")
    group.add_argument(
        "--catalog-import-products", type=int, default=100_000, help="products (100000)"
    )
    group.add_argument("--catalog-import-batch", type=int, default=1000, help="per PUT (1000)")


def run(args: argparse.Namespace) -> list[Result]:
    options = {
        "products": args.catalog_import_products,
        "batch": args.catalog_import_batch,
        "repeats": args.repeats,
        "seed": args.seed,
    }
    results = []
    for backend in args.backends:
        print(f"\n[{NAME}] {backend}: {options['products']:,} products", flush=True)
        try:
            with scratch_database(backend, pg_url=args.pg_url) as database:
                figures = run_worker(f"bench.{NAME}:measure", database, options)
        except BackendUnavailable as exc:
            print(f"[{NAME}] {backend}: SKIPPED - {exc}", flush=True)
            continue
        base = figures["baseline"]
        for label, key, note in [
            ("import_products CSV", "command_csv", "manage.py import_products file.csv"),
            ("import_products Merchant XML", "command_xml", "Google Merchant Center RSS"),
            ("PUT /api/v1/products", "api", f"{options['batch']} per request, server key"),
            ("re-import, all unchanged", "unchanged", "CSV again: read, compare, no writes"),
        ]:
            ratio = figures[key] / base if base else 0.0
            verdict = "MET" if ratio >= TARGET_RATIO else "NOT MET"
            results.append(
                Result(
                    NAME,
                    backend,
                    f"{label} products/s",
                    figures[key],
                    "products/s",
                    baseline=base,
                    note=f"{note}; baseline bulk_create; target >= {TARGET_RATIO}x: {verdict}",
                )
            )
    return results


def generate(seed: int, count: int) -> list[dict[str, Any]]:
    """`count` products as `PUT /products` items (pure data)."""
    rng = random.Random(seed)
    items = []
    for n in range(count):
        price = round(rng.uniform(1, 500), 2)
        item = {
            "product_id": f"SKU-{n:07d}",
            "title": f"{rng.choice(BRANDS)} {rng.choice(COLORS)} item {n}",
            "description": f"A product of the benchmark catalog, number {n}.",
            "url": f"/p/sku-{n:07d}",
            "image_url": f"https://cdn.example/img/{n:07d}.jpg",
            "price": f"{price:.2f}",
            "currency": "EUR",
            "category": rng.choice(CATEGORIES),
            "brand": rng.choice(BRANDS),
            "stock": rng.randint(0, 50),
            "attributes": {"color": rng.choice(COLORS), "size": rng.choice("SML")},
        }
        if n % 3 == 0:
            item["sale_price"] = f"{price * 0.8:.2f}"
        items.append(item)
    return items


def write_csv(items: list[dict[str, Any]], path: Path) -> None:
    columns = [
        "product_id", "title", "description", "url", "image_url", "price", "sale_price",
        "currency", "category", "brand", "stock", "attributes.color", "attributes.size",
    ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for item in items:
            flat = {**item, **{f"attributes.{k}": v for k, v in item["attributes"].items()}}
            writer.writerow([flat.get(column, "") for column in columns])


def write_merchant_xml(items: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:g="http://base.google.com/ns/1.0"><channel><title>Bench</title>\n'
        )
        for item in items:
            fields = {
                "id": item["product_id"],
                "title": item["title"],
                "description": item["description"],
                "link": f"https://shop.example{item['url']}",
                "image_link": item["image_url"],
                "price": f"{item['price']} EUR",
                "availability": "in_stock" if item["stock"] else "out_of_stock",
                "product_type": item["category"].replace("/", " > "),
                "brand": item["brand"],
                "color": item["attributes"]["color"],
                "size": item["attributes"]["size"],
            }
            if "sale_price" in item:
                fields["sale_price"] = f"{item['sale_price']} EUR"
            handle.write(
                "<item>"
                + "".join(f"<g:{k}>{escape(str(v))}</g:{k}>" for k, v in fields.items())
                + "</item>\n"
            )
        handle.write("</channel></rss>\n")


def measure(options: dict[str, Any]) -> dict[str, Any]:
    import gc
    from decimal import Decimal

    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from catalog.models import Product
    from core.services import create_server_key

    settings.PZ_RECOMMENDER_RETRAIN_AFTER_CATALOG_SECONDS = None
    items = generate(options["seed"], options["products"])
    count, size = len(items), options["batch"]
    directory = Path(tempfile.mkdtemp(prefix="pz-bench-catalog-"))
    csv_path, xml_path = directory / "products.csv", directory / "products.xml"
    write_csv(items, csv_path)
    write_merchant_xml(items, xml_path)
    bodies = [json.dumps({"products": items[i : i + size]}).encode() for i in range(0, count, size)]
    _, key = create_server_key(name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def model_rows() -> list[Product]:
        return [
            Product(
                product_id=item["product_id"],
                title=item["title"],
                description=item["description"],
                url=item["url"],
                image_url=item["image_url"],
                price=Decimal(item["price"]),
                sale_price=Decimal(item["sale_price"]) if "sale_price" in item else None,
                currency=item["currency"],
                category=item["category"],
                brand=item["brand"],
                in_stock=item["stock"] > 0,
                stock=item["stock"],
                attributes=item["attributes"],
            )
            for item in items
        ]

    def reset() -> None:
        Product.objects.all().delete()
        cache.clear()
        gc.collect()

    def baseline() -> float:
        reset()
        rows = model_rows()  # the same rows, already clean: only the insert is timed
        started = perf_counter()
        for i in range(0, count, size):
            Product.objects.bulk_create(rows[i : i + size])
        return perf_counter() - started

    def command(path: Path, *, fresh: bool = True) -> float:
        if fresh:
            reset()
        started = perf_counter()
        call_command("import_products", str(path), "--no-progress", "--json", stdout=_Sink())
        elapsed = perf_counter() - started
        assert Product.objects.count() == count
        return elapsed

    def api() -> float:
        reset()
        started = perf_counter()
        for body in bodies:
            response = client.put("/api/v1/products", body, content_type="application/json")
            assert response.status_code == 200, response.content[:300]
            assert not response.json()["rejected"], response.json()["rejected"][:3]
        elapsed = perf_counter() - started
        assert Product.objects.count() == count
        return elapsed

    times: dict[str, list[float]] = {
        k: [] for k in ("baseline", "command_csv", "command_xml", "api", "unchanged")
    }
    for _ in range(options["repeats"]):
        times["baseline"].append(baseline())
        times["command_csv"].append(command(csv_path))
        times["unchanged"].append(command(csv_path, fresh=False))
        times["command_xml"].append(command(xml_path))
        times["api"].append(api())
    return {name: count / median(values) for name, values in times.items()}


class _Sink:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
