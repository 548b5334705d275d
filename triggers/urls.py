from django.urls import path

from triggers import views

app_name = "trigger-emails"  # "triggers" is the admin viewset's namespace

urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="email-unsubscribe"),
    path("email/confirm/<str:token>/", views.confirm_consent, name="email-confirm"),
    path("email/o/<str:token>/", views.email_open, name="email-open"),
    path("email/c/<str:token>/", views.email_click, name="email-click"),
    path("email/esp/<slug:esp>/tracking/", views.esp_tracking_webhook, name="email-esp-tracking"),
]
