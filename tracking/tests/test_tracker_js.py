"""The JS tracker pz.js: served as a static file, and (with node) its behaviour in a stub
browser: batching to sendBeacon, the visitor left to the server (cookie or token),
consent, and a signed-in customer's login with its identity token."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

NODE = shutil.which("node")

# A minimal window/document/navigator for pz.js; records every beacon and fetch.
NODE_HARNESS = r"""
const fs = require("fs");
const vm = require("vm");
const source = fs.readFileSync(process.argv[2], "utf8");
const sent = [];
let cookieJar = {"pz_vid": "vidABC_123-x:1r2s3t:SiGnAtUrE"};
const scenario = JSON.parse(process.argv[3] || "{}");
const attrs = Object.assign({"data-endpoint": "/api/v1/events",
                             "data-consent-endpoint": "/api/v1/consent", "data-auto": "page"},
                            scenario.attrs || {});
if (scenario.cookies) cookieJar = scenario.cookies;
class FakeBlob { constructor(parts, opts) { this.text = parts.join(""); this.type = opts.type; } }
const storage = {};
const document = {
  readyState: "complete",
  referrer: "https://www.example.org/",
  currentScript: {getAttribute: (name) => (name in attrs ? attrs[name] : null)},
  addEventListener() {},
  querySelector() { return null; },
  querySelectorAll() { return []; },
  get cookie() { return Object.entries(cookieJar).map(([k, v]) => k + "=" + v).join("; "); },
  set cookie(value) { const pair = value.split(";")[0]; const i = pair.indexOf("=");
                      cookieJar[pair.slice(0, i)] = pair.slice(i + 1); },
};
const window = {
  document,
  navigator: {
    userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
    language: "de-DE",
    sendBeacon(url, blob) {
      sent.push({via: "beacon", url, type: blob.type, body: JSON.parse(blob.text)});
      return true;
    },
  },
  location: {pathname: "/p/SKU-1/", search: "?utm_source=news&utm_campaign=winter&x=1",
             origin: "https://shop.example.com"},
  localStorage: {
    getItem: (k) => (("local:" + k) in storage ? storage["local:" + k] : null),
    setItem: (k, v) => { storage["local:" + k] = String(v); },
  },
  sessionStorage: {
    getItem: (k) => (k in storage ? storage[k] : null),
    setItem: (k, v) => { storage[k] = String(v); },
  },
  crypto: require("crypto").webcrypto,
  Blob: FakeBlob,
  innerWidth: 390,
  setTimeout: () => 1,
  clearTimeout: () => {},
  addEventListener() {},
  fetch(url, init) {
    sent.push({via: "fetch", url, body: JSON.parse(init.body), init});
    const reply = {visitor_id: "minted", visitor_token: "minted:1r2s3t:sig"};
    return Promise.resolve({json: () => Promise.resolve(reply)});
  },
};
window.window = window;
vm.createContext(window);
vm.runInContext(source, window);
const pz = window.pz;
if (scenario.name === "identity") {
  (async () => {
    const out = {};
    pz.flush();
    out.start = sent.splice(0);  // the login of data-identity-token, then the page view
    await new Promise((resolve) => setImmediate(resolve));
    pz.track("search", {query: "lamp"});
    pz.flush();
    out.afterToken = sent.splice(0);
    out.again = pz.identify(attrs["data-identity-token"]);
    process.stdout.write(JSON.stringify(out));
  })();
  return;
}
if (scenario.name === "optin") {
  const out = {before: pz.track("search", {query: "lamp"})};
  pz.consent({tracking: true, personalization: false});
  out.after = pz.track("search", {query: "lamp"});
  pz.flush();
  out.sent = sent.splice(0);
  process.stdout.write(JSON.stringify(out));
  return;
}
const out = {
  visitorId: pz.visitorId(),
  api: ["track", "consent", "flush", "visitorId"].map((n) => typeof pz[n]),
};
pz.track("add_to_cart", {product_id: "SKU-1", quantity: 2, price: 49.9});
pz.flush();
out.first = sent.splice(0);
pz.consent({tracking: false, personalization: false});
out.consentCookie = cookieJar["pz_consent"];
out.consent = sent.splice(0);
out.afterOptOutTrack = pz.track("add_to_cart", {product_id: "SKU-2"});
pz.flush();
out.afterOptOut = sent.splice(0);
cookieJar = {"pz_vid": "\"quoted-id:1r2s3t:sig\""};
out.quotedVisitorId = pz.visitorId();
cookieJar = {"pz_vid": "bad id!:1:sig"};
out.badVisitorId = pz.visitorId();
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def pz_js() -> Path:
    found = finders.find("pz/pz.js")
    assert found, "pz/pz.js is not found by the staticfiles finders"
    return Path(found)


def test_served_by_the_staticfiles_finder_with_the_public_api(pz_js: Path) -> None:
    source = pz_js.read_text()

    for name in ("track", "consent", "flush", "visitorId"):
        assert f"{name}: {name}" in source
    assert "sendBeacon" in source
    assert "keepalive" in source
    assert len(source.encode()) < 20_000  # tracker, slot filling and the dataLayer reader


def run_pz_js(pz_js: Path, directory: Path, scenario: dict | None = None) -> dict:
    if NODE is None:
        pytest.skip("node is not installed")
    harness = directory / "harness.js"
    harness.write_text(NODE_HARNESS)
    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [NODE, str(harness), str(pz_js), json.dumps(scenario or {})],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def node_run(pz_js: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_pz_js(pz_js, tmp_path_factory.mktemp("pzjs"))


def test_track_then_flush_sends_one_beacon(node_run: dict) -> None:
    assert node_run["api"] == ["function"] * 4
    assert node_run["visitorId"] == "vidABC_123-x"
    [beacon] = node_run["first"]
    assert beacon["via"] == "beacon"
    assert beacon["url"] == "/api/v1/events"
    assert beacon["type"] == "application/json"
    events = beacon["body"]["events"]
    assert [e["type"] for e in events] == ["page_view", "add_to_cart"]
    cart = events[1]
    assert cart["properties"] == {"product_id": "SKU-1", "quantity": 2, "price": 49.9}
    assert "visitor_id" not in cart  # the server acts for the cookie's visitor only
    assert len(cart["event_id"]) == 36 and cart["event_id"][14] == "4"
    assert cart["timestamp"].endswith("Z")
    assert cart["session_id"] == events[0]["session_id"]
    assert cart["context"]["device"] == "mobile"
    assert cart["context"]["url"] == "/p/SKU-1/?utm_source=news&utm_campaign=winter&x=1"
    assert cart["context"]["utm_source"] == "news"
    assert cart["context"]["utm_campaign"] == "winter"
    assert cart["context"]["referrer"] == "https://www.example.org/"
    assert cart["context"]["local_time"][19] in "+-"


@pytest.mark.real_clock  # node stamps the events with the machine's clock
def test_events_pass_server_validation(node_run: dict) -> None:
    from django.utils import timezone

    from tracking.event_validation import validate_batch

    events = node_run["first"][0]["body"]["events"]
    batch = validate_batch(events, now=timezone.now(), default_visitor_id="cookie-visitor")
    assert batch.rejected == []
    assert len(batch.valid) == 2


def test_declining_consent_posts_it_and_stops_sending(node_run: dict) -> None:
    [consent] = node_run["consent"]
    assert consent["url"] == "/api/v1/consent"
    assert consent["body"] == {"tracking": False, "personalization": False}
    assert node_run["consentCookie"] == "t0.p0"
    assert node_run["afterOptOutTrack"] is None
    assert node_run["afterOptOut"] == []


def test_visitor_id_parsing(node_run: dict) -> None:
    assert node_run["quotedVisitorId"] == "quoted-id"
    assert node_run["badVisitorId"] is None


def test_a_signed_in_customer_is_identified_once_with_the_identity_token(
    pz_js: Path, tmp_path: Path
) -> None:
    token = "cust.42.1767225600.0123abcd"
    run = run_pz_js(pz_js, tmp_path, {"name": "identity", "attrs": {"data-identity-token": token}})

    [login_beacon, page_beacon] = run["start"]  # the login goes at once
    [login] = login_beacon["body"]["events"]
    assert login["type"] == "login"
    assert login["properties"] == {"user_id": "cust.42", "identity_token": token}
    assert [e["type"] for e in page_beacon["body"]["events"]] == ["page_view"]
    assert run["again"] is None  # once per token and tab


def test_an_app_token_goes_in_the_header_and_a_minted_one_is_learned(
    pz_js: Path, tmp_path: Path
) -> None:
    with_token = run_pz_js(
        pz_js, tmp_path, {"name": "identity", "attrs": {"data-visitor-token": "app:1:sig"}}
    )
    [request] = with_token["start"]
    assert request["via"] == "fetch"
    assert request["init"]["headers"]["X-Pz-Visitor"] == "app:1:sig"

    other_origin = run_pz_js(
        pz_js,
        tmp_path,
        {"name": "identity", "attrs": {"data-endpoint": "https://pz.example.net/api/v1/events"}},
    )
    [first] = other_origin["start"]
    assert first["via"] == "fetch" and "X-Pz-Visitor" not in first["init"]["headers"]
    [later] = other_origin["afterToken"]  # the minted visitor's token from the reply
    assert later["init"]["headers"]["X-Pz-Visitor"] == "minted:1r2s3t:sig"


def test_an_opt_in_site_sends_nothing_before_the_visitor_agrees(
    pz_js: Path, tmp_path: Path
) -> None:
    run = run_pz_js(
        pz_js,
        tmp_path,
        {"name": "optin", "attrs": {"data-consent-required": "true"}, "cookies": {}},
    )
    assert run["before"] is None
    assert run["after"] is not None
    consent, events = run["sent"]
    assert consent["body"] == {"tracking": True, "personalization": False}
    assert [e["type"] for e in events["body"]["events"]] == ["search"]
