"""Structured logs: one JSON object per line, with the request id, and no personal data."""

from __future__ import annotations

import json
import logging
import re

from flask import Flask, g, has_request_context

QUERY = re.compile(r"(\S*?)\?\S*")
# A certificate's own page (/verify/<code>, where its QR code leads) carries its code in the path.
CERTIFICATE_CODE = re.compile(r"(/verify/)[^\s/?]+")
# A staff awareness pulse's public link: its secret part, and nothing that could line up the
# time of an answer with the link it went to.
PULSE_LINK = re.compile(r"(/pulse/)[^\s/?]+")
STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class JsonFormatter(logging.Formatter):
    """Newlines in values are escaped by JSON, so a crafted name cannot forge a log line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                 "level": record.levelname, "logger": record.name,
                 "event": record.getMessage()}
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        entry.update({k: v for k, v in vars(record).items() if k not in STANDARD_ATTRS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class DropQueryStrings(logging.Filter):
    """Request lines are logged without their query string: searches (for example in the
    support directory) can say what someone is looking for, and nothing may record that. Nor
    certificate codes, which /verify takes in the query and a certificate's own page in the path,
    nor the secret part of a staff awareness pulse's link."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(_without_secrets(a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def _without_secrets(text: str) -> str:
    return PULSE_LINK.sub(r"\1…", CERTIFICATE_CODE.sub(r"\1…", QUERY.sub(r"\1", text)))


def configure_logging(app: Flask) -> None:
    # Also in tests: the browser tests' live server logs request lines through werkzeug.
    logging.getLogger("werkzeug").addFilter(DropQueryStrings())
    if app.config.get("TESTING"):
        return  # pytest captures records itself
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
