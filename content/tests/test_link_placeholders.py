"""Placeholders can never make a link active or protocol-relative: `cta_url`/`href` as
rendered (HTML and the decide API's data) for a table of payloads, whether the payload
comes from a visitor's own values (city, first name) or from the text as written."""

import pytest
from django.core.exceptions import ValidationError

from content.blocks import SafeUrlBlock
from content.placeholders import resolve, safe_url
from content.rendering import render_component
from content.tests.factories import component

pytestmark = pytest.mark.django_db

ACTIVE_OR_OFFSITE = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/ /evil.example",
    "\u2028//evil.example",
    "\ufeff//evil.example",
    "https:evil.example",
    "http:/evil.example",
    "\x00/ok",
]


@pytest.mark.parametrize("payload", ACTIVE_OR_OFFSITE)
def test_safe_url_refuses_active_schemes_and_protocol_relative_links(payload):
    assert safe_url(payload) == ""


@pytest.mark.parametrize(
    "link",
    ["/", "/p/sku-1?utm_source=mail#top", "https://shop.example/x", "mailto:a@b.example", "#top"],
)
def test_safe_url_keeps_site_paths_and_web_addresses(link):
    assert safe_url(link) == link


@pytest.mark.parametrize("payload", ["/evil.example", "\\evil.example", "javascript:alert(1)"])
def test_a_visitor_value_in_a_link_is_data_not_a_slash_or_scheme(payload):
    rendered = resolve("/{{ visitor.city }}", {"visitor.city": payload}, escape=False, url=True)
    assert rendered.text.startswith("/") and not rendered.text.startswith(("//", "/\\"))
    assert safe_url(rendered.text) == rendered.text
    assert "/" not in rendered.text[1:] and "\\" not in rendered.text


@pytest.mark.parametrize("payload", ACTIVE_OR_OFFSITE)
def test_a_rendered_cta_never_links_to_a_payload_from_a_visitor_value(payload):
    hero = component("hero-x", cta_url="{{ visitor.city|default:'/' }}")
    fragment = render_component(hero, values={"visitor.city": payload}, placement_key="home-hero")
    assert fragment.data["cta_url"] in ("", safe_url(fragment.data["cta_url"]))
    assert not fragment.data["cta_url"].lower().lstrip().startswith(("javascript", "data", "//"))
    assert "javascript:" not in fragment.html.lower() and 'href="//' not in fragment.html


# PostgreSQL cannot store a NUL at all, so that one is never a stored link.
@pytest.mark.parametrize("payload", [p for p in ACTIVE_OR_OFFSITE if "\x00" not in p])
def test_a_cta_stored_unsafe_renders_without_its_link(payload):
    # Stored without the block's form validation (an import, an old revision).
    hero = component("hero-y", cta_url=payload)
    fragment = render_component(hero, values={}, placement_key="home-hero")
    assert fragment.data["cta_url"] == ""
    assert "pz-button" not in fragment.html  # the template drops a button without a link
    assert any(token.startswith("unsafe link") for token in fragment.unknown_tokens)


def test_a_safe_cta_with_a_placeholder_still_renders():
    hero = component("hero-z", cta_url="/stores/{{ visitor.city|default:'all' }}")
    fragment = render_component(hero, values={"visitor.city": "São Paulo"}, placement_key="h")
    assert fragment.data["cta_url"] == "/stores/S%C3%A3o%20Paulo"
    assert 'href="/stores/S%C3%A3o%20Paulo"' in fragment.html


@pytest.mark.parametrize(
    "written",
    ["{{ visitor.city|default:'javascript:alert(1)' }}", "//evil.example", "/\\evil", "/ x"],
)
def test_the_editor_form_refuses_unsafe_links_as_written(written):
    with pytest.raises(ValidationError):
        SafeUrlBlock(required=False).clean(written)


def test_rich_text_links_that_placeholders_make_unsafe_become_inert():
    from content.rendering import _safe_links

    unknown: list[str] = []
    text = resolve(
        '<p><a href="/{{ visitor.city }}">x</a> <a href="https://ok.example/">y</a></p>',
        {"visitor.city": "\\evil.example"},
        escape=True,
    ).text
    assert _safe_links(text, unknown) == (
        '<p><a href="#">x</a> <a href="https://ok.example/">y</a></p>'
    )
    assert unknown
