"""Certificates: what the certificate page and its PDF (one template, training/certificate.html)
show, and what the public check shows of the holder."""

from __future__ import annotations

from flask import current_app, url_for

from portal.documents import render_pdf
from portal.models import Certificate, User, utcnow
from portal.services.two_factor import qr_code


def employers(holder: User) -> list[str]:
    """The organisations the holder currently belongs to, by name, as the certificate names them."""
    return sorted({m.organisation.name for m in holder.memberships if m.is_current})


def verification_url(certificate: Certificate) -> str:
    """The certificate's own public page, which its QR code opens."""
    base_url = current_app.config["BASE_URL"].rstrip("/")
    return base_url + url_for("training.verify_certificate", code=certificate.code)


def certificate_context(certificate: Certificate, holder: User) -> dict[str, object]:
    address = verification_url(certificate)
    now = utcnow()
    return {"certificate": certificate, "holder": holder, "employers": employers(holder),
            "verification_url": address, "qr": qr_code(address), "now": now,
            "status": certificate.status_at(now)}


def certificate_pdf(certificate: Certificate, holder: User) -> bytes:
    return render_pdf("training/certificate.html",
                      **certificate_context(certificate, holder)).data
