"""Compressed responses (Flask-Compress), and the rule that keeps BREACH out.

BREACH recovers a secret from compressed HTTPS responses: an attacker who can see the sizes of
the victim's responses makes the victim's browser send many requests whose input the page
reflects beside the secret, and watches which guesses compress better. The rule here
(docs/compression.md says more):

- Static files (CSS, JavaScript, icons) are the same for everyone and hold no secret: always
  compressed.
- A page is compressed only for a request made by the portal's own pages, or by the person
  directly (Fetch Metadata: `Sec-Fetch-Site: same-origin` or `none`). Another site can make
  neither kind, so it cannot drive the stream of requests BREACH needs. A request from another
  site (a link in an e-mail, say), or from a client that does not say where it comes from, gets
  the page uncompressed: correct, only larger.
- Pages that show a long-lived secret of their own (the two-factor set-up key, recovery codes)
  are never compressed: the views call keep_uncompressed().
- Flask-WTF's CSRF token is not masked per response (it is the session's token, signed with the
  current second), so it is not what keeps BREACH out; the rule above is.
- Downloads keep their bytes: CSV exports stream uncompressed, never held in memory (text/csv
  is not in COMPRESS_MIMETYPES, and COMPRESS_STREAMS is off); PDFs, ZIPs and PNGs are
  compressed already and are not in the list either.
"""

from __future__ import annotations

from flask import Flask, Request, Response, g, request
from flask_compress import Compress

from portal.caching import BoundedCache
from portal.extensions import compress

# Where a request came from (Fetch Metadata): from our own pages, or typed / bookmarked by the
# person. "same-site" is not enough: another host of the same site may be someone else's.
OWN_REQUESTS = frozenset({"same-origin", "none"})
# Compressed static files, by path, version (ETag) and encoding: a few dozen files, so each is
# compressed once per process, not again for every page view's revalidation.
STATIC_CACHE_SIZE = 256

# Static files only: pages are never kept (they are personal), so they use `compress`, which
# has no cache.
static_compress = Compress()


class _StaticFiles:
    """The cache Flask-Compress asks (get/set), bounded and thread-safe."""

    def __init__(self) -> None:
        self._cache: BoundedCache[str, bytes] = BoundedCache(STATIC_CACHE_SIZE)

    def get(self, key: str) -> bytes | None:
        return self._cache.get(key)

    def set(self, key: str, value: bytes) -> None:
        self._cache.put(key, value)


def _static_key(request: Request) -> str:
    return f"{request.path}|{g.static_etag}"  # Flask-Compress adds the encoding


def register_compression(app: Flask) -> None:
    """COMPRESS_REGISTER is off (config.py), so Flask-Compress decides nothing by itself: this
    hook asks it only for responses the rule allows, and runs after every other hook."""
    compress.init_app(app)
    static_compress.init_app(app)
    static_compress.cache, static_compress.cache_key = _StaticFiles(), _static_key
    app.after_request_funcs.setdefault(None, []).insert(0, _compress)


def keep_uncompressed() -> None:
    """This response shows a secret of its own: never compress it, whoever asks."""
    g.keep_uncompressed = True


def _compress(response: Response) -> Response:
    static = request.endpoint == "static"
    if response.mimetype not in compress.compress_mimetypes_set:
        return response
    _vary(response, "Accept-Encoding" if static else "Accept-Encoding, Sec-Fetch-Site")
    if response.status_code != 200:
        return response
    if static:
        # Flask sends a file as a stream; read into memory (the largest is the CSS, 100 KB) it
        # takes Flask-Compress's path that keeps compressed bodies and sets Content-Length.
        g.static_etag = response.get_etag()[0]
        response.direct_passthrough = False
        response.make_sequence()
        return static_compress.after_request(response)
    if _page_may_be_compressed(response):
        return compress.after_request(response)
    return response


def _page_may_be_compressed(response: Response) -> bool:
    return (not response.is_streamed and not g.get("keep_uncompressed", False)
            and request.headers.get("Sec-Fetch-Site") in OWN_REQUESTS)


def _vary(response: Response, names: str) -> None:
    """One Vary header holding every name once (the security headers add `Cookie` as a header
    of its own; Flask-Compress would keep only the first)."""
    seen: dict[str, str] = {}
    for value in [*response.headers.getlist("Vary"), names]:
        for name in value.split(","):
            if name.strip():
                seen.setdefault(name.strip().lower(), name.strip())
    response.headers["Vary"] = ", ".join(seen.values())
