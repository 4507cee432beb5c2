"""Walking through /join in tests: each step posts what a browser would, CSRF token included."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import OutboxMessage
from tests.conftest import csrf_token

ACCOUNT = {"full_name": "Hana Applicant", "email": "Hana.Applicant@Example.org",
           "password": "a long and unusual passphrase"}
ORGANISATION = {"name": "Birkenhead Bicycles Ltd", "registered_number": "",
                "sector": "private", "listed_publicly": "yes"}
SITE = {"name": "Workshop", "borough": "wirral", "headcount": "42"}
COMMITMENT = {"signatory_name": "Sam Director", "signatory_job_title": "Managing director",
              "agree": "y"}


def post_step(client: FlaskClient, path: str, data: dict):  # noqa: ANN201 - a test response
    token_page = path.split("?")[0]
    token_page = "/join/sites/add" if "/remove" in token_page else token_page
    return client.post(path, data={"csrf_token": csrf_token(client, token_page), **data})


def fill_in_application(client: FlaskClient, *, account: dict | None = ACCOUNT,
                        organisation: dict | None = None, site: dict | None = None,
                        commitment: dict | None = None) -> None:
    if account is not None:
        assert post_step(client, "/join/account", account).status_code == 303
    assert post_step(client, "/join/organisation",
                     organisation or ORGANISATION).status_code == 303
    assert post_step(client, "/join/sites/add", site or SITE).status_code == 303
    assert post_step(client, "/join/commitment", commitment or COMMITMENT).status_code == 303


def apply(client: FlaskClient, **answers: dict | None):  # noqa: ANN201 - a test response
    fill_in_application(client, **answers)
    return post_step(client, "/join/check-answers", {})


def confirmation_link(session: Session, email: str) -> str:
    session.expire_all()
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == email)
                              .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"https://portal\.test(/confirm-email/\S+)", message.body_text).group(1)
