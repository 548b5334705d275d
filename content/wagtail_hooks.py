from wagtail.snippets.models import register_snippet

from content.admin_viewsets import ContentViewSetGroup

register_snippet(ContentViewSetGroup)
