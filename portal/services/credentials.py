"""Certificates anyone can verify: revocation (a reason from a list, audited), the holder's
choice of name on the public check, and the certificate as an Open Badges 3.0 credential signed
as a VC-JWT (OB 3.0 section 8.2: RS256, `kid` pointing into the published key set)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy.orm import Session

from portal.models import Certificate, CertificateStatus, User
from portal.models.training import REVOCATION_REASONS
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.settings import settings_of

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
             "ob_v3p0_achievementcredential_schema.json")
JWKS_PATH = "/.well-known/jwks.json"


class AlreadyRevokedError(PortalError):
    """The certificate was revoked before."""


def revoke(session: Session, certificate: Certificate, reason: str, *, actor: User,
           now: datetime) -> None:
    """Revoke for a reason from REVOCATION_REASONS; kept in the holder's history, audited."""
    if reason not in REVOCATION_REASONS:
        raise ValueError(f"unknown revocation reason {reason!r}")
    if certificate.revoked_at is not None:
        raise AlreadyRevokedError
    certificate.revoked_at, certificate.revoked_reason = now, reason
    certificate.revoked_by_id = actor.id
    record_event(session, "certificate.revoked", actor=actor, target=certificate,
                 details={"reason": reason})


def show_full_name(certificate: Certificate, choice: bool) -> None:
    """The holder's choice: their full name on the public check, or only initials."""
    certificate.show_full_name = choice


def holder_name(full_name: str, *, show_full_name: bool) -> str:
    """How the public check and the credential show the holder: initials ("Ł. N."), or the full
    name if the holder chose to show it."""
    if show_full_name:
        return full_name
    return " ".join(f"{part[0]}." for part in full_name.split())


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def credential_id(base_url: str, certificate: Certificate) -> str:
    return f"{base_url}/credentials/{certificate.code}"


def open_badge(session: Session, certificate: Certificate, holder: User) -> dict[str, Any]:
    """The certificate as an OpenBadgeCredential (OB 3.0, VC Data Model 2.0)."""
    settings = settings_of(session)
    base, course = settings.base_url, certificate.course
    own_id = credential_id(base, certificate)
    criteria = "Passed every module of the course"
    if course.requires_live_session:
        criteria += " and attended a live session with a trainer"
    badge: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": own_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": course.title,
        "issuer": {"id": base, "type": ["Profile"], "name": settings.scheme_name, "url": base},
        "validFrom": _iso(certificate.issued_at),
        "awardedDate": _iso(certificate.issued_at),
        "credentialSubject": {
            # A pseudonym for the holder in this credential alone: no e-mail address, no account.
            "id": uuid.uuid5(uuid.NAMESPACE_URL, own_id).urn,
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": holder_name(
                                holder.full_name, show_full_name=certificate.show_full_name)}],
            "achievement": {
                "id": f"{base}/achievements/{course.key}",
                "type": ["Achievement"],
                "name": course.title,
                "description": f"Training of {settings.scheme_name}",
                "criteria": {"narrative": criteria},
            },
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "credentialStatus": {"id": f"{own_id}/status", "type": "1EdTechRevocationList"},
    }
    if certificate.expires_at is not None:
        badge["validUntil"] = _iso(certificate.expires_at)
    return badge


def signed(badge: dict[str, Any], key: RSAKey, *, key_id: str) -> str:
    """The credential as a Compact JWS: the JWT claims of OB 3.0 section 8.2 beside it."""
    claims = {**badge, "iss": badge["issuer"]["id"], "jti": badge["id"],
              "sub": badge["credentialSubject"]["id"],
              "nbf": _timestamp(badge["validFrom"])}
    if "validUntil" in badge:
        claims["exp"] = _timestamp(badge["validUntil"])
    return jwt.encode({"alg": "RS256", "kid": key_id, "typ": "JWT"}, claims, key)


def _timestamp(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def status_list(session: Session, certificate: Certificate, now: datetime) -> dict[str, Any]:
    """The 1EdTech revocation list for this one credential: whether it is revoked, and why."""
    entry: dict[str, Any] = {"id": credential_id(settings_of(session).base_url, certificate),
                             "revoked": certificate.status_at(now) is CertificateStatus.REVOKED}
    if certificate.revoked_reason:
        entry["revocationReason"] = REVOCATION_REASONS[certificate.revoked_reason]
    return {"id": f"{entry['id']}/status", "revokedCredentials": [entry] if entry["revoked"]
            else [], "checked": _iso(now), "status": str(certificate.status_at(now))}
