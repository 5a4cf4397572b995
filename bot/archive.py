"""Delivering a confirmed plan to the personnel archive: a folder, or the archive system's HTTP endpoint.

A folder (``MAL_ARCHIVE_DIR``) is written whole or not at all (a temporary file renamed into place), so an
archive that imports the folder never reads half a PDF. An endpoint (``MAL_ARCHIVE_URL``) gets the PDF in a
POST; its 2xx, with an optional ``reference`` in a JSON body (or a ``Location`` header), is the archive's
confirmation. The request carries an ``Idempotency-Key``, so an archive that got a request whose answer was lost
can recognise the retry. Until the archive confirms, the outbox retries; an answer that will never change (a
4xx) gives the row up, and `mal-bot archive` sends it again once the cause is fixed.
"""

import json
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from bot.gateway import SendResult
from bot.services import Services
from flows import archive
from storage.models import ArchiveDocument, Outbox

TIMEOUT_SECONDS = 30
RETRY_AFTER_SECONDS = 60.0

log = logging.getLogger("mal.archive")


def deliver(svc: Services, row: Outbox) -> SendResult:
    """The outbox row of one document (``{"document_id": …}``)."""
    return deliver_document(svc, int(json.loads(row.payload)["document_id"]))


def deliver_document(svc: Services, document_id: int) -> SendResult:
    """Send one document to the configured route; a document already confirmed is not sent again."""
    with svc.unit() as repo:
        doc = repo.session.get(ArchiveDocument, document_id)
        if doc is None:
            return SendResult("failed", error="document_gone")
        if doc.delivered_at is not None:
            return SendResult("sent")
        employee = repo.person(doc.employee_id)
        repo.session.expunge(doc)
    s = svc.settings
    if s.mal_archive_dir:
        result, reference = _to_folder(Path(s.mal_archive_dir), doc)
    elif s.mal_archive_url:
        token = s.mal_archive_token.get_secret_value() if s.mal_archive_token else ""
        result, reference = _to_endpoint(s.mal_archive_url, token, doc, employee.email if employee else None)
    else:
        return SendResult("failed", error="no_archive_route")
    if result.outcome == "sent":
        with svc.unit() as repo:
            archive.delivered(repo, document_id, svc.clock.now(), reference)
    else:
        log.warning("archive document %s not delivered: %s", document_id, result.error)
    return result


def _to_folder(folder: Path, doc: ArchiveDocument) -> tuple[SendResult, str | None]:
    if not folder.is_dir():
        return _later("archive_dir_missing"), None
    target = folder / doc.filename
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".mal-", suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(doc.pdf or b"")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        return _later(f"archive_dir:{exc.errno}"), None
    return SendResult("sent"), str(target)


def _reference(body: bytes, location: str | None) -> str | None:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("reference") not in (None, ""):
        return str(data["reference"])
    return location or None


def _to_endpoint(url: str, token: str, doc: ArchiveDocument, email: str | None) -> tuple[SendResult, str | None]:
    headers = {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{doc.filename}"',
        "Idempotency-Key": f"mal-archive-{doc.team_id}-{doc.id}",
        "X-Mal-Document": doc.filename,
    }
    if email:
        headers["X-Mal-Employee-Email"] = email
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=doc.pdf or b"", headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(64 * 1024)
            return SendResult("sent"), _reference(body, response.headers.get("Location"))
    except urllib.error.HTTPError as exc:
        status = exc.code
        if status in (408, 429) or status >= 500:
            wait = _retry_after(exc.headers.get("Retry-After"))
            return _later(f"archive_http_{status}", wait), None
        return SendResult("failed", error=f"archive_http_{status}"), None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = type(getattr(exc, "reason", exc)).__name__
        return _later(f"archive_unreachable:{reason}"), None


def _later(error: str, wait: float = RETRY_AFTER_SECONDS) -> SendResult:
    """The archive cannot take it now: the row waits (growing pauses) and holds up nothing else."""
    return SendResult("retry", error=error, retry_after=wait, scope="archive")


def _retry_after(value: str | None) -> float:
    try:
        return max(1.0, float(value)) if value else RETRY_AFTER_SECONDS
    except ValueError:
        return RETRY_AFTER_SECONDS
