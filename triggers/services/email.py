"""Triggered marketing e-mail: rendered from a template's blocks for one visitor (cart
lines, recommended products, an offer with a unique code), sent through Django's mail
backend (an anymail ESP when configured) with one-click unsubscribe headers, and
followed by the ESP's tracking webhooks, pz's open pixel and signed click redirects.

Only visitors with marketing e-mail consent and an address that is not suppressed
(hard bounce, complaint) get one; unsubscribing withdraws the consent."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from catalog.models import Product
from content.placeholders import resolve, safe_url, visitor_values
from core import clock
from recommendations.serving import recommend_for_visitor
from tracking.models import VisitorProfile
from tracking.profile_entry import ProfileEntry
from tracking.selectors import (
    cache_entry,
    get_profile_entry,
    marketing_email_of,
    resolve_visitor_id,
)
from triggers.models import (
    Coupon,
    CouponOffer,
    EmailEvent,
    EmailSend,
    EmailSuppression,
    EmailTemplate,
    Firing,
)
from triggers.services.coupons import issue_coupon

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "pz.triggers.unsubscribe"
OPEN_SALT = "pz.triggers.open"
CLICK_SALT = "pz.triggers.click"
# ESP tracking events that end marketing e-mail to an address for good.
SUPPRESSING_EVENTS = frozenset({"bounced", "complained"})
ESP_EVENT_KINDS = frozenset(
    {"delivered", "bounced", "complained", "opened", "clicked", "unsubscribed", "rejected"}
)
PREVIEW_CODE = "PREVIEW-CODE"


# --- addresses: suppression -------------------------------------------------------------


def address_hash(address: str) -> str:
    """A keyed hash of a normalised address: suppressions match it, nobody reads it."""
    key = (settings.PZ_CUSTOMER_ID_PEPPER or settings.SECRET_KEY).encode()
    return hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()


def is_suppressed(address: str) -> bool:
    return EmailSuppression.objects.filter(address_hash=address_hash(address)).exists()


def suppress_address(*, address: str, reason: str, now: datetime | None = None) -> None:
    EmailSuppression.objects.get_or_create(
        address_hash=address_hash(address),
        defaults={"reason": reason[:20], "created_at": now or clock.now()},
    )


def recipient(profile_entry: ProfileEntry | None) -> tuple[str, str]:
    """(address, why not) of a visitor for marketing e-mail: an address only with
    marketing consent and when not suppressed."""
    if not profile_entry:
        return "", "no profile"
    marketing = marketing_email_of(profile_entry)
    if not marketing["address"]:
        return "", "no e-mail address"
    if not marketing["consent"]:
        return "", "no marketing e-mail consent"
    if is_suppressed(marketing["address"]):
        return "", "address suppressed (bounce, complaint)"
    return marketing["address"], ""


# --- signed links ---------------------------------------------------------------------


def site_url(path: str) -> str:
    return settings.PZ_SITE_URL + path


def unsubscribe_token(visitor_id: str, firing_id: int | None = None) -> str:
    return signing.dumps({"v": visitor_id, "f": firing_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(visitor_id: str, firing_id: int | None = None) -> str:
    return site_url(f"/email/unsubscribe/{unsubscribe_token(visitor_id, firing_id)}/")


def open_url(firing_id: int) -> str:
    return site_url(f"/email/o/{signing.dumps(firing_id, salt=OPEN_SALT)}/")


def click_url(firing_id: int | None, target: str) -> str:
    """A link through pz's click redirect (recorded, then sent on), or the plain target
    when there is no firing (a preview)."""
    if firing_id is None:
        return site_url(target) if target.startswith("/") else target
    token = signing.dumps({"f": firing_id, "u": target}, salt=CLICK_SALT, compress=True)
    return site_url(f"/email/c/{token}/")


def own_target(url: str) -> str:
    """The click target if it is a page of this shop (a path, or a URL on PZ_SITE_URL's
    host), else "": the redirect is never an open redirect to a foreign site."""
    url = safe_url(url)
    if not url or url.startswith("#"):
        return ""
    host = urlsplit(settings.PZ_SITE_URL).netloc
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={host}):
        return ""
    return url


# --- rendering --------------------------------------------------------------------------


@dataclass
class RenderedEmail:
    to: str
    subject: str
    html: str
    text: str
    coupon: Coupon | None = None
    unknown_tokens: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def _money(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except (ArithmeticError, ValueError):
        return ""


def _product_row(product: Product, firing_id: int | None, quantity: int = 1) -> dict[str, Any]:
    path = settings.PZ_EMAIL_PRODUCT_PATH.format(product_id=product.product_id)
    image = safe_url(str(getattr(product, "image_url", "") or ""))
    return {
        "product_id": product.product_id,
        "title": product.title,
        "price": _money(product.price),
        "quantity": quantity,
        "image": image if image.startswith(("http://", "https://")) else "",
        "initials": "".join(part[:1].upper() for part in product.category.split("/")[:2]),
        "url": click_url(firing_id, path),
    }


def cart_lines(profile_entry: ProfileEntry | None, firing_id: int | None) -> list[dict[str, Any]]:
    state = profile_entry.state if profile_entry else None
    cart = dict(state.cart) if state else {}
    products = Product.objects.in_bulk(list(cart), field_name="product_id")
    return [
        _product_row(products[pid], firing_id, int(line.get("quantity") or 1))
        for pid, line in cart.items()
        if pid in products
    ]


def recommended_products(
    *, visitor_id: str, strategy: str, count: int, exclude: set[str], firing_id: int | None
) -> list[dict[str, Any]]:
    """`count` in-stock products for the visitor from the recommender, topped up with
    the newest in-stock products when it has fewer (no model yet, a thin history)."""
    items = recommend_for_visitor(strategy=strategy, k=count + len(exclude), visitor_id=visitor_id)
    wanted = [i["product_id"] for i in items if i["product_id"] not in exclude]
    found = Product.objects.in_bulk(wanted, field_name="product_id")
    chosen = [found[pid] for pid in wanted if pid in found and found[pid].in_stock][:count]
    if len(chosen) < count:
        taken = exclude | {p.product_id for p in chosen}
        chosen += list(
            Product.objects.filter(in_stock=True)
            .exclude(product_id__in=taken)
            .order_by("-created_at", "product_id")[: count - len(chosen)]
        )
    return [_product_row(product, firing_id) for product in chosen]


def render_email(
    *,
    template: EmailTemplate,
    visitor_id: str,
    profile_entry: ProfileEntry | None,
    to: str = "",
    firing_id: int | None = None,
    issue_coupons: bool = False,
    now: datetime | None = None,
) -> RenderedEmail:
    """The e-mail for one visitor: HTML with inlined CSS and a plain-text part from the
    same blocks. Coupons are issued only when sending (`issue_coupons`); a preview shows
    a stand-in code."""
    now = now or clock.now()
    state = profile_entry.state if profile_entry else None
    values: dict[str, Any] = visitor_values(
        dict(state.attributes) if state else {},
        dict(state.last_context or {}) if state else {},
        shop_name=settings.PZ_SHOP_NAME,
    )
    unknown: list[str] = []
    coupon: Coupon | None = None
    blocks: list[dict[str, Any]] = []
    in_cart: set[str] = set()
    stream = list(template.content) if template.content else []
    if not stream and template.body:
        stream = [_Plain("text", template.body)]
    for block in stream:
        kind, value = block.block_type, block.value
        if kind == "text":
            text = resolve(value, values, escape=False)
            unknown += text.unknown
            blocks.append({"type": "text", "paragraphs": _paragraphs(text.text)})
        elif kind == "cart":
            lines = cart_lines(profile_entry, firing_id)
            in_cart |= {line["product_id"] for line in lines}
            if lines:
                blocks.append(
                    {
                        "type": "cart",
                        "heading": resolve(value["heading"], values, escape=False).text,
                        "lines": lines,
                        "button_label": value["button_label"],
                        "button_url": click_url(firing_id, settings.PZ_EMAIL_CART_PATH),
                    }
                )
        elif kind == "recommendations":
            products = recommended_products(
                visitor_id=visitor_id,
                strategy=value["strategy"],
                count=value["count"],
                exclude=in_cart,
                firing_id=firing_id,
            )
            if products:
                blocks.append(
                    {
                        "type": "recommendations",
                        "heading": resolve(value["heading"], values, escape=False).text,
                        "products": products,
                    }
                )
        elif kind == "offer":
            offer: CouponOffer | None = value["offer"]
            if offer is None:
                continue
            if issue_coupons:
                coupon = issue_coupon(offer=offer, visitor_id=visitor_id, now=now)
                code = coupon.code if coupon else ""
                expires = coupon.expires_at if coupon else None
            else:
                code, expires = PREVIEW_CODE, now
            if not code:
                continue
            offer_values = {
                **values,
                "offer.percent": offer.percent,
                "offer.code": code,
                "offer.expires": f"{expires:%d %B %Y}" if expires else "",
            }
            text = resolve(value["text"], offer_values, escape=False)
            unknown += text.unknown
            blocks.append(
                {
                    "type": "offer",
                    "heading": resolve(value["heading"], offer_values, escape=False).text,
                    "paragraphs": _paragraphs(text.text),
                    "code": code,
                }
            )
    subject = resolve(template.subject, values, escape=False)
    unknown += subject.unknown
    unsubscribe = unsubscribe_url(visitor_id, firing_id)
    context = {
        "subject": subject.text,
        "blocks": blocks,
        "shop_name": settings.PZ_SHOP_NAME,
        "unsubscribe_url": unsubscribe,
        "pixel_url": open_url(firing_id) if firing_id is not None else "",
    }
    html = css_inline.inline(render_to_string("triggers/email/message.html", context))
    text = render_to_string("triggers/email/message.txt", context)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return RenderedEmail(
        to=to,
        subject=subject.text,
        html=html,
        text=_tidy(text),
        coupon=coupon,
        unknown_tokens=unknown,
        headers=headers,
    )


@dataclass(frozen=True)
class _Plain:
    block_type: str
    value: str


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def _tidy(text: str) -> str:
    """Template whitespace out of the text part: no trailing spaces, at most one blank
    line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if not line and tidy and not tidy[-1]:
            continue
        tidy.append(line)
    return "\n".join(tidy) + "\n"


def preview_email(*, template: EmailTemplate, visitor_id: str) -> RenderedEmail:
    """The e-mail as `visitor_id` would get it now (no code issued, no links tracked);
    an unknown visitor sees it with an empty profile."""
    entry = get_profile_entry(visitor_id) if visitor_id else None
    to = marketing_email_of(entry)["address"] if entry else ""
    return render_email(
        template=template, visitor_id=visitor_id or "preview", profile_entry=entry, to=to
    )


# --- sending ----------------------------------------------------------------------------


def _fresh_profile_entry(visitor_id: str) -> ProfileEntry | None:
    """The visitor's profile as committed now, not as cached: an unsubscribe a moment
    ago must stop this send."""
    profile = VisitorProfile.objects.filter(visitor_id=resolve_visitor_id(visitor_id)).first()
    return cache_entry(profile) if profile is not None else None


def send_firing_email(*, firing: Firing, now: datetime) -> dict[str, Any]:
    """Send a fired e-mail, called with the firing's row locked (a redelivered task
    waits, then finds it delivered). Consent and suppression are checked again: they may
    have changed during the wait. Returns what the delivery stored; raises when the
    backend fails (the caller retries)."""
    entry = _fresh_profile_entry(firing.visitor_id)
    to, why_not = recipient(entry)
    if not to:
        return {"skipped": why_not}
    template = firing.trigger.email_template
    if template is None:
        return {"skipped": "no template"}
    rendered = render_email(
        template=template,
        visitor_id=firing.visitor_id,
        profile_entry=entry,
        to=to,
        firing_id=firing.pk,
        issue_coupons=True,
        now=now,
    )
    message_id = make_msgid(domain=urlsplit(settings.PZ_SITE_URL).hostname or "pz.local")
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={**rendered.headers, "Message-ID": message_id},
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
    status = getattr(message, "anymail_status", None)
    esp_id = str(status.message_id) if status is not None and status.message_id is not None else ""
    EmailSend.objects.create(
        firing=firing,
        visitor_id=firing.visitor_id,
        message_id=(esp_id or message_id).strip("<>"),
        esp=getattr(getattr(message, "connection", None), "esp_name", "") or "",
        sent_at=now,
        coupon=rendered.coupon,
    )
    return {
        "sent_to": to,
        "subject": rendered.subject,
        "body": rendered.text,
        "coupon": rendered.coupon.code if rendered.coupon else None,
    }


# --- what happened after sending --------------------------------------------------------


def record_esp_event(
    *,
    kind: str,
    message_id: str | None,
    event_id: str | None,
    recipient_address: str | None,
    occurred_at: datetime | None,
    detail: dict[str, Any] | None = None,
) -> EmailEvent | None:
    """Store an ESP tracking event against the firing whose e-mail it is about (once per
    ESP event id); a hard bounce or a complaint suppresses the address. Events of mail
    pz did not send are ignored."""
    if kind not in ESP_EVENT_KINDS or not message_id:
        return None
    send = EmailSend.objects.filter(message_id=message_id.strip("<>")).first()
    if send is None:
        return None
    occurred_at = occurred_at or clock.now()
    event = _store_event(send, kind, "esp", event_id or "", occurred_at, detail or {})
    if event is None:
        return None
    if kind in SUPPRESSING_EVENTS and recipient_address:
        suppress_address(address=recipient_address, reason=kind, now=occurred_at)
    if kind in SUPPRESSING_EVENTS or kind == "delivered":
        EmailSend.objects.filter(pk=send.pk).exclude(status__in=SUPPRESSING_EVENTS).update(
            status=kind
        )
    return event


def _store_event(
    send: EmailSend,
    kind: str,
    source: str,
    event_id: str,
    occurred_at: datetime,
    detail: dict[str, Any],
) -> EmailEvent | None:
    try:
        with transaction.atomic():
            return EmailEvent.objects.create(
                send=send,
                kind=kind,
                source=source,
                event_id=event_id[:200],
                occurred_at=occurred_at,
                detail=detail,
            )
    except IntegrityError:  # the ESP redelivered an event already stored
        return None


def unsubscribe(*, token: str, source: str) -> str | None:
    """Withdraw the marketing e-mail consent of the visitor a signed unsubscribe token
    names; returns the visitor id, or None for a bad token. Needs no login."""
    from tracking.services import set_consent

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    visitor_id = data.get("v") if isinstance(data, dict) else None
    if not isinstance(visitor_id, str) or not visitor_id:
        return None
    set_consent(visitor_id=visitor_id, marketing_email=False, source=source)
    firing_id = data.get("f")
    send = EmailSend.objects.filter(firing_id=firing_id).first() if firing_id else None
    if send is not None:
        _store_event(send, "unsubscribed", "pz", "", clock.now(), {"source": source})
    return visitor_id


def _track(send: EmailSend, event_type: str, properties: dict[str, Any]) -> None:
    """An open or a click as a tracking event of the visitor (within their tracking
    consent, as any event), so rules and the trigger's results can use it."""
    from tracking.services import ingest_events

    ingest_events(
        [
            {
                "type": event_type,
                "visitor_id": send.visitor_id,
                "properties": {"trigger": send.firing.trigger.key, **properties},
            }
        ]
    )


def record_open(*, token: str) -> bool:
    """The open pixel was loaded: the first open of the e-mail is stored and tracked."""
    try:
        firing_id = signing.loads(token, salt=OPEN_SALT)
    except signing.BadSignature:
        return False
    send = EmailSend.objects.filter(firing_id=firing_id).select_related("firing__trigger").first()
    if send is None:
        return False
    now = clock.now()
    if EmailSend.objects.filter(pk=send.pk, opened_at__isnull=True).update(opened_at=now):
        _store_event(send, "opened", "pz", "pixel", now, {})
        _track(send, "email_open", {})
    return True


def record_click(*, token: str) -> str:
    """A link of an e-mail was followed: the click is stored and tracked, and the
    target returned, only when the link is ours (signed) and leads to this shop;
    "" otherwise (the view refuses it)."""
    try:
        data = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature:
        return ""
    target = own_target(str(data.get("u") or "")) if isinstance(data, dict) else ""
    if not target:
        return ""
    send = (
        EmailSend.objects.filter(firing_id=data.get("f")).select_related("firing__trigger").first()
    )
    if send is not None:
        now = clock.now()
        EmailSend.objects.filter(pk=send.pk, clicked_at__isnull=True).update(clicked_at=now)
        _store_event(send, "clicked", "pz", "", now, {"url": target})
        _track(send, "email_click", {"url": target[:500]})
    return target


def unsubscribe_token_valid(token: str) -> bool:
    try:
        signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return False
    return True


CONFIRM_SALT = "pz.triggers.confirm"
CONFIRM_MAX_AGE_SECONDS = 7 * 24 * 3600


def send_consent_confirmation(*, visitor_id: str) -> bool:
    """Double opt-in: e-mail the address given with the consent a signed link that
    confirms it; marketing e-mail goes out only once it is followed."""
    address = marketing_email_of(_fresh_profile_entry(visitor_id))["address"]
    if not address or is_suppressed(address):
        return False
    token = signing.dumps({"v": visitor_id}, salt=CONFIRM_SALT, compress=True)
    link = site_url(f"/email/confirm/{token}/")
    EmailMultiAlternatives(
        subject=f"Please confirm your e-mail address for {settings.PZ_SHOP_NAME}",
        body=f"Please confirm that you want e-mail from {settings.PZ_SHOP_NAME}:\n\n{link}\n\n"
        "If you did not ask for this, ignore this e-mail: nothing will be sent.\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    ).send()
    return True


def confirm_consent(*, token: str) -> bool:
    """The confirmation link was followed: the marketing consent counts from now."""
    from tracking.services import set_consent

    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False
    visitor_id = data.get("v") if isinstance(data, dict) else None
    if not isinstance(visitor_id, str) or not visitor_id:
        return False
    set_consent(visitor_id=visitor_id, confirmed=True, source="double-opt-in")
    return True
