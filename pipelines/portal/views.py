"""The portal's pages (HTML, usable without JavaScript) and its JSON API (DESIGN.md section 10).

Every view that shows or changes anything starts from the signed-in user and pipelines/portal/access.py; a
submission the user may not see is a 404 exactly like one that does not exist.
"""

from __future__ import annotations

import shutil
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import (FileResponse, Http404, HttpResponse, HttpResponseForbidden, HttpResponseRedirect,
                         JsonResponse)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pipelines.ingest.archive import SubmissionRefused, normalise_country
from pipelines.portal import access, feedback, uploads
from pipelines.portal.auth import audit, client_ip, sign_in_blocked
from pipelines.portal.models import Acknowledgement, Upload
from pipelines.settings import paths
from pipelines.submissions import is_pending


def healthz(request):
    """For load balancers and the tests: answers once the server serves requests."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------------------------------------- guards
def signed_in(view):
    """Pages: a visitor without a session is sent to sign in (and back here afterwards)."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('signin')}?next={request.path}")
        return view(request, *args, **kwargs)
    return wrapper


def api(view):
    """The JSON API: 401 without a session or token; 404s as JSON."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "sign in or send Authorization: Bearer TOKEN"}, status=401)
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return JsonResponse({"error": "no such submission"}, status=404)
    return wrapper


# ---------------------------------------------------------------------------------------------- sign in / out
@require_http_methods(["GET", "POST"])
def signin(request):
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: never an absolute URL, a scheme-relative //host or a backslash trick.
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts=None, require_https=False) or not nxt.startswith("/"):
        nxt = reverse("home")
    error, status = "", 200
    if request.method == "POST":
        email = (request.POST.get("email") or "").strip().lower()
        password = request.POST.get("password") or ""
        if sign_in_blocked(email, client_ip(request)):
            audit(request, "sign_in_blocked", actor=email)
            error, status = ("Too many failed sign-ins: wait 15 minutes and try again, or ask an operator "
                             "to check your account."), 429
        else:
            user = authenticate(request, username=email, password=password)
            if user is None:
                audit(request, "sign_in_refused", actor=email)
                error, status = "The e-mail address or the password is not right.", 401
            else:
                login(request, user)   # a new session id: a session fixed before sign-in is worthless
                audit(request, "sign_in", actor=email)
                return HttpResponseRedirect(nxt)
    return render(request, "portal/signin.html", {"error": error, "next": nxt}, status=status)


@require_POST
def signout(request):
    if request.user.is_authenticated:
        audit(request, "sign_out")
    logout(request)
    return redirect("signin")


# ---------------------------------------------------------------------------------------------- pages
@require_GET
def home(request):
    if not request.user.is_authenticated:
        return redirect("signin")
    return _home(request)


def _home(request):
    rows = access.visible_submissions(request.user)
    checks = [u for u in Upload.objects.filter(check_only=True).select_related("user")[:50]
              if access.may_see_upload(request.user, u)]
    running = {u.submission_id: u for u in Upload.objects.filter(check_only=False, state__in=("queued", "running"))}
    return render(request, "portal/home.html", {
        "rows": rows, "checks": checks, "running": running,
        "may_upload": bool(access.submitter_countries(request.user)),
    })


def limited_upload(view):
    """The upload's size limit is set before anything reads the body: Django's CSRF check reads the form, so it
    runs here after the limit is in place (csrf_exempt outside, csrf_protect inside: Django's documented way)."""
    protected = csrf_protect(view)

    @wraps(view)
    @csrf_exempt
    def wrapper(request, *args, **kwargs):
        request.upload_limit = None
        if request.method == "POST" and not uploads.declared_too_large(request):
            request.upload_limit = uploads.install_handler(request)
        return protected(request, *args, **kwargs)
    return wrapper


@signed_in
@limited_upload
@require_http_methods(["GET", "POST"])
def upload(request):
    countries = access.submitter_countries(request.user)
    if not countries:
        return HttpResponseForbidden("Your account may not submit files.")
    if request.method == "GET":
        return render(request, "portal/upload.html", {"countries": countries, "limit_mb": _limit_mb()})
    error, status, upload_row = receive(request)
    if error:
        resp = render(request, "portal/upload.html", {"countries": countries, "limit_mb": _limit_mb(),
                                                      "error": error}, status=status)
        if status == 413:
            resp["Connection"] = "close"   # the rest of the body is not read
        return resp
    if upload_row.check_only:
        return redirect("check", upload_id=upload_row.pk)
    return redirect("submission", submission_id=upload_row.submission_id)


def _limit_mb() -> str:
    from pipelines.settings import max_file_bytes

    return f"{max_file_bytes() / 1024 / 1024:g}"


def receive(request):
    """An upload (page or API): (error, status, upload row). The limit is enforced while reading; the file is
    archived as `mnr submit` does and queued for the pipeline worker."""
    handler = request.upload_limit
    if handler is None:   # declared larger than the limit: refused unread
        return (f"The file is over the {_limit_mb()} MB limit: split it by year or domain.", 413, None)
    country = (request.POST.get("country") or "").strip().upper()
    uploaded = request.FILES.get("file")
    if handler.too_large:
        return (f"The file is over the {_limit_mb()} MB limit: split it by year or domain.", 413, None)
    if uploaded is None:
        return ("Choose a file to send.", 400, None)
    try:
        country = normalise_country(country)
    except SubmissionRefused as e:
        return (str(e), 400, None)
    if not access.may_submit_for(request.user, country):
        audit(request, "upload_refused", subject=country, reason="not the user's country")
        return ("Your account may not submit files for this country.", 403, None)
    check_only = request.POST.get("check_only") in {"1", "on", "true", "yes"}
    p = paths()
    home = feedback.new_check_home() if check_only else p
    try:
        receipt, new = uploads.archive(home, uploaded, country)
    except SubmissionRefused as e:
        if check_only:
            shutil.rmtree(home.home, ignore_errors=True)
        audit(request, "upload_refused", subject=country, reason=str(e))
        return (str(e), 400, None)
    # The same bytes sent again are the same submission: queued only if it still waits for its feedback.
    waiting = check_only or new or is_pending(p, receipt)
    row = Upload.objects.create(submission_id=receipt.submission_id, country=country, file_name=receipt.file_name,
                                user=request.user, check_only=check_only, language=request.user.language,
                                check_home=str(home.home) if check_only else "",
                                state="queued" if waiting else "done")
    audit(request, "check" if check_only else "upload", subject=receipt.submission_id, country=country,
          file_name=receipt.file_name, sha256=receipt.sha256, new=new)
    return ("", 201, row)


@signed_in
@require_GET
def submission(request, submission_id):
    row = access.submission_for(request.user, submission_id)
    up = Upload.objects.filter(submission_id=submission_id, check_only=False).first()
    return _feedback_page(request, row=row, upload=up, doc=feedback.document(paths(), row, submission_id))


@signed_in
@require_GET
def check(request, upload_id):
    up = _check_for(request, upload_id)
    return _feedback_page(request, row=None, upload=up, doc=feedback.check_document(up))


def _check_for(request, upload_id) -> Upload:
    up = Upload.objects.filter(pk=upload_id, check_only=True).first()
    if up is None or not access.may_see_upload(request.user, up):
        raise Http404("no such check")
    return up


def _feedback_page(request, row, upload, doc):
    lang = feedback.language(request, doc)
    processing = doc is None and (upload is None or upload.state in ("queued", "running"))
    source = row or {"file_name": upload.file_name, "country": upload.country}
    ctx = {"row": row, "upload": upload, "doc": doc, "processing": processing, "lang": lang,
           "file_name": source["file_name"], "country": source["country"],
           "failed": doc is None and upload is not None and upload.state == "failed"}
    if doc is not None:
        ctx.update(feedback.page_context(doc, lang, acknowledgements(doc["submission_id"])
                                         if row is not None else {}))
        ctx["may_acknowledge"] = row is not None and access.may_submit_for(request.user, doc["country"])
        if row is not None:
            sid = row["submission_id"]
            ctx.update(report_url=reverse("report", args=[sid]),
                       csv_url=reverse("findings_download", args=[sid, "csv"]),
                       json_url=reverse("findings_download", args=[sid, "json"]),
                       acknowledge_url=reverse("acknowledge", args=[sid]))
        else:
            ctx.update(report_url=reverse("check_report", args=[upload.pk]),
                       csv_url=reverse("check_findings_download", args=[upload.pk, "csv"]),
                       json_url=reverse("check_findings_download", args=[upload.pk, "json"]))
    return render(request, "portal/submission.html", ctx)


def acknowledgements(submission_id: str) -> dict[int, Acknowledgement]:
    return {a.finding_index: a for a in Acknowledgement.objects.filter(submission_id=submission_id)
            .select_related("user")}


def _processed(request, submission_id) -> tuple[dict, dict]:
    """A submission the user may see and its findings document (404 for either missing)."""
    row = access.submission_for(request.user, submission_id)
    doc = feedback.document(paths(), row, submission_id)
    if doc is None:
        raise Http404("not processed yet")
    return row, doc


@signed_in
@require_GET
def report(request, submission_id):
    row, doc = _processed(request, submission_id)
    audit(request, "download", subject=submission_id, what="report")
    html = feedback.report_html(paths().feedback_dir(row["country"], submission_id), doc,
                                feedback.language(request, doc), acknowledgements(submission_id))
    return _report_response(html)


@signed_in
@require_GET
def check_report(request, upload_id):
    up = _check_for(request, upload_id)
    doc = feedback.check_document(up)
    if doc is None:
        raise Http404("not processed yet")
    audit(request, "download", subject=f"check {up.pk}", what="report")
    return _report_response(feedback.report_html(feedback.check_folder(up), doc, feedback.language(request, doc), {}))


def _report_response(html: str) -> HttpResponse:
    """A page the pipeline wrote (a report, a profile), with the policy it carries (its own styles by hash, no
    script, no network) as a header too, and never framed."""
    from pipelines.pages import policy

    resp = HttpResponse(html, content_type="text/html; charset=utf-8")
    resp.csp = policy(html) + "; frame-ancestors 'none'"
    return resp


@signed_in
@require_GET
def findings_download(request, submission_id, fmt):
    _row, doc = _processed(request, submission_id)
    audit(request, "download", subject=submission_id, what=f"findings.{fmt}")
    doc = feedback.with_acknowledgements(doc, acknowledgements(submission_id))
    return feedback.download(doc, fmt)


@signed_in
@require_GET
def check_findings_download(request, upload_id, fmt):
    up = _check_for(request, upload_id)
    doc = feedback.check_document(up)
    if doc is None:
        raise Http404("not processed yet")
    audit(request, "download", subject=f"check {up.pk}", what=f"findings.{fmt}")
    return feedback.download(doc, fmt)


@signed_in
@require_POST
def acknowledge(request, submission_id):
    row, doc = _processed(request, submission_id)
    if not access.may_submit_for(request.user, row["country"]):
        return HttpResponseForbidden("Only the country's own team may acknowledge its warnings.")
    try:
        index = int(request.POST.get("finding", ""))
        finding = doc["findings"][index]
    except (TypeError, ValueError, IndexError, KeyError):
        raise Http404("no such finding") from None
    comment = (request.POST.get("comment") or "").strip()
    if finding["severity"] != "warning" or finding["rule_id"] != request.POST.get("rule_id"):
        return HttpResponse("Only a warning can be acknowledged.", status=400, content_type="text/plain")
    if not comment:
        return HttpResponse("Say why the value is right: the comment is kept with the warning.", status=400,
                            content_type="text/plain")
    Acknowledgement.objects.update_or_create(
        submission_id=submission_id, finding_index=index,
        defaults={"rule_id": finding["rule_id"], "comment": comment[:2000], "user": request.user})
    audit(request, "acknowledge", subject=submission_id, finding=index, rule_id=finding["rule_id"])
    return HttpResponseRedirect(reverse("submission", args=[submission_id]) + f"#finding-{index}")


@signed_in
@require_GET
def template_download(request):
    from pipelines.template import build_template

    countries = access.submitter_countries(request.user)
    country = (request.GET.get("country") or "").strip().upper() or (countries[0] if len(countries) == 1 else None)
    if country is not None and country not in countries:
        raise Http404("no such country")
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    import tempfile

    fd, name = tempfile.mkstemp(prefix="template-", suffix=".xlsx", dir=folder)
    import os

    os.close(fd)
    try:
        build_template(Path(name), country)
        audit(request, "download", subject=country or "", what="template")
        f = open(name, "rb")
    finally:
        os.unlink(name)   # the open file stays readable until the response is sent
    return FileResponse(f, as_attachment=True, filename=f"MNR_template_{country or 'all'}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@signed_in
@require_GET
def mappings(request):
    """The mappings of the user's countries (MNR_HOME/mappings/<ISO3>/, drafted by `mnr map` and saved there),
    as text to review: which column the hub reads as which dimension, and how codes are mapped."""
    from pipelines.ingest.mappings import country_dir

    found = []
    for country in access.submitter_countries(request.user):
        folder = country_dir(country)
        for f in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []:
            found.append({"country": country, "name": f.name, "text": f.read_text(encoding="utf-8", errors="replace")})
    return render(request, "portal/mappings.html", {"mappings": found})


@signed_in
@require_GET
def releases(request):
    from pipelines.publish.release import history

    p = paths()
    rows = [{"release_id": rid, "files": sorted(f.name for f in (p.releases / rid).iterdir() if f.is_file())}
            for rid, *_ in reversed(history(p.releases)) if (p.releases / rid).is_dir()] if p.releases.is_dir() else []
    profiles = sorted(f.stem for f in (p.home / "profiles").glob("*.html")) if (p.home / "profiles").is_dir() else []
    return render(request, "portal/releases.html", {"releases": rows, "profiles": profiles})


@signed_in
@require_GET
def release_file(request, release_id, name):
    """A file of a release, always as a download (never rendered as a page of the portal)."""
    p = paths()
    folder = (p.releases / release_id).resolve()
    f = (folder / name).resolve()
    if folder.parent != p.releases.resolve() or f.parent != folder or not f.is_file():
        raise Http404("no such file")
    audit(request, "download", subject=release_id, what=name)
    return FileResponse(open(f, "rb"), as_attachment=True, filename=f.name,
                        content_type="application/octet-stream")


@signed_in
@require_GET
def profile(request, country):
    """A country profile (published data only): the page the pipeline wrote, with the report's policy."""
    if not (len(country) == 3 and country.isalpha() and country.isupper()):
        raise Http404("no such country")
    f = paths().home / "profiles" / f"{country}.html"
    if not f.is_file():
        raise Http404("no such country")
    return _report_response(f.read_text(encoding="utf-8"))


_CSS = (Path(__file__).parent / "static" / "portal.css").read_bytes()


def stylesheet(request):
    resp = HttpResponse(_CSS, content_type="text/css; charset=utf-8")
    resp["Cache-Control"] = "public, max-age=3600"
    return resp


# ---------------------------------------------------------------------------------------------- JSON API
@api
@limited_upload
@require_http_methods(["GET", "POST"])
def api_submissions(request):
    if request.method == "GET":
        return JsonResponse(access.visible_submissions(request.user), safe=False)
    error, status, row = receive(request)
    if error:
        resp = JsonResponse({"error": error}, status=status)
        if status == 413:
            resp["Connection"] = "close"   # the rest of the body is not read
        return resp
    if row.check_only:
        state = "check"
    elif row.state == "queued":
        state = "pending"
    else:   # the same bytes were received and processed before: the submission's state, as mnr status says it
        doc = feedback.document(paths(), {"country": row.country}, row.submission_id)
        state = "published" if doc and doc.get("published") else "processed"
    return JsonResponse({"submission_id": row.submission_id, "country": row.country, "state": state}, status=201)


@api
@require_GET
def api_submission(request, submission_id):
    return JsonResponse(access.submission_for(request.user, submission_id))


@api
@require_GET
def api_findings(request, submission_id):
    row = access.submission_for(request.user, submission_id)
    doc = feedback.document(paths(), row, submission_id)
    if doc is None:
        return JsonResponse({"error": "not processed yet", "state": row["state"]}, status=404)
    audit(request, "download", subject=submission_id, what="findings (API)")
    return JsonResponse(feedback.with_acknowledgements(doc, acknowledgements(submission_id)))
