"""Attachments: content decides, not the name; stored by hash; served with safe headers; visible
only as the need is."""

from __future__ import annotations

import hashlib
import io
import zlib

import pytest
from PIL import Image

from fupin.core.models import AuditLog
from fupin.errors import InvalidInput
from fupin.needs.models import Attachment
from fupin.needs.service import attachments
from tests.needs.support import jpeg_bytes, make_need, pdf_bytes, png_bytes
from tests.support.world import CSRF

MAX = 1_000_000


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("现场.png", png_bytes(), "image/png"),
        ("site.JPG", jpeg_bytes(), "image/jpeg"),
        ("budget.pdf", pdf_bytes(), "application/pdf"),
    ],
)
def test_genuine_files_are_accepted_with_the_type_of_their_content(
    name, data, content_type
) -> None:
    checked = attachments.check_file(data, name, max_bytes=MAX)
    assert checked.content_type == content_type
    assert checked.sha256 == hashlib.sha256(data).hexdigest() and checked.size == len(data)


def _truncated_png() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 40).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()[:-200]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("photo.jpg", png_bytes(), "type_mismatch"),  # a PNG named .jpg
        ("budget.pdf", png_bytes(), "type_mismatch"),  # an image named .pdf
        ("photo.png", pdf_bytes(), "type_mismatch"),  # a PDF named .png
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "type_mismatch"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "bad_content"),  # header only
        ("photo.png", _truncated_png(), "bad_content"),
        ("budget.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "bad_content"),  # no trailer
        (
            "budget.pdf",
            pdf_bytes(b" /AA << /O << /S /JavaScript /JS (app.alert(1)) >> >>"),
            "active_content",
        ),
        ("budget.pdf", pdf_bytes(b" /OpenAction << /S /J#61vaScript >>"), "active_content"),
        ("script.svg", b"<svg onload='alert(1)'/>", "unsupported_type"),
        ("run.exe", b"MZ\x90\x00", "unsupported_type"),
        ("noextension", png_bytes(), "unsupported_type"),
        ("empty.png", b"", "required"),
        ("big.png", png_bytes() + b"\x00" * MAX, "too_large"),
    ],
)
def test_files_whose_content_is_not_what_the_name_says_are_refused(name, data, code) -> None:
    with pytest.raises(InvalidInput) as refused:
        attachments.check_file(data, name, max_bytes=MAX)
    assert refused.value.code == code and refused.value.field == "file"


def test_decompression_bomb_is_refused() -> None:
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, format="PNG")  # 64 Mpx, a few KB
    with pytest.raises(InvalidInput) as refused:
        attachments.check_file(buffer.getvalue(), "bomb.png", max_bytes=MAX)
    assert refused.value.code in ("too_large", "bad_content")


def test_file_names_are_cleaned_and_headers_are_safe() -> None:
    assert attachments.clean_filename('..\\..\\etc/"pass;wd".png') == "passwd.png"
    row = Attachment(
        id=7,
        need_id=3,
        content_type="application/pdf",
        original_name="预算 表.pdf",
        sha256="a" * 64,
        size=1,
    )
    headers = attachments.response_headers(3, row)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'"
    assert headers["Content-Disposition"].startswith('attachment; filename="need-3-7.pdf"')
    assert "filename*=UTF-8''%E9%A2%84%E7%AE%97%20%E8%A1%A8.pdf" in headers["Content-Disposition"]
    row.content_type = "image/png"
    assert attachments.response_headers(3, row)["Content-Disposition"].startswith("inline;")


@pytest.mark.both_databases
async def test_upload_stores_by_hash_and_serves_with_safe_headers(
    world, client_as, settings
) -> None:
    need = await make_need(world, "published")
    data = png_bytes((20, 10))
    worker = client_as("village_worker")
    response = await worker.post(
        f"/needs/{need.id}/attachments",
        data={"csrf_token": CSRF, "purpose": "photo"},
        files={"file": ("现场照片.png", data, "image/png")},
    )
    assert response.status_code == 303, response.text[:500]
    row = await Attachment.get(need_id=need.id, purpose="photo")
    digest = hashlib.sha256(data).hexdigest()
    assert row.sha256 == digest and row.original_name == "现场照片.png"
    assert (settings.attachments_dir / digest[:2] / digest).read_bytes() == data
    assert await AuditLog.filter(action="need.attach", object_id=str(need.id)).exists()
    served = await client_as(None).get(f"/needs/{need.id}/attachments/{row.id}")
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "default-src 'none'"
    assert served.headers["content-disposition"].startswith("inline;")


async def test_upload_of_a_disguised_file_is_refused_and_nothing_stored(
    world, client_as, settings
) -> None:
    need = await make_need(world, "draft")
    response = await client_as("village_worker").post(
        f"/needs/{need.id}/attachments",
        data={"csrf_token": CSRF, "purpose": "budget"},
        files={"file": ("预算.pdf", png_bytes(), "application/pdf")},
    )
    assert response.status_code == 422 and "文件内容与扩展名不符" in response.text
    assert await Attachment.filter(need_id=need.id).count() == 0
    assert not settings.attachments_dir.exists() or not any(settings.attachments_dir.rglob("*"))


async def test_attachments_of_a_draft_are_not_served_to_the_public(world, client_as) -> None:
    need = await make_need(world, "draft")
    response = await client_as("village_worker").post(
        f"/needs/{need.id}/attachments",
        data={"csrf_token": CSRF, "purpose": "photo"},
        files={"file": ("a.png", png_bytes(), "image/png")},
    )
    assert response.status_code == 303
    row = await Attachment.get(need_id=need.id)
    assert (await client_as(None).get(f"/needs/{need.id}/attachments/{row.id}")).status_code == 404
    assert (
        await client_as("other_county_officer").get(f"/needs/{need.id}/attachments/{row.id}")
    ).status_code == 404
    assert (
        await client_as("county_officer").get(f"/needs/{need.id}/attachments/{row.id}")
    ).status_code == 200


async def test_only_the_need_side_may_attach(world, client_as) -> None:
    need = await make_need(world, "published")
    for key in ("participant_member", "other_village_worker", "auditor"):
        response = await client_as(key).post(
            f"/needs/{need.id}/attachments",
            data={"csrf_token": CSRF, "purpose": "photo"},
            files={"file": ("a.png", png_bytes(), "image/png")},
        )
        assert response.status_code == 403, key
    assert await Attachment.filter(need_id=need.id).count() == 0


async def test_api_upload_returns_the_attachment_and_refuses_a_mismatch(world, client_as) -> None:
    need = await make_need(world, "in_progress")
    officer = client_as("county_officer")
    ok = await officer.post(
        f"/api/v1/needs/{need.id}/attachments",
        data={"purpose": "evidence"},
        files={"file": ("验收.pdf", pdf_bytes(), "application/pdf")},
        headers={"X-CSRF-Token": CSRF},
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["content_type"] == "application/pdf" and ok.json()["purpose"] == "evidence"
    served = await client_as(None).get(ok.json()["url"])
    assert served.headers["content-disposition"].startswith("attachment;")
    bad = await officer.post(
        f"/api/v1/needs/{need.id}/attachments",
        data={"purpose": "evidence"},
        files={"file": ("验收.jpg", pdf_bytes(), "image/jpeg")},
        headers={"X-CSRF-Token": CSRF},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "file" and bad.json()["error"]["code"] == "type_mismatch"
    purpose = await officer.post(
        f"/api/v1/needs/{need.id}/attachments",
        data={"purpose": "selfie"},
        files={"file": ("a.png", png_bytes(), "image/png")},
        headers={"X-CSRF-Token": CSRF},
    )
    assert purpose.status_code == 422 and purpose.json()["error"]["field"] == "purpose"


def _object_stream_pdf(catalog_extra: bytes = b"") -> bytes:
    """A one-page PDF 1.5 whose catalog, pages and page live in a Flate-compressed object stream
    (indexed by a cross-reference stream), as Word and LibreOffice write them: a byte scan sees
    nothing of what the catalog says."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    body, offsets = b"", []
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    header = b" ".join(b"%d %d" % (i + 1, at) for i, at in enumerate(offsets)) + b"\n"
    packed = zlib.compress(header + body)
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += b"4 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter /FlateDecode /Length %d >>\n" % (
        len(header),
        len(packed),
    )
    out += b"stream\n" + packed + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = b"\x00\x00\x00\xff"  # object 0: free
    rows += b"".join(b"\x02\x00\x04" + bytes([i]) for i in range(3))  # 1-3: in stream 4
    rows += b"\x01" + stream_at.to_bytes(2, "big") + b"\x00"  # 4: the object stream
    rows += b"\x01" + xref_at.to_bytes(2, "big") + b"\x00"  # 5: this cross-reference stream
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 2 1] /Root 1 0 R /Length %d >>\n" % len(rows)
    out += b"stream\n" + rows + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def test_active_content_inside_a_compressed_object_stream_is_refused() -> None:
    plain = _object_stream_pdf()
    assert attachments.check_file(plain, "budget.pdf", max_bytes=MAX).content_type == (
        "application/pdf"
    )
    for extra in (
        b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        b" /OpenAction << /S /Launch /F (calc.exe) >>",
        b" /Names << /EmbeddedFiles << /Names [] >> >>",
        b" /AA << /WC << /S /URI /URI (http://x.invalid) >> >>",
        b" /AcroForm << /Fields [] /XFA [] >>",
    ):
        data = _object_stream_pdf(extra)
        assert extra.split(b"/")[1].split()[0] not in data  # compressed: invisible to a scan
        with pytest.raises(InvalidInput) as refused:
            attachments.check_file(data, "budget.pdf", max_bytes=MAX)
        assert refused.value.code == "active_content", extra


def test_a_plain_pdf_opening_at_its_first_page_is_accepted() -> None:
    # a destination, not an action: what office suites write
    data = _object_stream_pdf(b" /OpenAction [3 0 R /Fit]")
    assert attachments.check_file(data, "budget.pdf", max_bytes=MAX).content_type == (
        "application/pdf"
    )


def test_a_pdf_the_parser_cannot_read_is_refused() -> None:
    data = _object_stream_pdf().replace(b"/FlateDecode", b"/LZWDecode ")
    broken = data.replace(b"4 0 obj", b"9 9 obj")
    with pytest.raises(InvalidInput) as refused:
        attachments.check_file(broken, "budget.pdf", max_bytes=MAX)
    assert refused.value.code == "bad_content"
