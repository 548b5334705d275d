"""Audiences in and out: a static segment's members from a list of visitor or customer ids
(API and admin CSV upload), and any segment's members as CSV rows (`members.csv`)."""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from core.audit import record_change
from core.client_input import find_unstorable, is_visitor_id
from segments.models import Segment, SegmentMembership
from segments.services import SegmentError, static_members_change
from tracking.customer_keys import customer_key
from tracking.models import VisitorAlias, VisitorProfile
from tracking.services import known_profile

MAX_IDS_PER_CALL = 10_000
MAX_CUSTOMER_ID = 128
EXPORT_CHUNK = 2000
ID_COLUMNS = ("visitor_id", "customer_id")


@dataclass
class AudienceReport:
    added: int = 0
    removed: int = 0
    size: int = 0
    rejected: dict[str, str] = field(default_factory=dict)

    def as_response(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "size": self.size,
            "rejected": self.rejected,
        }


def _canonical(visitor_ids: set[str]) -> set[str]:
    """Stitched anonymous ids stand for the visitor they were merged into."""
    aliases = dict(
        VisitorAlias.objects.filter(alias_id__in=visitor_ids).values_list("alias_id", "visitor_id")
    )
    return {aliases.get(vid, vid) for vid in visitor_ids}


def _customer_visitors(customer_ids: Iterable[str], *, create: bool) -> set[str]:
    """The visitor ids of customers (by the keyed hash of their id); `create` makes a
    profile for a customer not seen yet, as the CRM import does, so the membership
    follows them when they sign in (stitching re-points it)."""
    pepper = settings.PZ_CUSTOMER_ID_PEPPER
    keys = {customer_key(cid, pepper): cid for cid in customer_ids}
    found = dict(
        VisitorProfile.objects.filter(customer_key__in=keys).values_list(
            "customer_key", "visitor_id"
        )
    )
    if create:
        for key in keys.keys() - found.keys():
            found[key] = known_profile(keys[key]).visitor_id
    return set(found.values())


def _ids(group: object, name: str, report: AudienceReport) -> tuple[set[str], set[str]]:
    """The valid visitor and customer ids of an `add` or `remove` object; the others are
    reported by path (`add.visitor_ids[3]`)."""
    if group is None:
        return set(), set()
    if not isinstance(group, dict):
        report.rejected[name] = "must be an object with visitor_ids and/or customer_ids"
        return set(), set()
    unknown = set(group) - {"visitor_ids", "customer_ids"}
    for key in sorted(unknown)[:5]:
        report.rejected[f"{name}.{str(key)[:40]}"] = "unknown field"
    result: list[set[str]] = []
    for kind in ("visitor_ids", "customer_ids"):
        values = group.get(kind) or []
        ids: set[str] = set()
        if not isinstance(values, list):
            report.rejected[f"{name}.{kind}"] = "must be a list"
        else:
            for position, value in enumerate(values):
                if kind == "visitor_ids" and is_visitor_id(value):
                    ids.add(value)
                elif (
                    kind == "customer_ids"
                    and isinstance(value, str | int)
                    and not isinstance(value, bool)
                    and 0 < len(str(value).strip()) <= MAX_CUSTOMER_ID
                    and find_unstorable(value) is None
                ):
                    ids.add(str(value).strip())
                else:
                    report.rejected[f"{name}.{kind}[{position}]"] = (
                        "must be 1 to 64 characters from [A-Za-z0-9_-]"
                        if kind == "visitor_ids"
                        else "must be 1 to 128 characters"
                    )
        result.append(ids)
    return result[0], result[1]


def count_ids(body: dict[str, Any]) -> int:
    return sum(
        len(group.get(kind) or [])
        for group in (body.get("add"), body.get("remove"))
        if isinstance(group, dict)
        for kind in ("visitor_ids", "customer_ids")
        if isinstance(group.get(kind), list)
    )


@transaction.atomic
def update_static_members(
    *, segment: Segment, body: dict[str, Any], user: Any = None
) -> AudienceReport:
    """`POST /segments/{key}/members`: add and remove members of a static segment by
    visitor id or customer id. Invalid ids are reported by path; the rest are applied."""
    if segment.kind != Segment.Kind.STATIC:
        raise SegmentError("Only static segments take explicit members.", {"kind": "not static"})
    report = AudienceReport()
    add_visitors, add_customers = _ids(body.get("add"), "add", report)
    remove_visitors, remove_customers = _ids(body.get("remove"), "remove", report)
    add = _canonical(add_visitors) | _customer_visitors(add_customers, create=True)
    remove = _canonical(remove_visitors) | _customer_visitors(remove_customers, create=False)
    before = segment.size
    change = static_members_change(segment=segment, add=add, remove=remove)
    report.added, report.removed, report.size = len(change.entered), len(change.left), change.size
    record_change(
        instance=segment,
        action="wagtail.edit",
        user=user,
        before={"size": before},
        after={"size": change.size, "added": report.added, "removed": report.removed},
    )
    return report


def members_from_csv(text: str) -> tuple[dict[str, list[str]], list[tuple[int, str]]]:
    """A CSV with a header naming `visitor_id` and/or `customer_id`, as the `add` object
    of `update_static_members`; bad rows by line number."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = {name.strip().lstrip("\ufeff").lower(): name for name in reader.fieldnames or []}
    present = [column for column in ID_COLUMNS if column in columns]
    if not present:
        return {}, [(1, "the header must name a visitor_id or a customer_id column")]
    ids: dict[str, list[str]] = {"visitor_ids": [], "customer_ids": []}
    errors = []
    for row in reader:
        values = {column: (row.get(columns[column]) or "").strip() for column in present}
        if not any(values.values()):
            errors.append((reader.line_num, "no visitor_id or customer_id"))
            continue
        visitor = values.get("visitor_id")
        if visitor:
            if not is_visitor_id(visitor):
                errors.append((reader.line_num, f"visitor_id {visitor[:40]!r} is not a visitor id"))
                continue
            ids["visitor_ids"].append(visitor)
        elif values.get("customer_id"):
            if len(values["customer_id"]) > MAX_CUSTOMER_ID:
                errors.append((reader.line_num, "customer_id is longer than 128 characters"))
                continue
            ids["customer_ids"].append(values["customer_id"])
    return ids, errors


def member_rows(segment: Segment, *, with_email: bool) -> Iterator[list[str]]:
    """Every current member as a CSV row (header first): visitor_id, customer_key, since,
    and the e-mail address on file when `with_email`. Reads in chunks, so a segment of
    millions streams in constant memory."""
    yield ["visitor_id", "customer_key", "since", *(["email"] if with_email else [])]
    members = (
        SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
        .order_by("visitor_id")
        .values_list("visitor_id", "entered_at")
    )
    last = ""
    while True:
        chunk = list(members.filter(visitor_id__gt=last)[:EXPORT_CHUNK])
        if not chunk:
            return
        profiles = {
            row[0]: row[1:]
            for row in VisitorProfile.objects.filter(
                visitor_id__in=[vid for vid, _ in chunk]
            ).values_list("visitor_id", "customer_key", "attributes")
        }
        for visitor_id, since in chunk:
            key, attributes = profiles.get(visitor_id, (None, {}))
            row = [visitor_id, key or "", since.isoformat()]
            if with_email:
                row.append(str((attributes or {}).get("email") or ""))
            # A spreadsheet would run a cell starting like a formula.
            yield ["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in row]
        last = chunk[-1][0]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """Rows as CSV text, one line at a time (for a streamed response)."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)
