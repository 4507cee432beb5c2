"""A small browser over httpx that talks to gunicorn the way the TLS-terminating proxy would.

In production the portal sits behind a proxy that ends TLS and adds `X-Forwarded-Proto: https`
and `X-Forwarded-For`; the run sets `PROXY_FIX_HOPS=1` so the portal trusts exactly that one hop.
There is no TLS on loopback here, so each request carries those headers itself, plus the public
host name from BASE_URL (production answers only to TRUSTED_HOSTS).

Cookies are kept by hand, as a browser on https would keep them: the session cookie is
`__Host-session` with `Secure`, which an http cookie jar would refuse to send back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from http.cookies import SimpleCookie

import httpx

CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PUBLIC_HOST = "portal.test"
BASE_URL = f"https://{PUBLIC_HOST}"


@dataclass
class CookieSeen:
    name: str
    value: str
    attributes: dict[str, str]


@dataclass
class BrowserState:
    """What one simulated person's browser holds, whichever instance it talks to."""

    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[CookieSeen] = field(default_factory=list)
    statuses: list[tuple[str, str, int]] = field(default_factory=list)

    def headers(self) -> dict[str, str]:
        headers = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https",
                   "X-Forwarded-For": self.address, "User-Agent": "prodlike-check"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def remember(self, method: str, path: str, response: httpx.Response) -> None:
        self.statuses.append((method, path, response.status_code))
        for header in response.headers.get_list("set-cookie"):
            parsed = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                attributes = {key: str(value) for key, value in morsel.items() if value}
                self.set_cookies.append(CookieSeen(name, morsel.value, attributes))
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


def no_cookie_jar() -> CookieJar:
    """httpx's own jar must keep nothing: the browser state holds the cookies."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    if match is None:
        raise AssertionError("no CSRF token on the page")
    return match.group(1)


class Browser:
    """Synchronous, for the step-by-step checks. `urls` are the instances' loopback addresses."""

    def __init__(self, urls: list[str], address: str = "127.0.1.1") -> None:
        self.urls = urls
        self.state = BrowserState(address)
        self.http = httpx.Client(timeout=60, follow_redirects=False, cookies=no_cookie_jar())

    def request(self, method: str, path: str, *, instance: int = 0,
                data: dict | None = None) -> httpx.Response:
        response = self.http.request(method, self.urls[instance] + path,
                                     headers=self.state.headers(), data=data)
        self.state.remember(method, path, response)
        return response

    def get(self, path: str, *, instance: int = 0) -> httpx.Response:
        return self.request("GET", path, instance=instance)

    def post(self, path: str, data: dict, *, instance: int = 0) -> httpx.Response:
        return self.request("POST", path, instance=instance, data=data)

    def submit(self, page: str, data: dict, *, action: str | None = None,
               instance: int = 0) -> httpx.Response:
        """Load a form's page, then post it with the page's CSRF token, as a person would."""
        token = csrf_token(self.get(page, instance=instance).text)
        return self.post(action or page, {**data, "csrf_token": token}, instance=instance)

    def sign_in(self, email: str, password: str, *, instance: int = 0) -> httpx.Response:
        return self.submit("/sign-in", {"email": email, "password": password},
                           instance=instance)

    def close(self) -> None:
        self.http.close()


class AsyncBrowser:
    """The same browser for the load test, on an asyncio loop."""

    def __init__(self, http: httpx.AsyncClient, urls: list[str], address: str) -> None:
        self.http = http
        self.urls = urls
        self.state = BrowserState(address)

    async def request(self, method: str, path: str, *, instance: int,
                      data: dict | None = None) -> httpx.Response:
        response = await self.http.request(method, self.urls[instance] + path,
                                           headers=self.state.headers(), data=data)
        self.state.remember(method, path, response)
        return response
