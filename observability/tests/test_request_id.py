"""X-Request-ID in and out, and in the log lines."""

import json
import logging

from observability.log_format import JsonFormatter, redact
from observability.request_id import current_request_id


def test_a_well_formed_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-1234.abc")
    assert response["X-Request-ID"] == "edge-1234.abc"


def test_a_missing_or_hostile_request_id_is_replaced(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    hostile = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b" + "z" * 200)
    assert hostile["X-Request-ID"] != generated and len(hostile["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id_and_no_personal_data():
    record = logging.makeLogRecord(
        {
            "name": "pz.test",
            "levelno": logging.WARNING,
            "levelname": "WARNING",
            "msg": "Not Found: /api/v1/visitors/%s from %s",
            "args": ("visitor-42", "203.0.113.9"),
            "request": object(),
            "visitor_id": "visitor-42",
            "route": "api-visitor",
        }
    )
    token = current_request_id.set("req-1")
    try:
        line = JsonFormatter().format(record)
    finally:
        current_request_id.reset(token)
    entry = json.loads(line)
    assert entry["request_id"] == "req-1"
    assert entry["route"] == "api-visitor"
    assert entry["message"] == "Not Found: /api/v1/visitors/[id] from [ip]"
    assert "visitor-42" not in line and "203.0.113.9" not in line and "request" not in entry


def test_ipv6_addresses_are_masked_and_times_are_not():
    assert redact("2001:db8::1 at 10:00:00") == "[ip] at 10:00:00"
