"""Certificates anyone can verify: the Open Badges 3.0 credential (JSON and signed VC-JWT), its
revocation status, the issuer's public keys; the holder's choice of name on the public check; a
coordinator revoking a certificate."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from portal.credentials import IssuerKeyMissingError, issuer_key, key_id, public_key_set
from portal.db import get_session
from portal.forms.certificates import RevokeCertificateForm
from portal.models import Certificate, User, utcnow
from portal.permissions import coordinator_required, public, refuse, sign_in_required
from portal.services import credentials, training
from portal.services.credentials import JWKS_PATH

bp = Blueprint("credentials", __name__)


@bp.errorhandler(IssuerKeyMissingError)
def issuer_key_missing(error: IssuerKeyMissingError) -> ResponseReturnValue:
    """A deployment without its issuer key (ISSUER_KEY_FILE) cannot sign: the signed credential
    and the key set are unavailable, said plainly, and the operator is told why in the log."""
    current_app.logger.error("Signed credentials are unavailable: %s", error)
    return render_template("errors/503.html"), 503


def _by_code(code: str) -> Certificate:
    found = get_session().scalar(select(Certificate).where(
        Certificate.code == training.normalise_certificate_code(code[:64])))
    if found is None:
        refuse(404, "no_such_certificate")
    return found


def _badge(certificate: Certificate) -> dict:
    return credentials.open_badge(get_session(), certificate,
                                  get_session().get(User, certificate.user_id))


@bp.route("/credentials/<code>")
@public
def credential(code: str) -> ResponseReturnValue:
    """The certificate as an OpenBadgeCredential (JSON); /jwt is the same, signed."""
    response = jsonify(_badge(_by_code(code)))
    response.mimetype = "application/vc+ld+json"
    return response


@bp.route("/credentials/<code>/jwt")
@public
def credential_jwt(code: str) -> ResponseReturnValue:
    token = credentials.signed(_badge(_by_code(code)), issuer_key(), key_id=key_id())
    return token, 200, {"Content-Type": "application/vc+jwt"}


@bp.route("/credentials/<code>/status")
@public
def credential_status(code: str) -> ResponseReturnValue:
    """Whether the credential is revoked, for verifiers (its credentialStatus)."""
    return jsonify(credentials.status_list(get_session(), _by_code(code), utcnow()))


@bp.route(JWKS_PATH)
@public
def jwks() -> ResponseReturnValue:
    """The issuer's public key set: all a verifier needs to check a signature offline."""
    return jsonify(public_key_set())


@bp.route("/training/certificates/<int:certificate_id>/name", methods=["POST"])
@sign_in_required
def name_shown(certificate_id: int) -> ResponseReturnValue:
    """The holder chooses whether the public check shows their full name or initials."""
    session = get_session()
    certificate = session.scalar(select(Certificate).where(
        Certificate.id == certificate_id, Certificate.user_id == current_user.id))
    if certificate is None:
        refuse(404, "not_own_certificate", target_type="certificate", target_id=certificate_id)
    choice = request.form.get("show_full_name")
    if choice not in ("yes", "no"):
        abort(400)
    credentials.show_full_name(certificate, choice == "yes")
    session.commit()
    flash("The check now shows your full name" if choice == "yes"
          else "The check now shows only your initials", "success")
    return redirect(url_for("training.certificate", certificate_id=certificate_id), code=303)


@bp.route("/coordinator/certificates/<code>/revoke", methods=["GET", "POST"])
@coordinator_required
def revoke(code: str) -> ResponseReturnValue:
    session = get_session()
    certificate = _by_code(code)
    form = RevokeCertificateForm()
    if certificate.revoked_at is None and form.validate_on_submit():
        credentials.revoke(session, certificate, form.reason.data, actor=current_user,
                           now=utcnow())
        session.commit()
        flash("Certificate revoked", "success")
        return redirect(url_for("training.verify_certificate", code=certificate.code), code=303)
    return render_template("credentials/revoke.html", form=form, certificate=certificate), \
        400 if form.errors else 200
