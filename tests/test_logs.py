"""What request lines keep in the logs (portal/logs.py): no searches, no certificate codes."""

from __future__ import annotations

import logging

from portal.logs import DropQueryStrings


def logged(request_line: str) -> str:
    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, '"%s" %s %s',
                               (request_line, "200", "-"), None)
    DropQueryStrings().filter(record)
    return record.getMessage()


def test_request_lines_lose_searches_and_certificate_codes() -> None:
    assert logged("GET /support?q=refuge+near+me HTTP/1.1") == '"GET /support HTTP/1.1" 200 -'
    assert logged("GET /verify?code=ABCD2345EFGH HTTP/1.1") == '"GET /verify HTTP/1.1" 200 -'
    assert logged("GET /verify/ABCD2345EFGH HTTP/1.1") == '"GET /verify/… HTTP/1.1" 200 -'
    assert logged("GET /verify/ABCD2345EFGH?x=1 HTTP/1.1") == '"GET /verify/… HTTP/1.1" 200 -'
    assert logged("GET /training/certificates/3 HTTP/1.1") == \
        '"GET /training/certificates/3 HTTP/1.1" 200 -'


def test_request_lines_lose_the_secret_part_of_pulse_links() -> None:
    assert logged("POST /pulse/jB-7vVH9WFqtHAZOGf_b7P0oijksQQ13pkGgrd1X_AU HTTP/1.1") == \
        '"POST /pulse/… HTTP/1.1" 200 -'
    assert logged("GET /pulse/jB-7vVH9WFqtHAZOGf_b7P0/thank-you HTTP/1.1") == \
        '"GET /pulse/…/thank-you HTTP/1.1" 200 -'
