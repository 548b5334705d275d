"""Webhooks: signed body, retries with exponential backoff, dead letter after the last."""

import http.server
import threading
from collections.abc import Iterator

import pytest
from django.test import override_settings

from triggers import matching, services
from triggers.models import DeadLetter, Firing
from triggers.tests.factories import ingest, known_visitor, webhook_trigger

pytestmark = pytest.mark.django_db


class Receiver:
    """A local endpoint answering from a script of status codes (then 200)."""

    def __init__(self, script: list[int]) -> None:
        self.script = list(script)
        self.requests: list[tuple[bytes, str | None]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((body, self.headers.get(matching.SIGNATURE_HEADER)))
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory() -> Iterator:
    receivers: list[Receiver] = []

    def make(script: list[int]) -> Receiver:
        receiver = Receiver(script).__enter__()
        receivers.append(receiver)
        return receiver

    yield make
    for receiver in receivers:
        receiver.__exit__()


def fired_firing(url: str, django_capture_on_commit_callbacks, **fields) -> Firing:
    known_visitor()
    webhook_trigger(url, **fields)
    with django_capture_on_commit_callbacks(execute=True):
        ingest("add_to_cart")
    return Firing.objects.get()


def test_signature_verifies_and_tampering_does_not():
    body = b'{"trigger":"hook"}'
    header = matching.sign("s3cret", body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert matching.verify("s3cret", body, header)
    assert not matching.verify("s3cret", body + b" ", header)
    assert not matching.verify("other", body, header)
    assert not matching.verify("s3cret", body, None)


@override_settings(PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.5)
def test_fails_twice_then_succeeds_with_exponential_backoff(receiver_factory):
    receiver = receiver_factory([500, 503])
    known_visitor()
    trigger = webhook_trigger(receiver.url)
    ingest("add_to_cart")  # outside a commit callback capture: no task, delivered by hand
    services.handle_ingested(visitor_ids=["v1"], event_types=["add_to_cart"])
    firing = Firing.objects.get()

    outcomes = [services.deliver(firing_id=firing.pk, attempt=n) for n in (1, 2, 3)]

    assert [o.retry_in for o in outcomes] == [0.5, 1.0, None]
    assert outcomes[-1].delivered
    assert len(receiver.requests) == 3
    body, header = receiver.requests[-1]
    assert matching.verify(trigger.webhook_secret, body, header)
    firing.refresh_from_db()
    assert firing.status == Firing.Status.FIRED and firing.delivered_at is not None
    assert firing.result["delivery"] == {"status_code": 200}
    assert firing.attempts == 3


@override_settings(PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.01)
def test_the_task_retries_until_delivered(receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory([500, 500])
    firing = fired_firing(receiver.url, django_capture_on_commit_callbacks)  # eager task
    firing.refresh_from_db()
    assert len(receiver.requests) == 3
    assert firing.delivered_at is not None and firing.attempts == 3


@override_settings(PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.01)
def test_always_failing_ends_in_a_dead_letter(receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory([500] * 10)
    firing = fired_firing(receiver.url, django_capture_on_commit_callbacks)
    firing.refresh_from_db()
    assert len(receiver.requests) == 3  # webhook_max_attempts
    assert firing.status == Firing.Status.DEAD
    letter = DeadLetter.objects.get(firing=firing)
    assert letter.attempts == 3 and letter.last_error.endswith("HTTP 500")
    assert letter.body == receiver.requests[0][0].decode()


def test_backoff_doubles_up_to_a_cap():
    assert [matching.backoff_seconds(n, base=2, cap=10) for n in range(1, 6)] == [2, 4, 8, 10, 10]
