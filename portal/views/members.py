"""The public list of member organisations that chose to be listed (never people)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from portal.db import get_session
from portal.forms.base import search_text
from portal.forms.filters import page_number
from portal.permissions import public
from portal.services import member_list

bp = Blueprint("members", __name__)


@bp.route("/members")
@public
def index() -> ResponseReturnValue:
    search = search_text(request.args.get("search"))
    page = page_number(request.args.get("page"))
    results = member_list.listed_members(get_session(), search, page)
    return render_template("members/index.html", results=results, search=search)
