"""Reading the pages in tests: elements by id, form fields, the CSRF token, cookie attributes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response

_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    parts: list[str] = field(default_factory=list, repr=False)


class Page(HTMLParser):
    """The elements of an HTML page, with the text inside each."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        for element in self.elements:
            element.text = " ".join("".join(element.parts).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in _VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.parts.append(data)

    def by_id(self, id_: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == id_]
        assert len(found) == 1, f"expected one element #{id_}, found {len(found)}"
        return found[0]

    def has_id(self, id_: str) -> bool:
        return any(e.attrs.get("id") == id_ for e in self.elements)

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def input_named(self, name: str) -> Element:
        found = [e for e in self.all("input") if e.attrs.get("name") == name]
        assert len(found) == 1, f"expected one input named {name}, found {len(found)}"
        return found[0]

    def label_for(self, id_: str) -> str:
        found = [e.text for e in self.all("label") if e.attrs.get("for") == id_]
        assert len(found) == 1, f"expected one label for #{id_}, found {found}"
        return found[0]

    @property
    def csrf(self) -> str:
        value = self.input_named("csrf_token").attrs["value"]
        assert value
        return value

    @property
    def text(self) -> str:
        return self.by_tag("body").text

    def by_tag(self, tag: str) -> Element:
        return self.all(tag)[0]


def page(response: Response) -> Page:
    assert response.headers["content-type"].startswith("text/html"), response.text
    return Page(response.text)


def csrf_for(client: TestClient, path: str) -> str:
    """The CSRF token of the form on the page at ``path`` (GET), for this client's browser."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    return page(r).csrf


def set_cookie(response: Response, name: str) -> str:
    """The Set-Cookie header for ``name`` (lower-cased for attribute checks)."""
    for header in response.headers.get_list("set-cookie"):
        if header.split("=", 1)[0] == name:
            return header
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def cookie_attrs(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";")]
    attrs = {
        p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts[1:]
    }
    attrs["value"] = parts[0].split("=", 1)[1]
    return attrs


def reset_url_from(body: str) -> str:
    found = re.search(r"http://usher\.test(/reset/\S+)", body)
    assert found, body
    return found.group(1)
