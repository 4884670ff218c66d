"""Files of notices and complaints: the need attachments' checks and content-addressed store
(``fupin.needs.service.attachments``: type decided from content, active PDF content refused,
stored under its SHA-256), checked all before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.needs.service.attachments import CheckedFile, check_file, path_for, store


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def check_all(
    uploads: list[Upload], *, max_bytes: int, max_count: int, field: str = "files"
) -> list[tuple[Upload, CheckedFile]]:
    """Every upload checked (none written yet): the first bad one refuses them all."""
    uploads = [u for u in uploads if u.data or u.filename]
    if len(uploads) > max_count:
        raise InvalidInput(_("最多上传 %(n)d 个附件。", n=max_count), field=field, code="too_many")
    return [(u, check_file(u.data, u.filename, max_bytes=max_bytes, field=field)) for u in uploads]


def store_all(checked: list[tuple[Upload, CheckedFile]], attachments_dir: Path) -> None:
    for upload, found in checked:
        store(attachments_dir, upload.data, found.sha256)


def stored_path(attachments_dir: Path, sha256: str) -> Path:
    return path_for(attachments_dir, sha256)
