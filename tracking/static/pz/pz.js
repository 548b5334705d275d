/* pz.js: the pz event tracker (ES5, no dependencies). Config comes from the script tag:
 * data-endpoint, data-consent-endpoint, data-auto="page,product,clicks,impressions",
 * data-respect-gpc="true", data-consent-required="true" (opt-in: nothing is sent before
 * pz.consent({tracking: true})), data-identity-token="{% pz_identity_token user %}" (a signed-in
 * customer: sent once with a login event), data-visitor-token (an app's X-Pz-Visitor
 * token), data-datalayer="true" (or the name of the array: reads GA4 e-commerce pushes,
 * view_item, add_to_cart and purchase, from Google Tag Manager's dataLayer). Events are batched to navigator.sendBeacon; each carries an event_id so a
 * retried beacon is stored once. The server knows the visitor from the pz_vid cookie, or
 * from the X-Pz-Visitor header when pz.js has a token (other origins: learned from the
 * first response). Headless fronts call pz.decide(placements, context); cached pages
 * (data-fill-slots="true") get every [data-pz-slot] filled from one decide, keeping the
 * fallback when it takes longer than data-anti-flicker-ms (300). API: pz.d.ts. */
(function (w, d) {
  "use strict";
  if (w.pz && w.pz.version) return;
  var nav = w.navigator || {}, PLACEMENT = "[data-pz-placement]";
  var script = d.currentScript || (d.querySelector && d.querySelector("script[src*='pz.js']"));
  function attr(name, fallback) {
    var v = script && script.getAttribute ? script.getAttribute(name) : null;
    return v ? v : fallback;
  }
  var config = {
    endpoint: attr("data-endpoint", "/api/v1/events"),
    consentEndpoint: attr("data-consent-endpoint", "/api/v1/consent"),
    auto: "," + attr("data-auto", "page,product,clicks,impressions").replace(/\s/g, "") + ",",
    respectGpc: attr("data-respect-gpc", "false") === "true",
    consentRequired: attr("data-consent-required", "false") === "true",
    identityToken: attr("data-identity-token", ""),
    decideEndpoint: attr("data-decide-endpoint", "/api/v1/decide"),
    fillSlots: attr("data-fill-slots", "false") === "true",
    antiFlickerMs: parseInt(attr("data-anti-flicker-ms", "300"), 10) || 300,
    dataLayer: { "true": "dataLayer", "false": "" }[attr("data-datalayer", "false")] ||
      attr("data-datalayer", "")
  };
  function autoOn(name) { return config.auto.indexOf("," + name + ",") >= 0; }

  function cookie(name) {
    var m = (d.cookie || "").match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return m ? m[1] : null;
  }
  function setCookie(name, value, maxAge) {
    d.cookie = name + "=" + value + "; path=/; SameSite=Lax" + (maxAge ? "; max-age=" + maxAge : "");
  }

  // The server signs the cookie as "<id>:<timestamp>:<signature>"; only the id is read.
  function visitorId() {
    var id = (cookie("pz_vid") || "").replace(/^"/, "").split(":")[0];
    return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
  }

  var token = attr("data-visitor-token", null);
  try { token = token || w.localStorage.getItem("pz_vtok"); } catch (e) { /* storage blocked */ }
  function remember(body) {
    if (!body || !body.visitor_token || body.visitor_token === token) return;
    token = body.visitor_token;
    try { w.localStorage.setItem("pz_vtok", token); } catch (e) { /* storage blocked */ }
  }
  function sameOrigin(url) {
    var loc = w.location || {};
    return /^\/(?!\/)/.test(url) || (!!loc.origin && url.indexOf(loc.origin + "/") === 0);
  }

  function uuid4() {
    var c = w.crypto, b = [], i, hex = "";
    if (c && c.randomUUID) return c.randomUUID();
    if (c && c.getRandomValues) b = c.getRandomValues(new Uint8Array(16));
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    for (i = 0; i < 16; i++) {
      hex += (i === 4 || i === 6 || i === 8 || i === 10 ? "-" : "") + (b[i] + 256).toString(16).slice(1);
    }
    return hex;
  }

  var session = null;
  function sessionId() {
    var now = +new Date();
    try {
      session = JSON.parse(w.sessionStorage.getItem("pz_sid")) || session;
    } catch (e) { /* storage blocked: keep the in-memory session */ }
    if (!session || !session.id || now - session.last > 30 * 60 * 1000) session = { id: uuid4() };
    session.last = now;
    try { w.sessionStorage.setItem("pz_sid", JSON.stringify(session)); } catch (e) { /* blocked */ }
    setCookie("pz_sid", session.id);  // lets server-side events join the same session
    return session.id;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localTime(t) {
    var off = -t.getTimezoneOffset(), a = Math.abs(off);
    return t.getFullYear() + "-" + pad(t.getMonth() + 1) + "-" + pad(t.getDate()) + "T" +
      pad(t.getHours()) + ":" + pad(t.getMinutes()) + ":" + pad(t.getSeconds()) +
      (off < 0 ? "-" : "+") + pad(Math.floor(a / 60)) + ":" + pad(a % 60);
  }
  function device() {
    var ua = nav.userAgent || "", width = w.innerWidth || 1280;
    if (/iPad|Tablet|PlayBook|Silk/i.test(ua) || (/Android/i.test(ua) && !/Mobile/i.test(ua))) {
      return "tablet";
    }
    if (/Mobi|iPhone|iPod|Android|BlackBerry|Opera Mini|IEMobile/i.test(ua) || width < 600) {
      return "mobile";
    }
    return "desktop";
  }
  function clip(s) { return String(s).slice(0, 2048); }
  function context() {
    var loc = w.location || {}, search = loc.search || "", m;
    var re = /[?&](utm_(?:source|medium|campaign|term|content))=([^&#]*)/g;
    var ctx = { url: clip((loc.pathname || "/") + search), device: device(),
      local_time: localTime(new Date()) };
    if (d.referrer) ctx.referrer = clip(d.referrer);
    if (nav.language) ctx.locale = nav.language;
    while ((m = re.exec(search))) {
      try {
        if (m[2]) ctx[m[1]] = clip(decodeURIComponent(m[2].replace(/\+/g, " ")));
      } catch (e) { /* a malformed escape: skip it */ }
    }
    return ctx;
  }

  var queue = [], timer = null, stopped = false;
  function allowed() {
    var chosen = cookie("pz_consent") || "";
    return !stopped && !/(^|\.)t0/.test(chosen) &&
      !(config.consentRequired && !/(^|\.)t1/.test(chosen)) &&
      !(config.respectGpc &&
        (nav.globalPrivacyControl === true || nav.doNotTrack === "1" || w.doNotTrack === "1"));
  }
  // Same origin without a token: a beacon with the cookie. Otherwise fetch, which can send
  // the token header and read the token of a visitor the server minted.
  function post(url, body) {
    var headers = { "Content-Type": "application/json" };
    if (!token && sameOrigin(url)) {
      try {
        var blob = new w.Blob([body], { type: "application/json" });
        if (nav.sendBeacon && nav.sendBeacon(url, blob)) return true;
      } catch (e) { /* fall back to fetch */ }
    }
    if (!w.fetch) return false;
    if (token) headers["X-Pz-Visitor"] = token;
    w.fetch(url, { method: "POST", body: body, keepalive: true, credentials: "same-origin",
      headers: headers }).then(function (r) { return r.json(); }).then(remember)["catch"](function () {});
    return true;
  }
  function flush() {
    if (timer) w.clearTimeout(timer);
    timer = null;
    var batch = queue;
    queue = [];
    return batch.length && allowed() ? post(config.endpoint, JSON.stringify({ events: batch })) : false;
  }

  function track(type, properties) {
    if (!type || typeof type !== "string" || !allowed()) return null;
    // No visitor_id: the server acts for the visitor of the cookie or token, only.
    var event = { type: type, event_id: uuid4(), timestamp: new Date().toISOString(),
      session_id: sessionId(), properties: properties || {}, context: context() };
    queue.push(event);
    if (queue.length >= 20) flush();
    else if (!timer) timer = w.setTimeout(flush, 2000);
    return event.event_id;
  }

  // choice: {tracking: bool, personalization: bool}; remembered as "t1.p0" in pz_consent.
  function consent(choice) {
    var body = {}, flags = [];
    choice = choice || {};
    if (typeof choice.tracking === "boolean") {
      body.tracking = choice.tracking;
      flags.push(choice.tracking ? "t1" : "t0");
    }
    if (typeof choice.personalization === "boolean") {
      body.personalization = choice.personalization;
      flags.push(choice.personalization ? "p1" : "p0");
    }
    if (choice.tracking === false) { queue = []; stopped = true; }
    else if (choice.tracking === true) stopped = false;
    if (flags.length) setCookie("pz_consent", flags.join("."), 395 * 86400);
    return post(config.consentEndpoint, JSON.stringify(body));
  }

  // A signed-in customer: identityToken is "<user_id>.<unix time>.<hmac>" from the shop's
  // backend ({% pz_identity_token user %}); the login is sent once per token and tab.
  function identify(identityToken) {
    var parts = String(identityToken || "").split(".");
    if (parts.length < 3) return null;
    var userId = parts.slice(0, -2).join(".");
    try {
      if (w.sessionStorage.getItem("pz_identified") === identityToken) return null;
    } catch (e) { /* storage blocked: send it */ }
    var id = track("login", { user_id: userId, identity_token: identityToken });
    if (!id) return null;
    try { w.sessionStorage.setItem("pz_identified", identityToken); } catch (e) { /* blocked */ }
    flush();
    return id;
  }

  // The context fields decide accepts (API.md): the page's own, then the caller's.
  var DECIDE_CONTEXT = ["device", "country", "city", "url", "referrer", "local_time", "locale",
    "logged_in", "utm_source", "utm_medium", "utm_campaign", "product_id"];
  // placements: keys (or "block:<page id>:<block id>"); resolves to the decide body.
  function decide(placements, extra) {
    var ctx = context(), body = { placements: placements, context: {} }, k, i;
    extra = extra || {};
    for (k in extra) if (Object.prototype.hasOwnProperty.call(extra, k)) ctx[k] = extra[k];
    for (i = 0; i < DECIDE_CONTEXT.length; i++) {
      if (ctx[DECIDE_CONTEXT[i]] !== undefined) body.context[DECIDE_CONTEXT[i]] = ctx[DECIDE_CONTEXT[i]];
    }
    if (!w.fetch) return w.Promise ? w.Promise.reject(new Error("no fetch")) : null;
    var headers = { "Content-Type": "application/json" };
    if (token) headers["X-Pz-Visitor"] = token;
    return w.fetch(config.decideEndpoint, { method: "POST", body: JSON.stringify(body),
      credentials: "same-origin", headers: headers }).then(function (r) {
      if (!r.ok) throw new Error("decide: HTTP " + r.status);
      return r.json();
    }).then(function (answer) { remember(answer); return answer; });
  }

  // Cached pages: one decide for every slot; a slot shows its decision if it arrives
  // within the anti-flicker timeout, else keeps its fallback. Impressions are observed
  // only once a slot shows its final content.
  function reveal(slot) {
    if (!slot.hasAttribute("data-pz-pending")) return;
    slot.removeAttribute("data-pz-pending");
    observePlacements(slot);
  }
  function fillSlots(root) {
    var slots = (root || d).querySelectorAll ? (root || d).querySelectorAll("[data-pz-slot]") : [];
    var keys = [], i, done = false;
    for (i = 0; i < slots.length && keys.length < 20; i++) keys.push(slots[i].getAttribute("data-pz-slot"));
    function finish(answer) {
      if (done) return;
      done = true;
      for (var j = 0; j < slots.length; j++) {
        var placed = answer && answer.placements && answer.placements[slots[j].getAttribute("data-pz-slot")];
        if (placed && typeof placed.html === "string") slots[j].innerHTML = placed.html;
        reveal(slots[j]);
      }
    }
    if (!keys.length) return null;
    w.setTimeout(function () { finish(null); }, config.antiFlickerMs);
    var pending = decide(keys);
    if (pending && pending.then) pending.then(finish)["catch"](function () { finish(null); });
    else finish(null);
    return pending;
  }

  function closest(el, selector) {
    for (; el && el.nodeType === 1; el = el.parentNode) if (el.matches && el.matches(selector)) return el;
    return null;
  }
  function placementProps(el) {
    var props = { placement: el.getAttribute("data-pz-placement") };
    var variant = el.getAttribute("data-pz-variant"), component = el.getAttribute("data-pz-component");
    if (variant) props.variant = variant;
    if (component) props.component = component;
    var strategy = el.getAttribute("data-pz-strategy");
    if (strategy) props.strategy = strategy;
    return props;
  }
  function onClick(e) {
    var el = closest(e.target, PLACEMENT), link = closest(e.target, "a[href]"), props;
    if (!el) return;
    props = placementProps(el);
    if (link) props.href = clip(link.getAttribute("href"));
    var product = closest(e.target, "[data-pz-product-link]");
    if (product) props.product_id = product.getAttribute("data-pz-product-link");
    track("click", props);
  }

  var observer = null;
  function impression(el) {
    if (!el.__pzSeen) { el.__pzSeen = true; track("impression", placementProps(el)); }
  }
  // Call again after injecting placements into the page.
  function observePlacements(root) {
    var els = (root || d).querySelectorAll ? (root || d).querySelectorAll(PLACEMENT) : [];
    for (var i = 0; i < els.length; i++) {
      if (els[i].__pzSeen || els[i].__pzObserved || closest(els[i], "[data-pz-pending]")) continue;
      els[i].__pzObserved = true;
      if (observer) observer.observe(els[i]);
      else impression(els[i]);
    }
  }

  // GA4 e-commerce (gtag's ["event", name, params] or GTM's {event, ecommerce}) as pz events.
  var GA4_EVENTS = { view_item: "product_view", add_to_cart: "add_to_cart", purchase: "purchase" };
  function num(v) { v = typeof v === "string" ? parseFloat(v) : v; return typeof v === "number" && isFinite(v) ? v : null; }
  function ga4Line(item) {
    var line = { product_id: String(item.item_id || item.item_name || "") }, parts = [], i;
    var cats = ["item_category", "item_category2", "item_category3", "item_category4", "item_category5"];
    for (i = 0; i < cats.length; i++) if (item[cats[i]]) parts.push(String(item[cats[i]]));
    if (parts.length) line.category = parts.join("/");
    if (num(item.price) !== null && item.price >= 0) line.price = num(item.price);
    var q = num(item.quantity);
    if (q !== null && q >= 1 && q % 1 === 0) line.quantity = q;
    return line;
  }
  function fromDataLayer(entry) {
    if (!entry || typeof entry !== "object") return;
    var name = entry.event, params = entry.ecommerce;
    if (entry[0] === "event") { name = entry[1]; params = entry[2]; }
    var type = GA4_EVENTS[name], items = (params && params.items) || [], lines = [], i;
    if (!type || !params || !items.length && type !== "purchase") return;
    for (i = 0; i < items.length; i++) if (items[i] && (items[i].item_id || items[i].item_name)) lines.push(ga4Line(items[i]));
    if (type === "purchase") {
      var order = { order_id: String(params.transaction_id || ""), revenue: num(params.value) || 0, items: lines };
      if (params.currency) order.currency = String(params.currency);
      if (order.order_id) track("purchase", order);
      return;
    }
    for (i = 0; i < lines.length; i++) {
      if (type === "product_view") delete lines[i].quantity;
      track(type, lines[i]);
    }
  }
  function watchDataLayer(name) {
    var layer = w[name] = w[name] || [], push = layer.push, i;
    for (i = 0; i < layer.length; i++) fromDataLayer(layer[i]);
    layer.push = function () {
      var result = push.apply(layer, arguments);
      for (var j = 0; j < arguments.length; j++) fromDataLayer(arguments[j]);
      return result;
    };
  }

  function start() {
    if (config.fillSlots) fillSlots(d);
    if (config.identityToken) identify(config.identityToken);
    if (config.dataLayer) watchDataLayer(config.dataLayer);
    if (autoOn("page")) track("page_view", {});
    var el = autoOn("product") && d.querySelector && d.querySelector("[data-pz-product]");
    if (el && el.getAttribute("data-pz-product-id")) {
      var props = { product_id: el.getAttribute("data-pz-product-id") };
      var price = parseFloat(el.getAttribute("data-pz-price"));
      if (el.getAttribute("data-pz-category")) props.category = el.getAttribute("data-pz-category");
      if (!isNaN(price)) props.price = price;
      track("product_view", props);
    }
    if (!autoOn("impressions")) return;
    if (w.IntersectionObserver) {
      observer = new w.IntersectionObserver(function (entries) {
        for (var i = 0; i < entries.length; i++) {
          if (entries[i].isIntersecting) {
            observer.unobserve(entries[i].target);
            impression(entries[i].target);
          }
        }
      }, { threshold: 0.5 });
    }
    observePlacements(d);
  }

  if (d.addEventListener) {
    if (autoOn("clicks")) d.addEventListener("click", onClick, true);
    d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") flush(); });
    if (w.addEventListener) w.addEventListener("pagehide", flush);
    if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
    else start();
  }

  // Headless fronts on another origin: endpoints, and the visitor token of their app.
  function configure(options) {
    options = options || {};
    for (var k in options) {
      if (!Object.prototype.hasOwnProperty.call(options, k)) continue;
      if (k === "visitorToken") { token = options[k] || null; continue; }
      if (Object.prototype.hasOwnProperty.call(config, k)) config[k] = options[k];
    }
    return config;
  }

  w.pz = { version: "1", config: config, configure: configure, track: track, consent: consent, flush: flush,
    identify: identify, visitorId: visitorId, sessionId: sessionId, decide: decide,
    fillSlots: fillSlots, observePlacements: observePlacements };
})(window, document);
