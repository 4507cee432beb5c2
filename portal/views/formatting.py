"""Jinja filters for dates and ages, in GOV.UK style ("21 November 2026")."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask

from portal import clock

UK = clock.LONDON


def govuk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return f"{value.day} {value:%B %Y}"


def govuk_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{govuk_date(value)} at {govuk_time(value)}"


def govuk_time(value: datetime | None) -> str:
    """The UK time of day, GOV.UK style: "9:30am", "4:00pm"."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def days(count: int) -> str:
    if count == 0:
        return "Less than a day"
    return f"{count} day" if count == 1 else f"{count} days"


def period(value: timedelta) -> str:
    """A retention period in words: "24 hours", "30 days", "12 months"."""
    if value < timedelta(days=1):
        hours = round(value / timedelta(hours=1))
        return f"{hours} hour" if hours == 1 else f"{hours} hours"
    if value.days % 365 == 0:
        return f"{value.days // 365 * 12} months"
    return days(value.days)


def period_minutes(value: timedelta) -> str:
    """A short time in minutes: "30 minutes"."""
    minutes = round(value / timedelta(minutes=1))
    return "1 minute" if minutes == 1 else f"{minutes:,} minutes"


def number(value: int) -> str:
    """A count with thousands separators, as GOV.UK writes them: "12,500"."""
    return f"{value:,}"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(govuk_date=govuk_date, govuk_datetime=govuk_datetime,
                                 govuk_time=govuk_time, days=days, period=period,
                                 period_minutes=period_minutes, number=number)
