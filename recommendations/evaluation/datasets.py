"""Loaders for the offline evaluation datasets, all returning an ``InteractionLog``.

The files are read from the shared data folder at evaluation time only; MovieLens is
licensed for research use and must never be copied into the repository.
"""

from __future__ import annotations

import csv
import lzma
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recommendations.engine.interactions import DEFAULT_EVENT_WEIGHTS, Interactions

MOVIELENS_DIRNAME = "movielens-100k"
ONLINE_RETAIL_FILENAME = "online-retail/online_retail.csv.xz"

USER_COLUMN_NAMES = {"user", "user_id", "userid", "customer", "customer_id", "customerid"}
ITEM_COLUMN_NAMES = {"item", "item_id", "itemid", "product", "product_id", "sku", "stockcode"}
WEIGHT_COLUMN_NAMES = {"weight", "rating", "value", "event", "event_type", "quantity"}
TIMESTAMP_COLUMN_NAMES = {"timestamp", "time", "ts", "date", "datetime", "created_at"}


@dataclass(frozen=True)
class InteractionLog:
    """One row per event, as parallel arrays, plus optional side information.

    ``timestamps`` are epoch seconds; ``baskets`` group events into orders;
    ``item_texts`` (item -> text) feeds content-based similarity; ``user_segments``
    (user -> segment) feeds per-segment popularity.
    """

    name: str
    users: np.ndarray
    items: np.ndarray
    weights: np.ndarray
    timestamps: np.ndarray | None = None
    baskets: np.ndarray | None = None
    item_texts: Mapping[Hashable, str] = field(default_factory=dict)
    user_segments: Mapping[Hashable, Hashable] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.users)

    def subset(self, rows: np.ndarray) -> InteractionLog:
        """The same log restricted to ``rows`` (a boolean mask or index array)."""
        return replace(
            self,
            users=self.users[rows],
            items=self.items[rows],
            weights=self.weights[rows],
            timestamps=None if self.timestamps is None else self.timestamps[rows],
            baskets=None if self.baskets is None else self.baskets[rows],
        )

    def to_interactions(self) -> Interactions:
        return Interactions.from_arrays(self.users, self.items, self.weights, self.timestamps)


def load_movielens_100k(directory: Path | str) -> InteractionLog:
    """MovieLens-100K ``u.data`` in file order (every rating kept as its value), with
    title + genre names from ``u.item`` as item text and gender + age band from
    ``u.user`` as segment."""
    directory = Path(directory)
    ratings = np.loadtxt(directory / "u.data", dtype=np.int64, delimiter="\t")
    genres = [
        line.split("|")[0]
        for line in (directory / "u.genre").read_text(encoding="latin-1").splitlines()
        if line.strip()
    ]
    texts: dict[Hashable, str] = {}
    with open(directory / "u.item", encoding="latin-1") as handle:
        for fields in csv.reader(handle, delimiter="|"):
            if not fields:
                continue
            flags = fields[5:]
            names = [genre for genre, flag in zip(genres, flags, strict=False) if flag == "1"]
            texts[int(fields[0])] = " ".join([fields[1], *names])
    segments: dict[Hashable, Hashable] = {}
    user_file = directory / "u.user"
    if user_file.exists():
        for line in user_file.read_text(encoding="latin-1").splitlines():
            user, age, gender, *_ = line.split("|")
            segments[int(user)] = f"{gender}:{_age_band(int(age))}"
    return InteractionLog(
        name="movielens-100k",
        users=ratings[:, 0],
        items=ratings[:, 1],
        weights=ratings[:, 2].astype(np.float64),
        timestamps=ratings[:, 3].astype(np.float64),
        item_texts=texts,
        user_segments=segments,
    )


def _age_band(age: int) -> str:
    for upper, label in ((18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54")):
        if age < upper:
            return label
    return "55+"


def load_online_retail(path: Path | str, *, weight: str = "lines") -> InteractionLog:
    """UCI Online Retail, cleaned as in the usual RFM preparation.

    Dropped: cancelled ("C") invoices, Quantity <= 0, UnitPrice <= 0, missing
    CustomerID, and non-product stock codes (POST, DOT, M, BANK CHARGES...: codes not
    starting with a digit). user = CustomerID, item = StockCode, basket = InvoiceNo,
    text = Description, segment = the customer's most frequent Country.
    ``weight="lines"`` counts 1 per invoice line (a purchase event; quantities are
    dominated by wholesalers ordering hundreds), ``weight="quantity"`` sums Quantity.
    """
    if weight not in ("lines", "quantity"):
        raise ValueError("weight must be 'lines' or 'quantity'")
    users: list[int] = []
    items: list[str] = []
    weights: list[float] = []
    stamps: list[str] = []
    baskets: list[str] = []
    texts: dict[Hashable, str] = {}
    countries: dict[int, Counter] = {}
    opener = lzma.open if str(path).endswith(".xz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            invoice, code, customer = row["InvoiceNo"], row["StockCode"], row["CustomerID"]
            if invoice.startswith("C") or not customer or not code[:1].isdigit():
                continue
            quantity = int(row["Quantity"])
            if quantity <= 0 or float(row["UnitPrice"]) <= 0:
                continue
            customer_id = int(customer)
            users.append(customer_id)
            items.append(code)
            weights.append(1.0 if weight == "lines" else float(quantity))
            stamps.append(row["InvoiceDate"])
            baskets.append(invoice)
            if row["Description"] and code not in texts:
                texts[code] = row["Description"]
            countries.setdefault(customer_id, Counter())[row["Country"]] += 1
    return InteractionLog(
        name="online-retail",
        users=np.asarray(users, dtype=np.int64),
        items=np.asarray(items),
        weights=np.asarray(weights, dtype=np.float64),
        timestamps=np.asarray(stamps, dtype="datetime64[s]").astype(np.int64).astype(np.float64),
        baskets=np.asarray(baskets),
        item_texts=texts,
        user_segments={user: c.most_common(1)[0][0] for user, c in countries.items()},
    )


def load_interactions_file(
    path: Path | str,
    *,
    event_weights: Mapping[str, float] | None = None,
) -> InteractionLog:
    """A generic CSV or TSV interactions file.

    Columns: user, item, then optional weight and optional timestamp. The delimiter
    comes from the extension (.tsv/.tab: tab, .csv: comma), else it is sniffed. The
    first line is a header when it names a user and an item column (user/user_id/
    customer_id..., item/item_id/product_id/sku...); columns are then found by name in
    any order, otherwise they are positional. A weight may be a number or an event name
    from ``event_weights`` (default view 1, cart 3, purchase 5); missing weight is 1.
    Timestamps are epoch seconds or ISO 8601 dates (read as UTC).
    """
    path = Path(path)
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        text = handle.read()
    rows = [row for row in csv.reader(text.splitlines(), delimiter=_delimiter(path, text)) if row]
    if not rows:
        raise ValueError(f"{path} has no rows")
    columns = _columns_from_header(rows[0])
    if columns is not None:
        rows = rows[1:]
    else:
        columns = {"user": 0, "item": 1, "weight": 2, "timestamp": 3}
    weights_by_event = DEFAULT_EVENT_WEIGHTS if event_weights is None else event_weights

    def cell(row: list[str], name: str) -> str:
        position = columns.get(name)
        return row[position].strip() if position is not None and position < len(row) else ""

    users = [cell(row, "user") for row in rows]
    items = [cell(row, "item") for row in rows]
    weights = [_weight(cell(row, "weight"), weights_by_event) for row in rows]
    raw_stamps = [cell(row, "timestamp") for row in rows]
    timestamps = _timestamps(raw_stamps) if any(raw_stamps) else None
    return InteractionLog(
        name=path.name,
        users=_as_numeric_if_possible(users),
        items=_as_numeric_if_possible(items),
        weights=np.asarray(weights, dtype=np.float64),
        timestamps=timestamps,
    )


def _delimiter(path: Path, text: str) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if ".tsv" in suffixes or ".tab" in suffixes:
        return "\t"
    if ".csv" in suffixes:
        return ","
    return csv.Sniffer().sniff(text[:4096], delimiters=",\t;|").delimiter


def _columns_from_header(first_row: list[str]) -> dict[str, int] | None:
    names = [cell.strip().lower() for cell in first_row]
    columns: dict[str, int] = {}
    for role, known in (
        ("user", USER_COLUMN_NAMES),
        ("item", ITEM_COLUMN_NAMES),
        ("weight", WEIGHT_COLUMN_NAMES),
        ("timestamp", TIMESTAMP_COLUMN_NAMES),
    ):
        for position, name in enumerate(names):
            if name in known:
                columns[role] = position
                break
    return columns if {"user", "item"} <= columns.keys() else None


def _weight(value: str, weights_by_event: Mapping[str, float]) -> float:
    if not value:
        return 1.0
    try:
        return float(value)
    except ValueError:
        return float(weights_by_event[value.lower()])


def _timestamps(values: list[str]) -> np.ndarray:
    try:
        return np.asarray([float(v) if v else np.nan for v in values], dtype=np.float64)
    except ValueError:
        return np.asarray([_iso_seconds(v) if v else np.nan for v in values], dtype=np.float64)


def _iso_seconds(value: str) -> float:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _as_numeric_if_possible(values: list[str]) -> np.ndarray:
    try:
        return np.asarray([int(v) for v in values], dtype=np.int64)
    except ValueError:
        return np.asarray(values)
