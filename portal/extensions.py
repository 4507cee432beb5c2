"""Extension instances, created once and bound to the app in create_app."""

from flask import request
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

compress = Compress()  # used by portal/compression.py alone
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are declared on the views; storage comes from RATELIMIT_STORAGE_URI at init time.
limiter = Limiter(key_func=get_remote_address)

# Every limit the portal declares is on a form POST, or on one of the downloads that read whole
# tables or lay out a PDF (tests/test_app.py checks), so reading any other page skips the
# limiter's work for the request, which cost measurably on every page view.
LIMITED_METHODS = frozenset({"POST"})
LIMITED_DOWNLOADS = frozenset({"monitoring.export_figures", "monitoring.export_organisations",
                               "monitoring.export_champions", "training.certificate_download",
                               "signposting.card_download", "monitoring.report_pdf"})


@limiter.request_filter
def _not_limited() -> bool:
    return request.method not in LIMITED_METHODS and request.endpoint not in LIMITED_DOWNLOADS
