"""Every admin screen a marketer can reach answers without a server error.

With the demo loaded (a small slice of it), a superuser starts at the dashboard and follows
every admin link of the menu and of the pages it reaches (breadth first; at most a few
pages per URL shape, so a list of a thousand visitors costs three requests), searches
every list that has a search box, and re-submits every edit and create form as the browser
would send it. No answer may be a 5xx, and no page may show a Python dict or list as
such (`{'score': 0.4}`): marketers read sentences and tables, not reprs.
"""

import re
from collections import Counter, deque
from html import unescape
from urllib.parse import urldefrag, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(240)]

ADMIN = "/admin/"
# Links that end the session or leave the admin's own screens.
SKIP = re.compile(r"^/admin/(logout|login|password_reset|account/|jsi18n)|\.(js|css|png|svg)$")
PER_SHAPE = 3  # pages crawled per URL shape (ids and slugs replaced)
MAX_PAGES = 700
SEARCH_TERMS = ("hero", "zz-none")
URL_IN_JSON = re.compile(r'"(/admin/[^"\s<>]*)"')
# A Python dict or list of strings as str() prints it: {'key': ... or ['a', 'b'].
PYTHON_REPR = re.compile(r"\{'[^'\n]{1,80}': |\['[^'\n]{0,80}'(?:, '|\])")


def shape(url: str) -> str:
    """The URL's path with ids in place of numbers (orderings and pages of a list count
    as the list)."""
    path = url.partition("?")[0]
    path = re.sub(r"/\d+/", "/<id>/", path)
    return re.sub(r"/[0-9a-f-]{32,36}/", "/<uuid>/", path)


def admin_links(html: str) -> list[str]:
    """Admin URLs in links and in the sidebar's JSON (the menu is drawn by script)."""
    soup = BeautifulSoup(html, "html.parser")
    found = [a.get("href", "") for a in soup.find_all("a")]
    found += map(unescape, URL_IN_JSON.findall(html.replace("\\u002F", "/")))
    links = []
    for href in found:
        href = urldefrag(href)[0]
        if href.startswith("http"):
            href = urlsplit(href).path + (
                f"?{urlsplit(href).query}" if urlsplit(href).query else ""
            )
        if href.startswith(ADMIN) and not SKIP.search(href):
            links.append(href)
    return links


def python_reprs(html: str) -> list[str]:
    """Python dict or list reprs in what the page shows (scripts and styles aside)."""
    if not any(start in html for start in ("{&#x27;", "[&#x27;", "{'", "['")):
        return []  # most pages: no need to parse them again
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "template"]):
        hidden.decompose()
    text = soup.get_text(" ")
    return [text[max(0, m.start() - 40) : m.end() + 40] for m in PYTHON_REPR.finditer(text)]


def form_posts(html: str, page_url: str) -> list[tuple[str, dict[str, list[str]]]]:
    """The admin's main forms of a page (method post), with the values a browser would
    send: text, hidden and checked inputs, selected options and textareas."""
    soup = BeautifulSoup(html, "html.parser")
    posts = []
    for form in soup.select("main form[method=post], main form[method=POST]"):
        if form.select_one("[data-controller~=w-block]"):
            continue  # a StreamField's inputs are drawn by script: no browser posts this
        if "w-session" in form.get("data-controller", ""):
            continue  # the editing-session ping, posted by script
        action = form.get("action") or page_url
        if not action.startswith(ADMIN) or SKIP.search(action) or "/delete/" in action:
            continue
        if re.search(r"/(unpublish|disable|revisions/\d+/revert|workflow|lock|unlock)/", action):
            continue
        data: dict[str, list[str]] = {}
        for field in form.find_all(["input", "select", "textarea"]):
            name = field.get("name")
            if not name or field.get("disabled") is not None:
                continue
            if field.name == "textarea":
                data.setdefault(name, []).append(field.text)
            elif field.name == "select":
                chosen = field.find_all("option", selected=True) or field.find_all("option")[:1]
                if field.get("multiple") is not None:
                    chosen = field.find_all("option", selected=True)
                for option in chosen:
                    data.setdefault(name, []).append(option.get("value", option.text))
            elif field.get("type") in ("checkbox", "radio"):
                if field.get("checked") is not None:
                    data.setdefault(name, []).append(field.get("value", "on"))
            elif field.get("type") not in ("submit", "button", "file", "image", "reset"):
                data.setdefault(name, []).append(field.get("value", ""))
        posts.append((action, data))
    return posts


@pytest.fixture
def demo_admin(client, django_user_model):
    call_command("load_demo", limit_invoices=120, verbosity=0)
    user = django_user_model.objects.create_superuser("crawler", "crawler@example.com", "pw")
    client.force_login(user)
    return client


def test_no_admin_screen_answers_with_a_server_error(demo_admin):
    client = demo_admin
    client.raise_request_exception = False
    seen: set[str] = set()
    per_shape: Counter[str] = Counter()
    queue = deque([ADMIN])
    failures: list[str] = []
    reprs: list[str] = []
    searchable: set[str] = set()
    forms: list[tuple[str, str, dict[str, list[str]]]] = []

    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen or per_shape[shape(url)] >= PER_SHAPE:
            continue
        seen.add(url)
        per_shape[shape(url)] += 1
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"GET {url}: {response.status_code}")
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        reprs += [f"{url}: …{found}…" for found in python_reprs(html)]
        if 'name="q"' in html and "?" not in url:
            searchable.add(url)
        if re.search(r"/(edit|add|new|create|copy)/", url) or url.endswith("/add/"):
            forms += [(url, action, data) for action, data in form_posts(html, url)]
        queue.extend(link for link in admin_links(html) if link not in seen)

    for url in sorted(searchable):
        for term in SEARCH_TERMS:
            for ajax in ({}, {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}):
                response = client.get(url, {"q": term}, **ajax)
                if response.status_code >= 500:
                    failures.append(f"search {url}?q={term}: {response.status_code}")
            results = url.rstrip("/") + "/results/"
            response = client.get(results, {"q": term})
            if response.status_code >= 500:
                failures.append(f"live search {results}?q={term}: {response.status_code}")

    posted = Counter()
    for page, action, data in forms:
        if posted[shape(action)] >= 2:
            continue
        posted[shape(action)] += 1
        response = client.post(action, data)
        if response.status_code >= 500:
            failures.append(f"POST {action} (form of {page}): {response.status_code}")

    assert len(seen) > 60, f"the crawl reached only {len(seen)} pages: {sorted(seen)}"
    assert {"/admin/snippets/content/component/", "/admin/snippets/content/placement/"} <= seen
    assert "/admin/snippets/triggers/emailtemplate/" in searchable
    assert len(searchable) >= 5 and sum(posted.values()) >= 10
    assert not failures, "\n".join(failures)
    assert not reprs, "Python reprs on admin pages:\n" + "\n".join(reprs)
