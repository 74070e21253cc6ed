"""Receiving a file: the size limit enforced while the body is read, the bytes streamed to a temporary file in
MNR_HOME, then archived by the same function as `mnr submit` (pipelines/ingest/archive.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler

from pipelines.ingest.archive import safe_file_name, submit
from pipelines.settings import Paths, max_file_bytes


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Streams the file to disk and stops once it passes MNR_MAX_FILE_MB: nothing over the limit is stored
    (a body declared larger than that is refused before it is read: declared_too_large)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = max_file_bytes()
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


# Room for the form's other fields and the multipart boundaries around the file.
SLACK = 64 * 1024


def declared_too_large(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > max_file_bytes() + SLACK
    except ValueError:
        return False


def install_handler(request) -> LimitedUploadHandler:
    """Before request.POST / request.FILES are touched."""
    handler = LimitedUploadHandler(request)
    request.upload_handlers = [handler]
    return handler


def archive(p: Paths, uploaded, country: str):
    """Archive an uploaded file as `mnr submit` would; returns (receipt, new). The temporary file gets the
    file's own (sanitised) name first: the archive keeps the name the country gave it."""
    staging = Path(tempfile.mkdtemp(prefix="upload-", dir=settings.FILE_UPLOAD_TEMP_DIR))
    try:
        path = staging / safe_file_name(uploaded.name or "submission")
        os.link(uploaded.temporary_file_path(), path)   # same folder: no second copy of the bytes
        return submit(p, path, country)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
