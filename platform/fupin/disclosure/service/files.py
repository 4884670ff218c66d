"""Files of notices and complaints: the need attachments' checks and content-addressed store
(``fupin.needs.service.attachments``: type decided from content, active PDF content refused,
stored under its SHA-256), checked all before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fupin.errors import InvalidInput, NotFound
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


_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}


def serve_headers(prefix: str, owner_id: int, row: Any, *, private: bool) -> dict[str, str]:
    """Safe headers for a stored file, as the need attachments are served (nosniff, a
    Content-Disposition, nothing in the file may run in our origin)."""
    inline = row.content_type.startswith("image/")
    ascii_name = f"{prefix}-{owner_id}-{row.id}{_EXTENSIONS.get(row.content_type, '')}"
    original = row.original_name or ascii_name
    return {
        "Content-Type": row.content_type,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": (
            f'{"inline" if inline else "attachment"}; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(original, safe='')}"
        ),
        "Content-Security-Policy": "default-src 'none'",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": ("private" if private else "public") + ", max-age=3600",
    }


def existing_file(attachments_dir: Path, sha256: str) -> Path:
    path = path_for(attachments_dir, sha256)
    if not path.is_file():
        raise NotFound(_("附件文件缺失。"), field="file_id")
    return path
