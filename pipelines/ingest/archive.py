"""The landing archive: every submitted file kept byte for byte under its submission id.

Layout (DESIGN.md section 5): landing/<ISO3>/<submission_id>/<original file name> and receipt.json.
The submission id is <ISO3>-<first 12 hex of sha256>, so the same bytes submitted twice are the same
submission and nothing is repeated. Files are written to a temporary name and renamed, so a crash never
leaves a half-written archive entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipelines.reference import country_codes
from pipelines.settings import Paths, max_file_bytes


class SubmissionRefused(ValueError):
    """Input that cannot be taken at all (exit code 2): says what is wrong and what to do."""


@dataclass(frozen=True)
class Receipt:
    submission_id: str
    country: str
    file_name: str
    sha256: str
    size_bytes: int
    received_at: str

    def path(self, paths: Paths) -> Path:
        return paths.submission_dir(self.country, self.submission_id) / self.file_name


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def safe_file_name(name: str) -> str:
    """The base name only, so that a hostile name such as ../../x cannot escape the archive."""
    base = Path(name.replace("\\", "/")).name.strip()
    base = "".join(c for c in base if c.isprintable() and c not in '/\\:*?"<>|\x00')
    return base or "submission"


def normalise_country(country: str) -> str:
    code = (country or "").strip().upper()
    if code not in country_codes():
        raise SubmissionRefused(
            f"unknown country {country!r}: give an ISO 3166-1 alpha-3 code such as KEN, PHL or FRA"
        )
    return code


def submit(paths: Paths, source: Path, country: str) -> tuple[Receipt, bool]:
    """Archive a file; return its receipt and whether it is new (False: the same bytes were already here)."""
    country = normalise_country(country)
    source = Path(source)
    if not source.is_file():
        raise SubmissionRefused(f"file not found: {source}. Check the path and try again.")
    size = source.stat().st_size
    limit = max_file_bytes()
    if size > limit:
        raise SubmissionRefused(
            f"{source.name} is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit: split the file by year "
            "or domain, or raise MNR_MAX_FILE_MB"
        )
    digest = sha256_of(source)
    submission_id = f"{country}-{digest[:12]}"
    target_dir = paths.submission_dir(country, submission_id)
    existing = read_receipt(target_dir)
    if existing is not None:
        return existing, False

    receipt = Receipt(
        submission_id=submission_id,
        country=country,
        file_name=safe_file_name(source.name),
        sha256=digest,
        size_bytes=size,
        received_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )
    paths.landing.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=paths.landing))
    try:
        shutil.copyfile(source, staging / receipt.file_name)
        if sha256_of(staging / receipt.file_name) != digest:
            raise SubmissionRefused(f"{source} changed while it was being read: submit it again")
        (staging / "receipt.json").write_text(json.dumps(asdict(receipt), indent=2) + "\n")
        for f in staging.iterdir():
            os.chmod(f, 0o440)   # read-only, and not readable by other users (SECURITY.md)
        target_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staging, target_dir)
        except OSError:
            # Another process archived the same bytes at the same moment: theirs stands.
            if read_receipt(target_dir) is None:
                raise
            return read_receipt(target_dir), False
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return receipt, True


def read_receipt(submission_dir: Path) -> Receipt | None:
    f = submission_dir / "receipt.json"
    if not f.is_file():
        return None
    return Receipt(**json.loads(f.read_text()))


def all_receipts(paths: Paths, countries: list[str] | None = None) -> list[Receipt]:
    """Every archived submission, oldest first (ties broken by id, so the order is stable)."""
    out: list[Receipt] = []
    if not paths.landing.is_dir():
        return out
    for country_dir in sorted(paths.landing.iterdir()):
        if not country_dir.is_dir() or country_dir.name.startswith("."):
            continue
        if countries is not None and country_dir.name not in countries:
            continue
        for sub in sorted(country_dir.iterdir()):
            r = read_receipt(sub)
            if r is not None:
                out.append(r)
    out.sort(key=lambda r: (r.received_at, r.submission_id))
    return out
