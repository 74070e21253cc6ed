"""The notice that a file's feedback is ready, by e-mail through the SMTP server of the deployment.

MNR_SMTP_HOST (unset: no e-mail), MNR_SMTP_PORT (25), MNR_SMTP_USER / MNR_SMTP_PASSWORD, MNR_SMTP_STARTTLS=1
or MNR_SMTP_SSL=1, MNR_MAIL_FROM (the sender), MNR_PORTAL_ORIGIN (the portal's address in the link). The
message names the file, its verdict and the link to its page; the findings themselves stay behind sign-in.
"""

from __future__ import annotations

import logging
import os

from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from pipelines.feedback import i18n

log = logging.getLogger("mnr.portal")


def configured() -> bool:
    return bool(os.environ.get("MNR_SMTP_HOST", "").strip())


def feedback_ready(upload) -> bool:
    """E-mail the upload's sender that its feedback is ready; True if sent."""
    if not configured() or upload.user is None or not upload.user.email or upload.notified_at is not None:
        return False
    from pipelines.portal import feedback
    from pipelines.settings import paths

    if upload.check_only:
        doc, page = feedback.check_document(upload), reverse("check", args=[upload.pk])
    else:
        row = {"country": upload.country}
        doc, page = feedback.document(paths(), row, upload.submission_id), reverse("submission",
                                                                                  args=[upload.submission_id])
    if doc is None:
        return False
    t = i18n.translator(upload.language if upload.language in i18n.LANGUAGES else "en")
    origin = os.environ.get("MNR_PORTAL_ORIGIN", "").rstrip("/")
    subject = t("mail.subject", file_name=upload.file_name, verdict=t(f"verdict.{doc['verdict']}"))
    body = t("mail.body", file_name=upload.file_name, country=upload.country, verdict=t(f"verdict.{doc['verdict']}"),
             errors=doc["counts"]["error"], warnings=doc["counts"]["warning"], link=f"{origin}{page}")
    try:
        send_mail(subject, body, None, [upload.user.email])
    except Exception as e:  # a mail server that is down never fails the run; it is logged for the operator
        log.warning("could not send the feedback notice for %s to %s: %s", upload.submission_id,
                    upload.user.email, e)
        return False
    type(upload).objects.filter(pk=upload.pk).update(notified_at=timezone.now())
    return True
