"""Fuzzing the parsers of outside input: any JSON value as a form is either accepted or refused
with FormInvalid listing at least one error (never another exception); any posted HTML form reads
back into values of the schema's types; any bytes are either a PDF/JPEG/PNG by their magic number
or refused."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData

from onecity.services.applications.errors import FormInvalid
from onecity.services.applications.pages.formfields import fields_of, read_form
from onecity.services.applications.service import attachments, forms
from tests.services.applications.factories import FORM_SCHEMA, GOOD_FORM, PDF_BYTES, png_bytes

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(form=json_values | st.dictionaries(st.sampled_from(sorted(FORM_SCHEMA["properties"])), json_values))
def test_any_form_is_accepted_or_refused_with_errors(form: Any) -> None:
    try:
        out = forms.validate_form(FORM_SCHEMA, form)
    except FormInvalid as exc:
        assert exc.extra["errors"] and all(set(e) == {"field", "message"} for e in exc.extra["errors"])
    else:
        assert out == form and {"name", "qualification", "level", "years"} <= set(out)


def test_the_good_form_passes() -> None:
    assert forms.validate_form(FORM_SCHEMA, GOOD_FORM) == GOOD_FORM


@settings(max_examples=200, deadline=None)
@given(posted=st.dictionaries(st.sampled_from([f"f.{k}" for k in FORM_SCHEMA["properties"]] + ["f.x", "csrf"]),
                              st.text(max_size=12), max_size=8))
def test_any_posted_form_reads_back_into_schema_types(posted: dict[str, str]) -> None:
    values = read_form(FORM_SCHEMA, FormData(list(posted.items())))
    assert set(values) <= set(FORM_SCHEMA["properties"])
    assert isinstance(values["agree"], bool)
    for k, v in values.items():
        assert isinstance(v, int | str | bool), (k, v)
        assert not (isinstance(v, str) and v != v.strip())
    assert len(fields_of(FORM_SCHEMA, "en", values, [])) == len(FORM_SCHEMA["properties"])


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=64) | st.builds(
    lambda head, tail: head + tail,
    st.sampled_from([PDF_BYTES[:8], b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"MZ\x90\x00", b"PK\x03\x04"]),
    st.binary(max_size=32)))
def test_only_bytes_with_an_accepted_signature_are_accepted(data: bytes) -> None:
    """The type comes from the bytes: an accepted type only behind its magic number, and a PDF's
    signature always reads as PDF whatever follows."""
    mime = attachments.sniff(data)
    magic = {"application/pdf": b"%PDF", "image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8\xff"}
    if mime in attachments.ALLOWED:
        assert data.startswith(magic[mime]), (mime, data[:8])
    if data.startswith(b"%PDF"):
        assert mime == "application/pdf"


def test_real_files_are_recognised() -> None:
    assert attachments.sniff(png_bytes()) == "image/png"
    assert attachments.sniff(PDF_BYTES) == "application/pdf"
    assert attachments.sniff(b"\xff\xd8\xff\xe0" + b"\0" * 16) == "image/jpeg"
