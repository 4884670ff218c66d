"""Need attachments: photos and PDF budget sheets, checked on content, stored by content hash.

Why on content: a file name is whatever the uploader typed. An image is accepted only if Pillow
decodes it completely as JPEG, PNG or WebP; a PDF only if it has the PDF header, a cross-reference
trailer and an end-of-file marker, and no active content (JavaScript, launch actions, embedded
files, XFA forms). The name's extension must agree with what the content is, so a script renamed
``photo.jpg`` or an image renamed ``budget.pdf`` is refused ("Bad input").

Stored under ``settings.attachments_dir/<sha256[:2]>/<sha256>`` (written to a temporary file and
renamed, so a crash never leaves half a file under a real name); identical uploads share one file.
Served with the headers of :func:`response_headers`: the stored content type, ``nosniff``, a
Content-Disposition (inline for images, attachment for PDFs, which browsers would otherwise run
in their viewer) and ``Content-Security-Policy: default-src 'none'`` so nothing in a file can
run in our origin.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from fupin.core import audit
from fupin.core.policy import Actor, require
from fupin.db import transaction
from fupin.errors import InvalidInput, InvalidTransition, NotAuthenticated, NotFound
from fupin.i18n import _
from fupin.needs.models import Attachment
from fupin.needs.rules import ATTACH_STATES, ATTACHMENT_PURPOSES, STATE_LABELS
from fupin.needs.service import search_outbox
from fupin.needs.service.reading import get_need
from fupin.needs.service.visibility import need_scope

#: Extension → the content type the content must have.
EXTENSIONS: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}
_PIL_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_KIND_NAMES = {
    "image/jpeg": "JPEG 图片",
    "image/png": "PNG 图片",
    "image/webp": "WebP 图片",
    "application/pdf": "PDF 文件",
}
#: Larger images are refused (a decompression bomb is a tiny file that decodes to gigabytes).
MAX_PIXELS = 40_000_000
MAX_ATTACHMENTS_PER_NEED = 40
#: PDF names that make a document do something when opened; a budget sheet needs none of them.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|XFA|RichMedia|SubmitForm)\b")
#: A name written with #xx escapes (/J#61vaScript) hides the above from a plain scan.
_PDF_ESCAPED_NAME = re.compile(rb"/[A-Za-z]*#[0-9A-Fa-f]{2}")


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    sha256: str
    size: int
    original_name: str


def clean_filename(name: str) -> str:
    """The uploader's file name without any path, control characters or quotes (display only)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(
        ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C"
    )
    base = base.replace('"', "").replace(";", "").strip().strip(".")
    return base[:200] or "file"


def sniff(data: bytes) -> str | None:
    """What the content is, from the content alone (no decoding): for messages."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _check_image(data: bytes, expected: str, field: str) -> None:
    refused = InvalidInput(
        _("文件内容不是有效的图片，或图片已损坏。"), field=field, code="bad_content"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                found = _PIL_FORMATS.get(probe.format or "")
                width, height = probe.size
                if found != expected:
                    raise InvalidInput(
                        _("文件内容与扩展名不符：扩展名表示%(e)s，内容是%(f)s。",
                          e=_(_KIND_NAMES[expected]), f=_(_KIND_NAMES.get(found or "", "其他格式"))),
                        field=field, code="type_mismatch",
                    )  # fmt: skip
                if width * height > MAX_PIXELS:
                    raise InvalidInput(_("图片像素过大。"), field=field, code="too_large")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decode every pixel: truncated files fail here
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, EOFError):  # fmt: skip
        raise refused from None


def _check_pdf(data: bytes, field: str) -> None:
    if not re.match(rb"%PDF-[12]\.\d", data[:16]):
        raise InvalidInput(_("文件内容不是 PDF。"), field=field, code="type_mismatch")
    tail = data[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in tail:
        raise InvalidInput(_("PDF 文件不完整或已损坏。"), field=field, code="bad_content")
    if b" obj" not in data and b"\nobj" not in data and b"\robj" not in data:
        raise InvalidInput(_("PDF 文件不完整或已损坏。"), field=field, code="bad_content")
    if _PDF_ACTIVE.search(data) or _PDF_ESCAPED_NAME.search(data) or _pdf_is_active(data, field):
        raise InvalidInput(
            _("PDF 含有脚本或嵌入文件等可执行内容，不予接收；请另存为普通 PDF 后再上传。"),
            field=field,
            code="active_content",
        )


#: Names (as keys or values, after pypdf has decoded #xx escapes) that make a PDF do something:
#: scripts, launching programs, embedded files, forms that submit or import, XFA, rich media,
#: additional actions on events.
_PDF_ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/AA",
        "/RichMedia",
        "/RichMediaExecute",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
    }
)


def _pdf_is_active(data: bytes, field: str) -> bool:
    """Whether any object of the PDF — every entry of its cross-reference tables, objects inside
    compressed object streams included, which a byte scan cannot read — names active content,
    or the document runs an action when opened (``/OpenAction`` as an action dictionary; a
    destination such as "page 1, fit" is fine). A PDF pypdf cannot parse is refused as damaged:
    what we cannot inspect we do not accept."""
    damaged = InvalidInput(_("PDF 文件不完整或已损坏。"), field=field, code="bad_content")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        references = [
            IndirectObject(number, generation, reader)
            for generation, table in reader.xref.items()
            for number in table
        ]
        references += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
        objects = [reference.get_object() for reference in references]
        objects.append(reader.trailer)
        if not reader.pages:  # reading the page tree: a document that has none is no PDF
            raise damaged
        return any(_pdf_object_is_active(obj) for obj in objects)
    except InvalidInput:
        raise
    except Exception:  # pypdf raises many types for damaged files (PdfReadError, ValueError…)
        raise damaged from None


def _pdf_object_is_active(obj: object) -> bool:
    """Walk one object's dictionaries and arrays (not its references: every object is walked
    from the cross-reference tables, so cycles cannot loop)."""
    pending = [obj]
    for _steps in range(100_000):  # bounded: a pathological object is refused below
        if not pending:
            return False
        item = pending.pop()
        if isinstance(item, NameObject):
            if item in _PDF_ACTIVE_NAMES:
                return True
        elif isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in _PDF_ACTIVE_NAMES:
                    return True
                if key == "/OpenAction" and isinstance(value.get_object(), DictionaryObject):
                    return True
                if not isinstance(value, IndirectObject):
                    pending.append(value)
        elif isinstance(item, ArrayObject):
            pending.extend(v for v in item if not isinstance(v, IndirectObject))
    return True  # too deep or too large to inspect: not accepted


def check_file(data: bytes, filename: str, *, max_bytes: int, field: str = "file") -> CheckedFile:
    """Accept ``data`` only if its content is what ``filename`` says (see the module docstring)."""
    name = clean_filename(filename)
    if not data:
        raise InvalidInput(_("请选择要上传的文件。"), field=field, code="required")
    if len(data) > max_bytes:
        raise InvalidInput(
            _("文件过大：最大 %(mb)s MB。", mb=max(1, max_bytes // (1024 * 1024))),
            field=field,
            code="too_large",
        )
    extension = Path(name).suffix.lower()
    expected = EXTENSIONS.get(extension)
    if expected is None:
        raise InvalidInput(
            _("只接受 JPG、PNG、WebP 图片和 PDF 文件。"), field=field, code="unsupported_type"
        )
    sniffed = sniff(data)
    if sniffed is not None and sniffed != expected:
        raise InvalidInput(
            _("文件内容与扩展名不符：扩展名表示%(e)s，内容是%(f)s。",
              e=_(_KIND_NAMES[expected]), f=_(_KIND_NAMES[sniffed])),
            field=field, code="type_mismatch",
        )  # fmt: skip
    if expected == "application/pdf":
        _check_pdf(data, field)
    else:
        if sniffed is None:
            raise InvalidInput(
                _(
                    "文件内容与扩展名不符：扩展名表示%(e)s，内容不是图片。",
                    e=_(_KIND_NAMES[expected]),
                ),
                field=field,
                code="type_mismatch",
            )
        _check_image(data, expected, field)
    return CheckedFile(
        content_type=expected,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        original_name=name,
    )


def path_for(attachments_dir: Path, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256 hex digest")
    return attachments_dir / sha256[:2] / sha256


def store(attachments_dir: Path, data: bytes, sha256: str) -> Path:
    """Write ``data`` under its hash (atomic rename; an existing identical file is kept)."""
    target = path_for(attachments_dir, sha256)
    if target.exists() and target.stat().st_size == len(data):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


async def add_attachment(
    actor: Actor | None,
    need_id: int,
    *,
    data: bytes,
    filename: str,
    purpose: str,
    attachments_dir: Path,
    max_bytes: int,
) -> Attachment:
    """Check, store and attach a file to a need (policy ``need.attach`` in the need's scope)."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    need = await get_need(actor, need_id, details=False)
    require(actor, "need.attach", need_scope(need))
    if purpose not in ATTACHMENT_PURPOSES:
        raise InvalidInput(
            _("附件用途只能是：%(p)s。", p=", ".join(ATTACHMENT_PURPOSES)), field="purpose"
        )
    if need.state not in ATTACH_STATES:
        raise InvalidTransition(
            _("需求当前状态为“%(s)s”，不能再上传附件。", s=_(STATE_LABELS[need.state])),
            state=need.state,
            action="attach",
        )
    if await Attachment.filter(need_id=need.id).count() >= MAX_ATTACHMENTS_PER_NEED:
        raise InvalidInput(
            _("每个需求最多 %(n)d 个附件。", n=MAX_ATTACHMENTS_PER_NEED),
            field="file",
            code="too_many",
        )
    checked = check_file(data, filename, max_bytes=max_bytes)
    store(attachments_dir, data, checked.sha256)
    async with transaction():
        row = await Attachment.create(
            need_id=need.id,
            purpose=purpose,
            sha256=checked.sha256,
            content_type=checked.content_type,
            size=checked.size,
            original_name=checked.original_name,
            uploaded_by_id=actor.user_id,
        )
        await audit.record(
            actor=actor,
            action="need.attach",
            object_type="need",
            object_id=need.id,
            after={
                "attachment_id": row.id,
                "purpose": purpose,
                "sha256": checked.sha256,
                "content_type": checked.content_type,
                "size": checked.size,
            },
        )
        await search_outbox.enqueue(need.id)
    return row


async def open_attachment(
    actor: Actor | None, need_id: int, attachment_id: int, *, attachments_dir: Path
) -> tuple[Attachment, Path]:
    """The attachment and its file, if ``actor`` may see the need (public, or private scope)."""
    need = await get_need(actor, need_id, details=False)
    row = await Attachment.get_or_none(id=attachment_id, need_id=need.id)
    if row is None:
        raise NotFound(_("附件不存在。"), field="attachment_id")
    path = path_for(attachments_dir, row.sha256)
    if not path.is_file():
        raise NotFound(_("附件文件缺失。"), field="attachment_id")
    return row, path


def download_name(need_id: int, attachment: Attachment) -> str:
    extension = {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
    }.get(attachment.content_type, "")
    return f"need-{need_id}-{attachment.id}{extension}"


def response_headers(need_id: int, attachment: Attachment) -> dict[str, str]:
    """Safe headers for serving an attachment (see the module docstring)."""
    inline = attachment.content_type.startswith("image/")
    ascii_name = download_name(need_id, attachment)
    original = attachment.original_name or ascii_name
    disposition = (
        f'{"inline" if inline else "attachment"}; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(original, safe='')}"
    )
    return {
        "Content-Type": attachment.content_type,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": disposition,
        "Content-Security-Policy": "default-src 'none'",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "private, max-age=3600",
    }
