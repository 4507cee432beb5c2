"""Certificates anyone can verify (issue 23, acceptance 3): the Open Badges 3.0 credential
validates against the OB 3.0 context and schema (tests/fixtures/openbadges, see SOURCE.md), its
VC-JWT verifies with nothing but the published public key set, and a revoked or expired
certificate verifies as such; revocation takes a reason from a list and is audited; the public
check shows initials unless the holder chooses their full name."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet
from jsonschema import Draft201909Validator
from sqlalchemy import select

from portal.models import AuditEvent, Certificate, OrgRole, utcnow
from tests.conftest import csrf_token, visible_text
from tests.factories import make_certificate, make_course, make_member_organisation, make_user

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openbadges"
OB_CONTEXT = json.loads((FIXTURES / "context-3.0.3.json").read_text())["@context"]
SCHEMA = json.loads((FIXTURES / "ob_v3p0_achievementcredential.schema.json").read_text())
# 1EdTech's own generated schema for AchievementCredential (see SOURCE.md): the authority.
OFFICIAL_SCHEMA = json.loads(
    (FIXTURES / "ob_v3p0_achievementcredential-jsonschema1.json").read_text())
# Terms the W3C VC Data Model 2.0 context defines for a credential (its section 4), which the
# OB context builds on; everything else must be defined by the OB 3.0 context.
VC_TERMS = {"@context", "id", "type", "issuer", "validFrom", "validUntil", "credentialSubject",
            "credentialSchema", "credentialStatus", "name", "description"}
VC_TYPES = {"VerifiableCredential"}
# Types of credentialSchema / credentialStatus entries that OB 3.0 names (sections 9 and 10).
OB_STATUS_AND_SCHEMA_TYPES = {"1EdTechRevocationList", "1EdTechJsonSchemaValidator2019"}


@pytest.fixture
def holder(session):  # noqa: ANN001, ANN201
    organisation = make_member_organisation(session, name="Sefton Foods")
    return make_user(session, organisation=organisation, role=OrgRole.CHAMPION,
                     full_name="Łucja Nowak-Öztürk")


@pytest.fixture
def certificate(session, holder) -> Certificate:  # noqa: ANN001
    course = make_course(session, title="Champion essentials", requires_live_session=True)
    found = make_certificate(session, holder, course)
    session.commit()
    return found


def undefined_terms(node: object, scope: dict) -> list[str]:
    """Properties and types that neither the VC 2.0 core terms nor the OB context define,
    following the OB context's type-scoped contexts down the document."""
    problems: list[str] = []
    if isinstance(node, list):
        for item in node:
            problems += undefined_terms(item, scope)
        return problems
    if not isinstance(node, dict):
        return problems
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else types
    for name in types:
        if name not in OB_CONTEXT and name not in VC_TYPES | OB_STATUS_AND_SCHEMA_TYPES:
            problems.append(f"type {name}")
    local = dict(scope)
    for name in types:
        local.update(OB_CONTEXT.get(name, {}).get("@context", {}) if isinstance(
            OB_CONTEXT.get(name), dict) else {})
    for key, value in node.items():
        if key not in local and key not in OB_CONTEXT and key not in VC_TERMS:
            problems.append(key)
        if key not in ("@context", "type"):
            problems += undefined_terms(value, scope)
    return problems


def public_keys(client: FlaskClient) -> KeySet:
    published = client.get("/.well-known/jwks.json").get_json()
    for key in published["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "a private member is published"
    return KeySet.import_key_set(published)


def verify(client: FlaskClient, code: str, keys: KeySet) -> str:
    """What a verifier does with only the public key set: check the signature and claims, the
    validity period, then the credential's status list. Returns valid / expired / revoked."""
    token = client.get(f"/credentials/{code}/jwt").get_data(as_text=True)
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    claims = decoded.claims
    assert decoded.header["alg"] == "RS256" and decoded.header["kid"].startswith(
        "https://portal.test/.well-known/jwks.json#")
    assert claims["jti"] == claims["id"] and claims["iss"] == claims["issuer"]["id"]
    assert claims["sub"] == claims["credentialSubject"]["id"]
    now = utcnow().timestamp()
    if claims["nbf"] > now or ("exp" in claims and claims["exp"] <= now):
        return "expired"
    status = client.get(claims["credentialStatus"]["id"].removeprefix("https://portal.test"))
    revoked = [entry["id"] for entry in status.get_json()["revokedCredentials"]]
    return "revoked" if claims["id"] in revoked else "valid"


def test_the_credential_validates_against_the_ob3_context_and_schema(client, certificate) -> None:
    response = client.get(f"/credentials/{certificate.code.lower()}")
    assert response.status_code == 200 and response.mimetype == "application/vc+ld+json"
    badge = response.get_json()
    for schema in (OFFICIAL_SCHEMA, SCHEMA):
        errors = sorted(Draft201909Validator(schema, format_checker=Draft201909Validator
                                             .FORMAT_CHECKER).iter_errors(badge), key=str)
        assert errors == [], [e.message for e in errors]
    assert not Draft201909Validator(OFFICIAL_SCHEMA).is_valid(
        {k: v for k, v in badge.items() if k != "validFrom"})
    validator = Draft201909Validator(SCHEMA)
    for broken in ({**badge, "@context": list(reversed(badge["@context"]))},
                   {k: v for k, v in badge.items() if k != "validFrom"},
                   {**badge, "type": ["VerifiableCredential"]}):
        assert not validator.is_valid(broken)  # the schema is not a formality
    assert badge["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                 "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert undefined_terms(badge, {}) == []
    assert badge["validUntil"].endswith("Z") and badge["name"] == "Champion essentials"
    assert "live session" in badge["credentialSubject"]["achievement"]["criteria"]["narrative"]
    # The holder appears as initials only, and nothing else identifies them.
    text = json.dumps(badge, ensure_ascii=False)
    assert "Ł. N." in text and "Nowak" not in text and "@example.org" not in text


def test_the_signature_verifies_with_only_the_published_public_key(client, certificate) -> None:
    keys = public_keys(client)
    assert verify(client, certificate.code, keys) == "valid"
    token = client.get(f"/credentials/{certificate.code}/jwt").get_data(as_text=True)
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"),
                         signature])
    with pytest.raises((BadSignatureError, ValueError)):
        jwt.decode(tampered, keys, algorithms=["RS256"])


def test_expired_and_revoked_certificates_verify_as_such(session, signed_in, client,  # noqa: ANN001
                                                         holder, certificate) -> None:
    keys = public_keys(client)
    lapsed = make_certificate(session, holder, issued_at=utcnow() - timedelta(days=800))
    session.commit()
    assert verify(client, lapsed.code, keys) == "expired"

    coordinator = make_user(session, is_coordinator=True)
    staff = signed_in(coordinator)
    page = f"/coordinator/certificates/{certificate.code}/revoke"
    missing = staff.post(page, data={"csrf_token": csrf_token(staff, page)})
    assert missing.status_code == 400 and "Select a reason" in missing.get_data(as_text=True)
    invented = staff.post(page, data={"csrf_token": csrf_token(staff, page),
                                      "reason": "because"})
    assert invented.status_code == 400
    done = staff.post(page, data={"csrf_token": csrf_token(staff, page),
                                  "reason": "issued_in_error"})
    assert done.status_code == 303
    assert verify(client, certificate.code, keys) == "revoked"
    status = client.get(f"/credentials/{certificate.code}/status").get_json()
    assert status["revokedCredentials"][0]["revocationReason"] == "Issued in error"
    checked = visible_text(client.get(f"/verify/{certificate.code}").get_data(as_text=True))
    assert "This certificate has been revoked" in checked and "Issued in error" in checked
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoked"))
    assert (event.actor_id, event.target_id, event.details) == (
        coordinator.id, certificate.id, {"reason": "issued_in_error"})
    session.expire_all()
    assert session.get(Certificate, certificate.id).is_current_at(utcnow()) is False


def test_only_coordinators_revoke(signed_in, holder, certificate) -> None:
    champion = signed_in(holder)
    assert champion.get(f"/coordinator/certificates/{certificate.code}/revoke").status_code \
        == 404


def test_the_holder_chooses_their_full_name_on_the_check(signed_in, client, holder,  # noqa: ANN001
                                                         certificate) -> None:
    checked = visible_text(client.get(f"/verify/{certificate.code}").get_data(as_text=True))
    assert "Ł. N." in checked and "Nowak-Öztürk" not in checked and "Sefton Foods" in checked
    own = signed_in(holder)
    page = f"/training/certificates/{certificate.id}"
    response = own.post(f"{page}/name", data={"csrf_token": csrf_token(own, page),
                                               "show_full_name": "yes"})
    assert response.status_code == 303
    checked = visible_text(client.get(f"/verify/{certificate.code}").get_data(as_text=True))
    assert "Łucja Nowak-Öztürk" in checked
    assert client.get(f"/credentials/{certificate.code}").get_json()["credentialSubject"][
        "identifier"][0]["identityHash"] == "Łucja Nowak-Öztürk"


def test_without_its_issuer_key_the_portal_says_signing_is_unavailable(app, client, certificate,
                                                                       tmp_path) -> None:
    """Production never makes a key ad hoc (ISSUER_KEY_GENERATE is off): a deployment whose
    ISSUER_KEY_FILE is missing answers 503 with the service-unavailable page, never a 500, and
    the unsigned credential still answers."""
    app.config.update(ISSUER_KEY_FILE=tmp_path / "no-such-key.json", ISSUER_KEY_GENERATE=False)
    for path in (f"/credentials/{certificate.code}/jwt", "/.well-known/jwks.json"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "Sorry, the service is unavailable" in response.get_data(as_text=True)
    assert client.get(f"/credentials/{certificate.code}").status_code == 200
    assert not (tmp_path / "no-such-key.json").exists()
