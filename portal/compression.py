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
  is not in COMPRESS_MIMETYPES, and no streamed response but a static file is compressed);
  PDFs, ZIPs and PNGs are compressed already and are not in the list either.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from portal.extensions import compress

# Where a request came from (Fetch Metadata): from our own pages, or typed / bookmarked by the
# person. "same-site" is not enough: another host of the same site may be someone else's.
OWN_REQUESTS = frozenset({"same-origin", "none"})


def register_compression(app: Flask) -> None:
    """COMPRESS_REGISTER is off (config.py), so Flask-Compress decides nothing by itself: this
    hook asks it only for responses the rule allows, and runs after every other hook."""
    compress.init_app(app)
    app.after_request_funcs.setdefault(None, []).insert(0, _compress)


def keep_uncompressed() -> None:
    """This response shows a secret of its own: never compress it, whoever asks."""
    g.keep_uncompressed = True


def _compress(response: Response) -> Response:
    static = request.endpoint == "static"
    if response.mimetype not in compress.compress_mimetypes_set:
        return response
    _vary(response, "Accept-Encoding" if static else "Accept-Encoding, Sec-Fetch-Site")
    if response.status_code != 200 or not (static or _page_may_be_compressed(response)):
        return response
    body = response.response
    compressed = compress.after_request(response)
    if compressed.response is not body and hasattr(body, "close"):
        # A static file is compressed as it streams: the file still closes with the response.
        compressed.call_on_close(body.close)
    return compressed


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

