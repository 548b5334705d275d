"""The webhook target policy on its own (no Django): what is refused when a trigger is
saved, what is refused after resolving at send time (every address, so DNS rebinding
does not help), and that the connection goes to the checked address."""

import http.server
import socket
import ssl
import threading

import pytest

from triggers.webhook_targets import (
    DeliveryFailed,
    TargetPolicy,
    TargetRefused,
    check_target,
    post_json,
    resolve_target,
)

STRICT = TargetPolicy()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/x", "Only https"),
        ("ftp://hooks.example.com/x", "Only https"),
        ("javascript:alert(1)", "Only https"),
        ("https:///x", "host name"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("https://hooks.example.com /x", "spaces"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://127.8.9.10:8443/x", "loopback"),
        ("https://localhost/x", "localhost"),
        ("https://api.localhost./x", "localhost"),
        ("https://[::1]/x", "loopback"),
        ("https://[::ffff:127.0.0.1]/x", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fe80::1]/x", "link-local"),
        ("https://10.1.2.3/x", "private"),
        ("https://172.16.0.1/x", "private"),
        ("https://192.168.1.1/x", "private"),
        ("https://[fd00::1]/x", "private"),
        ("https://100.64.0.1/x", "reserved"),
        ("https://0.0.0.0/x", "unspecified"),
        ("https://240.0.0.1/x", "reserved|private"),
        ("https://224.0.0.1/x", "multicast"),
        ("https://2130706433/x", "loopback"),  # 127.0.0.1 as one decimal number
        ("https://0x7f.1/x", "loopback"),
        ("https://127.1/x", "loopback"),
        ("https://[64:ff9b::a9fe:a9fe]/x", "link-local"),  # NAT64 of 169.254.169.254
        ("https://[2002:7f00:1::]/x", "loopback"),  # 6to4 of 127.0.0.1
        ("https://[::1/x", "cannot be read"),
    ],
)
def test_a_literal_target_is_refused_on_save_with_a_reason(url, reason):
    with pytest.raises(TargetRefused, match=reason):
        check_target(url, STRICT)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/cart?x=1",
        "https://93.184.216.34:8443/h",
        "https://[2606:4700::1]/",
    ],
)
def test_public_https_targets_pass_the_save_check(url):
    check_target(url, STRICT)


def test_http_only_when_the_development_setting_allows_it():
    check_target("http://hooks.example.com/", TargetPolicy(allow_http=True))
    with pytest.raises(TargetRefused):
        check_target("http://127.0.0.1/", TargetPolicy(allow_http=True))


def resolver_of(answers: dict[str, list[str]], calls: list[str] | None = None):
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        return answers[host]

    return resolve


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["93.184.216.34", "10.0.0.5"], ["::1"], ["93.184.216.34", "169.254.169.254"]],
)
def test_a_name_resolving_to_any_internal_address_is_refused_at_send_time(addresses):
    parts = check_target("https://rebind.example/hook", STRICT)
    with pytest.raises(TargetRefused, match="resolves to"):
        resolve_target(parts, STRICT, resolver_of({"rebind.example": addresses}))


def test_a_public_name_is_connected_by_the_address_that_was_checked():
    parts = check_target("https://shop-hooks.example/hook", STRICT)
    resolved = resolver_of({"shop-hooks.example": ["93.184.216.34", "2606:4700::1"]})
    assert resolve_target(parts, STRICT, resolved) == "93.184.216.34"


def test_a_failed_lookup_is_a_generic_dns_error():
    def fail(host: str, port: int) -> list[str]:
        raise DeliveryFailed("DNS lookup failed")

    with pytest.raises(DeliveryFailed, match="^DNS lookup failed$"):
        post_json("https://nowhere.example/", b"{}", {}, policy=STRICT, timeout=1, resolver=fail)


@pytest.fixture
def receiver():
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append({"host": self.headers["Host"], "path": self.path})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def test_the_name_is_resolved_once_and_the_request_keeps_its_host_header(receiver):
    port, seen = receiver
    calls: list[str] = []
    # Only the test's allow-list lets a name that resolves to loopback through.
    policy = TargetPolicy(allow_http=True, allowed_hosts={"hooks.test"})
    status = post_json(
        f"http://hooks.test:{port}/cart?x=1",
        b"{}",
        {"Content-Type": "application/json"},
        policy=policy,
        timeout=2,
        resolver=resolver_of({"hooks.test": ["127.0.0.1"]}, calls),
    )
    assert status == 204
    assert calls == ["hooks.test"]
    assert seen == [{"host": f"hooks.test:{port}", "path": "/cart?x=1"}]


def test_tls_uses_the_urls_host_as_server_name_on_the_checked_address(receiver):
    port, seen = receiver
    wrapped: list[str] = []

    class RecordingContext:
        """Records the server name and lets the plain socket through (no TLS server here)."""

        verify_mode = ssl.CERT_REQUIRED
        check_hostname = True
        post_handshake_auth = None

        def wrap_socket(self, sock: socket.socket, server_hostname: str) -> socket.socket:
            wrapped.append(server_hostname)
            return sock

    post_json(
        f"https://hooks.test:{port}/h",
        b"{}",
        {},
        policy=TargetPolicy(allowed_hosts={"hooks.test"}),
        timeout=2,
        resolver=resolver_of({"hooks.test": ["127.0.0.1"]}),
        ssl_context=RecordingContext(),  # type: ignore[arg-type]
    )
    assert wrapped == ["hooks.test"]
    assert seen[0]["host"] == f"hooks.test:{port}"
