"""Public e-mail endpoints: one-click unsubscribe, the open pixel, the click redirect
and the configured ESP's tracking webhook. No login: each link carries a signed token,
and the webhook is checked by anymail (basic auth, the ESP's signature)."""

import base64

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from triggers.services import email

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# anymail's tracking webhook view of each ESP a shop can name in PZ_EMAIL_ESP.
ESP_TRACKING_VIEWS = {
    "amazon_ses": "anymail.webhooks.amazon_ses.AmazonSESTrackingWebhookView",
    "brevo": "anymail.webhooks.brevo.BrevoTrackingWebhookView",
    "mailgun": "anymail.webhooks.mailgun.MailgunTrackingWebhookView",
    "mailjet": "anymail.webhooks.mailjet.MailjetTrackingWebhookView",
    "postmark": "anymail.webhooks.postmark.PostmarkTrackingWebhookView",
    "resend": "anymail.webhooks.resend.ResendTrackingWebhookView",
    "sendgrid": "anymail.webhooks.sendgrid.SendGridTrackingWebhookView",
    "sparkpost": "anymail.webhooks.sparkpost.SparkPostTrackingWebhookView",
}


@csrf_exempt  # RFC 8058: mail clients POST without a session or a CSRF token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button (link scanners fetch GETs); POST unsubscribes, both
    the one-click POST of a mail client and the button."""
    if request.method == "GET":
        valid = email.unsubscribe_token_valid(token)
        return render(
            request,
            "triggers/email/unsubscribe.html",
            {"token": token, "valid": valid, "done": False},
            status=200 if valid else 400,
        )
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    visitor_id = email.unsubscribe(token=token, source="one-click" if one_click else "link")
    if visitor_id is None:
        return render(
            request,
            "triggers/email/unsubscribe.html",
            {"token": token, "valid": False, "done": False},
            status=400,
        )
    return render(
        request, "triggers/email/unsubscribe.html", {"token": token, "valid": True, "done": True}
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def confirm_consent(request: HttpRequest, token: str) -> HttpResponse:
    """Double opt-in: GET shows a confirm button (link scanners fetch GETs), POST
    confirms."""
    if request.method == "GET":
        return render(request, "triggers/email/confirm.html", {"done": False})
    if not email.confirm_consent(token=token):
        return render(request, "triggers/email/confirm.html", {"invalid": True}, status=400)
    return render(request, "triggers/email/confirm.html", {"done": True})


@never_cache
@require_GET
def email_open(request: HttpRequest, token: str) -> HttpResponse:
    email.record_open(token=token)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def email_click(request: HttpRequest, token: str) -> HttpResponse:
    target = email.record_click(token=token)
    if not target:
        return HttpResponse("This link is not valid.", status=400, content_type="text/plain")
    return HttpResponseRedirect(target)


@csrf_exempt
def esp_tracking_webhook(request: HttpRequest, esp: str) -> HttpResponse:
    """The configured ESP's tracking webhook, handled by anymail (it validates the
    request and sends its `tracking` signal); any other ESP's URL does not exist."""
    if not settings.PZ_EMAIL_ESP or esp != settings.PZ_EMAIL_ESP or esp not in ESP_TRACKING_VIEWS:
        raise Http404
    view = import_string(ESP_TRACKING_VIEWS[esp]).as_view()
    return view(request)
