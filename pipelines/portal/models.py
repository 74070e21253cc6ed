"""The portal's own state: accounts, API tokens, uploads and the audit log (DESIGN.md section 10).

The submissions themselves stay where `mnr submit` puts them (the landing archive and feedback/ in MNR_HOME):
an upload row only says who sent which submission from the portal, and how its processing goes.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

ROLES = ("submitter", "statistician", "operator")
LANGUAGES = ("en", "fr", "es", "pt", "ar")


class User(AbstractUser):
    """An account, signed in with its e-mail address (kept as the username, lower-cased)."""

    role = models.CharField(max_length=16, choices=[(r, r) for r in ROLES])
    # ISO3 codes a submitter may see and submit for (empty for the other roles).
    countries = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=2, choices=[(c, c) for c in LANGUAGES], default="en")

    objects = UserManager()

    def may_see_country(self, country: str) -> bool:
        return self.role == "operator" or (self.role == "submitter" and country in self.countries)

    def may_submit_for(self, country: str) -> bool:
        return self.role == "operator" or (self.role == "submitter" and country in self.countries)


class ApiToken(models.Model):
    """A bearer token for the JSON API: shown once when issued; only its SHA-256 is kept (32 random bytes need
    no slow hash: there is nothing to guess)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True)

    PREFIX = "mnr_"

    @classmethod
    def issue(cls, user: User) -> str:
        token = cls.PREFIX + secrets.token_urlsafe(32)
        cls.objects.create(user=user, digest=cls.digest_of(token), prefix=token[len(cls.PREFIX):][:8])
        return token

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Upload(models.Model):
    """A file sent through the portal and its processing: queued -> running -> done (or failed)."""

    STATES = ("queued", "running", "done", "failed")
    submission_id = models.CharField(max_length=40, db_index=True)
    country = models.CharField(max_length=3)
    file_name = models.CharField(max_length=255)
    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="uploads")
    # A check: every rule runs on a copy of the warehouse and nothing is published (pipelines/portal/worker.py).
    check_only = models.BooleanField(default=False)
    check_home = models.CharField(max_length=500, blank=True, default="")   # the check's own MNR_HOME
    language = models.CharField(max_length=2, default="en")
    state = models.CharField(max_length=8, default="queued", db_index=True)
    step = models.CharField(max_length=200, blank=True, default="")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)
    notified_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Acknowledgement(models.Model):
    """A warning confirmed from the portal with a comment (as a comment on the row in a later file would)."""

    submission_id = models.CharField(max_length=40, db_index=True)
    # The finding's position in the findings document and its identity, so that a stale form cannot
    # acknowledge another finding.
    finding_index = models.PositiveIntegerField()
    rule_id = models.CharField(max_length=64)
    comment = models.TextField()
    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission_id", "finding_index"], name="one_ack_per_finding")]


class AuditEvent(models.Model):
    """Who did what, when, from where: sign-ins (and refusals), uploads, downloads and account changes."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=254, db_index=True)   # the e-mail given (kept if the account goes)
    action = models.CharField(max_length=32, db_index=True)
    subject = models.CharField(max_length=255, blank=True, default="")
    ip = models.GenericIPAddressField(null=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
