"""Extension instances, created once and bound to the app in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are declared on the views; storage comes from RATELIMIT_STORAGE_URI at init time.
limiter = Limiter(key_func=get_remote_address)
