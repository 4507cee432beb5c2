"""Scheme coordinators: the uptake dashboard and the CSV exports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from portal import clock, documents
from portal.caching import BoundedCache
from portal.db import get_session
from portal.extensions import limiter
from portal.forms.filters import parse_filters, parse_search
from portal.forms.workbench import SubscriptionForm
from portal.models import Borough, SchemeStatus, Sector, Tier, utcnow
from portal.permissions import coordinator_required, recent_authentication_required
from portal.services import (
    assessment_figures,
    board_report,
    exports,
    monitoring,
    monitoring_filters,
)
from portal.services.audit import record_event
from portal.services.monitoring import Dashboard
from portal.services.monitoring_filters import SizeBand
from portal.services.organisation_search import SORT_LABELS
from portal.services.pulse import MINIMUM_RESPONDENTS
from portal.views.charts import Chart, bar_chart, column_chart
from portal.views.helpers import attachment

bp = Blueprint("monitoring", __name__, url_prefix="/coordinator")


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """Options for the filter form's selects, shared by the dashboard, list and exports."""
    return {
        "borough": [(b.value, b.label) for b in Borough],
        "sector": [(s.value, s.label) for s in Sector],
        "size": [(b.value, b.label) for b in SizeBand],
        "tier": [(t.value, t.label) for t in Tier],
        "status": [(s.value, s.label) for s in SchemeStatus],
        "sort": [(s.value, label) for s, label in SORT_LABELS.items()],
    }


@bp.route("/self-assessment")
@coordinator_required
def self_assessment() -> ResponseReturnValue:
    """Counts of organisations only: no member's own answers, scores or pulse results."""
    choices = {b.value: b for b in assessment_figures.Breakdown}
    breakdown = choices.get(request.args.get("by", ""), assessment_figures.Breakdown.SECTOR)
    return render_template(
        "monitoring/self_assessment.html", by=breakdown, breakdowns=assessment_figures.Breakdown,
        figures=assessment_figures.figures(get_session(), by=breakdown, now=utcnow()),
        bands=[label for label, _lowest in assessment_figures.BANDS]
        + [assessment_figures.NOT_APPLICABLE_BAND], minimum=MINIMUM_RESPONDENTS)


@bp.route("/dashboard")
@coordinator_required
def dashboard() -> ResponseReturnValue:
    parsed = parse_filters(request.args)
    figures, worked_out_at = recent_figures(parsed.filters)
    return render_template("monitoring/dashboard.html", figures=figures, parsed=parsed,
                           form=parsed, charts=dashboard_charts(figures), choices=filter_choices(),
                           args=parsed.filters.query_args(), worked_out_at=worked_out_at,
                           coverage_target=f"{current_app.config['COVERAGE_TARGET_PER_100_STAFF']:g}")


FIGURES_KEPT = 128  # filter combinations per process; more and the oldest go


def recent_figures(filters: monitoring_filters.Filters) -> tuple[Dashboard, datetime]:
    """The dashboard's figures for these filters and when they were worked out: kept in this
    process for DASHBOARD_CACHE_SECONDS (0: worked out on every view).

    Working them out reads every current champion in the region (about 650 ms at national
    scale). They are counts with small numbers already suppressed and nothing about any one
    person, and only coordinators see them, so the same figures can serve every coordinator
    for a minute; the page says when they were worked out.
    """
    seconds = current_app.config["DASHBOARD_CACHE_SECONDS"]
    now = utcnow()
    kept: BoundedCache[tuple, tuple[Dashboard, datetime]] = current_app.extensions.setdefault(
        "portal.dashboard_figures", BoundedCache(FIGURES_KEPT))
    key = tuple(sorted(filters.query_args().items()))
    found = kept.get(key)
    if found is not None and now - found[1] < timedelta(seconds=seconds):
        return found
    found = (monitoring.dashboard(get_session(), filters, now), now)
    if seconds > 0:
        kept.put(key, found)
    return found


def dashboard_charts(figures: Dashboard) -> dict[str, Chart]:
    headline = figures.headline
    charts = {
        "status": bar_chart("Organisations by status",
                            [(status.label, n) for status, n in headline.by_status]),
        "tier": bar_chart("Member organisations by tier", headline.by_tier),
        "funnel": bar_chart("Organisations reaching each step",
                            [(step.label, step.organisations) for step in figures.funnel]),
        "completions": column_chart(
            "Champions completing training per month",
            [(m.label[:3], _sublabel(m), m.completions) for m in figures.months]),
        "members": column_chart(
            "New member organisations per month",
            [(m.label[:3], _sublabel(m), m.new_members) for m in figures.months]),
        "adoption": bar_chart("Member organisations with each policy element in place",
                              [(a.title, a.in_place_percent) for a in figures.adoption],
                              unit="%", wide=True),
    }
    for breakdown in figures.breakdowns:
        charts[breakdown.key] = bar_chart(f"Champions {breakdown.title.lower()}",
                                          [(row.label, row.champions) for row in breakdown.rows],
                                          wide=True)
    return charts


def _sublabel(month: monitoring.Month) -> str:
    """Under a month's column: its year, or "so far" for the month not yet over."""
    return "so far" if month.partial else month.label[-4:]


@bp.route("/exports")
@coordinator_required
def exports_page() -> ResponseReturnValue:
    search, parsed = parse_search(request.args)
    return render_template("monitoring/exports.html", search=search, parsed=parsed,
                           form=parsed, choices=filter_choices(), args=search.query_args())


def _export_key() -> str:
    return f"export:{current_user.id}"


def _download(chunks: Callable[[Session], Iterator[str]], what: str) -> Response:
    """A streamed CSV download: neutral name, never cached, never run as a page.

    Flask tears the request down when the view returns, before the body is sent, so the rows
    are read with a session opened inside the stream, which closes when the stream ends (or
    the client goes away).
    """
    def generate() -> Iterator[str]:
        yield from chunks(get_session())

    name = exports.filename(current_app.config["SCHEME_NAME"], what, clock.today())
    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _audit_export(action: str, details: dict) -> None:
    session = get_session()
    record_event(session, action, actor=current_user, request_id=g.request_id,
                 details=details)
    session.commit()


@bp.route("/exports/figures.csv")
@coordinator_required
@limiter.limit(lambda: current_app.config["EXPORT_LIMIT_PER_ACCOUNT"], key_func=_export_key,
               scope="exports")
def export_figures() -> ResponseReturnValue:
    parsed = parse_filters(request.args)
    now = utcnow()
    figures = monitoring.dashboard(get_session(), parsed.filters, now)
    _audit_export("export.figures", {"filters": parsed.filters.query_args()})
    return _download(lambda _: exports.figures_csv(figures, now), "figures")


@bp.route("/exports/organisations.csv")
@coordinator_required
@limiter.limit(lambda: current_app.config["EXPORT_LIMIT_PER_ACCOUNT"], key_func=_export_key,
               scope="exports")
def export_organisations() -> ResponseReturnValue:
    search, _ = parse_search(request.args)
    _audit_export("export.organisations", {"filters": search.query_args()})
    return _download(lambda session: exports.organisations_csv(session, search),
                     "organisations")


@bp.route("/exports/champions.csv")
@coordinator_required
@recent_authentication_required(return_to="monitoring.exports_page")
@limiter.limit(lambda: current_app.config["EXPORT_LIMIT_PER_ACCOUNT"], key_func=_export_key,
               scope="exports")
def export_champions() -> ResponseReturnValue:
    """People's names, e-mail addresses and training: password again, and audited (LOG-06)."""
    search, _ = parse_search(request.args)
    _audit_export("export.champions", {"filters": search.query_args()})
    now = utcnow()
    return _download(lambda session: exports.champions_csv(session, search, now), "champions")


# --- The board report -------------------------------------------------------------------------

def _report() -> tuple[board_report.BoardReport | None, dict]:
    """The report the request asks for (period and the dashboard's filters, dates aside)."""
    today = clock.today()
    parsed = parse_filters(request.args)
    raw = request.args.get("period")
    period = board_report.parse_period(raw, today) if raw else \
        board_report.last_complete_quarter(today)
    filters = parsed.filters
    context = {"choices": board_report.period_choices(today), "period_error": period is None,
               "subscribed": board_report.is_subscribed(get_session(), current_user),
               "filters": filters, "args": {k: v for k, v in filters.query_args().items()
                                            if not k.startswith(("from-", "to-"))}}
    if period is None:
        return None, context
    found = board_report.board_report(get_session(), period, filters, utcnow())
    context["charts"] = {"funnel": bar_chart(
        "Organisations reaching each step",
        [(step.label, step.organisations) for step in found.current.funnel])}
    return found, context


@bp.route("/report")
@coordinator_required
def report() -> ResponseReturnValue:
    """The board report for a quarter or a year, with its comparisons; printable."""
    found, context = _report()
    return render_template("monitoring/report.html", report=found, **context), \
        200 if found is not None else 400


@bp.route("/report.pdf")
@coordinator_required
@documents.rate_limited
def report_pdf() -> ResponseReturnValue:
    """The same report as a tagged PDF, from the same template."""
    found, context = _report()
    if found is None:
        return render_template("monitoring/report.html", report=None, **context), 400
    pdf = documents.render_pdf("monitoring/report.html", report=found, **context)
    return attachment(pdf.data, "board-report.pdf", "application/pdf")


@bp.route("/report/monthly-email", methods=["POST"])
@coordinator_required
def report_subscription() -> ResponseReturnValue:
    """Start or stop the monthly e-mail with a link to the report (never its figures)."""
    form = SubscriptionForm()
    if form.validate_on_submit():
        session = get_session()
        if form.action.data == "start":
            board_report.subscribe(session, current_user, request_id=g.request_id)
            flash("We will email you a link to the board report each month.", "success")
        else:
            board_report.unsubscribe(session, current_user, request_id=g.request_id)
            flash("We will not email you the board report’s link any more.", "success")
        session.commit()
    return redirect(url_for(".report"), code=303)
