"""Every access decision of the portal, in one place, made on the server for every request.

- submitter: the submissions of its own countries (seeing another's is a 404, as for one that does not exist;
  submitting for another country is a 403);
- statistician: published data and releases only: the feedback of published submissions, never of a rejected,
  pending or checked file;
- operator: everything.
"""

from __future__ import annotations

from django.http import Http404

from pipelines.ingest.archive import read_receipt
from pipelines.settings import paths
from pipelines.submissions import status_row, status_rows


def may_see(user, row: dict) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == "operator":
        return True
    if user.role == "submitter":
        return row["country"] in user.countries
    if user.role == "statistician":
        return row["state"] == "published"
    return False


def may_submit_for(user, country: str) -> bool:
    return user.is_authenticated and user.is_active and (
        user.role == "operator" or (user.role == "submitter" and country in user.countries))


def submitter_countries(user) -> list[str]:
    """The countries the user may submit for (an operator: every country)."""
    if user.role == "operator":
        from pipelines.reference import country_codes

        return sorted(country_codes())
    return list(user.countries) if user.role == "submitter" else []


def _rows(user, countries: list[str] | None = None) -> list[dict]:
    if not user.is_authenticated or not user.is_active:
        return []
    if user.role == "submitter":   # read only its own countries' files
        countries = [c for c in (countries or user.countries) if c in user.countries]
        if not countries:
            return []
    return [r for r in status_rows(paths(), countries) if may_see(user, r)]


def visible_submissions(user) -> list[dict]:
    """The submissions the user may see, newest first, as `mnr status --json` shows them."""
    return sorted(_rows(user), key=lambda r: (r["received_at"], r["submission_id"]), reverse=True)


def submission_for(user, submission_id: str) -> dict:
    """The submission if the user may see it; otherwise 404, exactly as for one that does not exist."""
    country = submission_id.split("-", 1)[0]
    if not (len(country) == 3 and country.isalpha() and country.isupper()) or "/" in submission_id \
            or submission_id.startswith(".") or ".." in submission_id:
        raise Http404("no such submission")
    # Only this submission's receipt and findings are read (a country's page is opened every few seconds while
    # its file is checked).
    receipt = read_receipt(paths().submission_dir(country, submission_id))
    if receipt is None or receipt.submission_id != submission_id:
        raise Http404("no such submission")
    row = status_row(paths(), receipt)
    if not may_see(user, row):
        raise Http404("no such submission")
    return row


def may_see_upload(user, upload) -> bool:
    """A portal upload (a check, or a submission being processed): its country's team and operators only."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.role == "operator" or (user.role == "submitter" and upload.country in user.countries)
