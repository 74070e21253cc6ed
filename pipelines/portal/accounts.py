"""`mnr users add/token/list/disable` (DESIGN.md section 10): the portal's accounts, from the operator's shell."""

from __future__ import annotations

import getpass
import os

from pipelines.feedback.i18n import LANGUAGES


class AccountError(ValueError):
    """Bad usage (exit 2): says what is wrong and what to do."""


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:   # no user name for this uid (a container): the uid says who
        return f"cli:uid {os.getuid()}"


def _audit(action: str, subject: str, **detail) -> None:
    from pipelines.portal.models import AuditEvent

    AuditEvent.objects.create(actor=_cli_actor(), action=action, subject=subject, detail=detail)


def _email(value: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError(f"{value!r} is not an e-mail address: accounts sign in with their e-mail") from None
    return email


def add(email: str, role: str, countries: list[str], password: str, language: str = "en") -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from pipelines.ingest.archive import SubmissionRefused, normalise_country
    from pipelines.portal.models import ROLES, User

    email = _email(email)
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    try:
        codes = sorted({normalise_country(c) for c in countries})
    except SubmissionRefused as e:
        raise AccountError(str(e)) from e
    if role == "submitter" and not codes:
        raise AccountError("a submitter sends files for its countries: give at least one --country ISO3")
    if role != "submitter" and codes:
        raise AccountError(f"--country is for submitters only (a {role} is not tied to countries)")
    if language not in LANGUAGES:
        raise AccountError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    if User.objects.filter(username=email).exists():
        raise AccountError(f"{email} already has an account (mnr users list shows it)")
    user = User(username=email, email=email, role=role, countries=codes, language=language)
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise AccountError("the password is refused: " + " ".join(e.messages)) from None
    user.set_password(password)
    user.save()
    _audit("account_added", email, role=role, countries=codes, language=language)


def token(email: str) -> str:
    from pipelines.portal.models import ApiToken, User

    user = User.objects.filter(username=_email(email)).first()
    if user is None:
        raise AccountError(f"no account {email!r}: add it first with mnr users add")
    if not user.is_active:
        raise AccountError(f"{user.username} is disabled: a disabled account gets no token")
    value = ApiToken.issue(user)
    _audit("token_issued", user.username)
    return value


def listing() -> list[dict]:
    from pipelines.portal.models import User

    return [{"email": u.username, "role": u.role, "countries": u.countries, "language": u.language,
             "active": u.is_active, "tokens": u.tokens.count(),
             "last_sign_in": u.last_login.isoformat() if u.last_login else None}
            for u in User.objects.order_by("username")]


def disable(email: str) -> None:
    """The account can no longer sign in; its sessions and tokens stop working at their next request."""
    from django.contrib.sessions.models import Session

    from pipelines.portal.models import User

    user = User.objects.filter(username=_email(email)).first()
    if user is None:
        raise AccountError(f"no account {email!r}")
    user.is_active = False
    user.save(update_fields=["is_active"])
    user.tokens.all().delete()
    for s in Session.objects.all():   # signed-in browsers are signed out now, not when their session ends
        if str(s.get_decoded().get("_auth_user_id")) == str(user.pk):
            s.delete()
    _audit("account_disabled", user.username)
