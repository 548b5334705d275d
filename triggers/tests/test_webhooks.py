"""Webhooks: signed body, retries with exponential backoff, dead letter after the last;
the target policy at send time (checked address, no redirects, bounded time, generic
errors). The local receiver is on 127.0.0.1 over http, which the test-only allow-list
and the development http setting admit (`receiver_factory`)."""

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from triggers import matching, services
from triggers.models import DeadLetter, Firing
from triggers.tests.factories import ingest, known_visitor, webhook_trigger

pytestmark = pytest.mark.django_db


class Receiver:
    """A local endpoint answering from a script of status codes (then 200), with a body
    that must never be echoed, and a Location for redirects."""

    def __init__(self, script: list[int], *, location: str = "", delay: float = 0.0) -> None:
        self.script = list(script)
        self.requests: list[tuple[bytes, str | None]] = []
        self.hosts: list[str | None] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((body, self.headers.get(matching.SIGNATURE_HEADER)))
                receiver.hosts.append(self.headers.get("Host"))
                time.sleep(delay)
                status = receiver.script.pop(0) if receiver.script else 200
                try:
                    self.send_response(status)
                    if location:
                        self.send_header("Location", location)
                    self.end_headers()
                    self.wfile.write(INTERNAL_BODY)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller timed out and left

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


INTERNAL_BODY = b"Traceback: db password=hunter2 at 10.0.0.7"


@pytest.fixture
def receiver_factory(settings) -> Iterator:
    settings.PZ_WEBHOOK_ALLOW_HTTP = True
    settings.PZ_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    receivers: list[Receiver] = []

    def make(script: list[int], **options: object) -> Receiver:
        receiver = Receiver(script, **options).__enter__()  # type: ignore[arg-type]
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


def _dead_error(firing: Firing) -> str:
    firing.refresh_from_db()
    assert firing.status == Firing.Status.DEAD
    return DeadLetter.objects.get(firing=firing).last_error


@override_settings(PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.01)
def test_a_failure_stores_the_status_class_never_the_response_body(
    receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory([500] * 3)
    firing = fired_firing(receiver.url, django_capture_on_commit_callbacks)
    error = _dead_error(firing)
    assert error == "HTTP 500"
    assert "hunter2" not in error and "hunter2" not in firing.reason


@override_settings(PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.01)
def test_a_redirect_is_not_followed(receiver_factory, django_capture_on_commit_callbacks):
    inner = receiver_factory([])
    outer = receiver_factory([302] * 3, location=inner.url)
    firing = fired_firing(outer.url, django_capture_on_commit_callbacks)
    assert _dead_error(firing) == "HTTP 302 (redirects are not followed)"
    assert len(outer.requests) == 3 and inner.requests == []


@override_settings(PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.01)
def test_a_closed_port_is_a_generic_connection_refused(
    receiver_factory, django_capture_on_commit_callbacks
):
    receiver_factory([])  # sets the allow-list for 127.0.0.1
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    firing = fired_firing(f"http://127.0.0.1:{closed_port}/", django_capture_on_commit_callbacks)
    assert _dead_error(firing) == "connection refused"


@override_settings(PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.01)
def test_a_slow_target_times_out_within_the_bound(
    receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory([], delay=2.0)
    started = time.monotonic()
    firing = fired_firing(
        receiver.url,
        django_capture_on_commit_callbacks,
        webhook_timeout_seconds=0.5,
        webhook_max_attempts=1,
    )
    assert _dead_error(firing) == "timed out"
    assert time.monotonic() - started < 2.0


@override_settings(PZ_WEBHOOK_ALLOW_HTTP=True, PZ_TRIGGERS_WEBHOOK_BACKOFF_SECONDS=0.01)
def test_loopback_is_refused_at_send_time_without_the_allow_list(
    receiver_factory, django_capture_on_commit_callbacks, settings
):
    receiver = receiver_factory([])
    settings.PZ_WEBHOOK_ALLOWED_HOSTS = []  # a trigger saved before the check existed
    firing = fired_firing(receiver.url, django_capture_on_commit_callbacks)
    error = _dead_error(firing)
    assert error.startswith("refused: ") and "loopback" in error
    assert receiver.requests == []
    assert firing.attempts == 1  # a refusal is not retried
