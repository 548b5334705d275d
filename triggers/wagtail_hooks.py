from wagtail import hooks
from wagtail.snippets.models import register_snippet

from triggers.admin_viewsets import CouponOfferViewSet, EmailTemplateViewSet, TriggersViewSetGroup

register_snippet(EmailTemplateViewSet)
register_snippet(CouponOfferViewSet)


@hooks.register("register_admin_viewset")
def register_triggers_viewsets() -> TriggersViewSetGroup:
    return TriggersViewSetGroup()
