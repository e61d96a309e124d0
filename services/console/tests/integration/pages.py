"""Reading the console's HTML as a browser would: lxml, by CSS-free XPath."""

from __future__ import annotations

import httpx
from lxml import html


def page(response: httpx.Response) -> html.HtmlElement:
    return html.fromstring(response.text)


def text(element: html.HtmlElement, xpath: str) -> str:
    found = element.xpath(xpath)
    assert found, f"nothing at {xpath}"
    return " ".join(" ".join("".join(node.itertext()).split()) for node in found)


def csrf(response: httpx.Response) -> str:
    """The CSRF token a form on the page carries."""
    values = page(response).xpath("//input[@name='csrf_token']/@value")
    assert values, "the page has no CSRF field"
    return str(values[0])


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    start = await client.get("/")
    return await client.post("/sign-in", data={"username": username, "password": password, "csrf_token": csrf(start)})
