from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from emrlint.model import FORMAT_VERSION, Episode
from tests.builders import TZ, T, build, doc, episode, procedure


def test_naive_time_is_read_in_the_site_timezone() -> None:
    ep = build(episode(admitted_at="2024-05-01T08:00"))
    assert ep.admitted_at == dt.datetime(2024, 5, 1, 8, 0, tzinfo=TZ)


def test_naive_time_without_site_timezone_is_rejected() -> None:
    with pytest.raises(ValidationError, match="no UTC offset"):
        Episode.model_validate(episode(admitted_at="2024-05-01T08:00"))


def test_date_only_time_stays_a_date() -> None:
    ep = build(episode(doc("discharge_note", "2024-05-02")))
    assert ep.documents[0].written_at == dt.date(2024, 5, 2)


def test_time_without_a_date_is_rejected() -> None:
    with pytest.raises(ValidationError, match="date \\(YYYY-MM-DD\\) is required"):
        build(episode(doc("discharge_note", "08:30")))


def test_duplicate_item_ids_are_rejected() -> None:
    with pytest.raises(ValidationError, match="duplicate item ids"):
        build(episode(doc("progress_note", T, id="x"), procedure(id="x")))


def test_dangling_reference_is_rejected_with_its_target() -> None:
    with pytest.raises(ValidationError, match="'p9'"):
        build(episode(doc("operative_note", T, about="p9")))


def test_reference_to_an_existing_item_is_accepted() -> None:
    ep = build(episode(procedure(id="p1"), doc("operative_note", T, about="p1")))
    assert ep.documents[0].about == "p1"


def test_unknown_keys_are_errors_not_silently_dropped() -> None:
    with pytest.raises(ValidationError, match="admited_at"):
        build(episode(admited_at="2024-05-01T08:00"))


def test_discharge_before_admission_is_rejected() -> None:
    with pytest.raises(ValidationError, match="before admitted_at"):
        build(episode(admitted_at=T, discharged_at=T - dt.timedelta(hours=1)))


def test_surgical_level_must_be_one_to_four() -> None:
    with pytest.raises(ValidationError, match="level"):
        build(episode(procedure(level=5)))


@pytest.mark.parametrize("tag", ["emrlint.episode/2", "fhir", ""])
def test_format_tag_other_than_the_native_version_is_rejected_naming_the_field(
    tag: str,
) -> None:
    with pytest.raises(ValidationError) as raised:
        build(episode(format=tag))
    (error,) = raised.value.errors()
    assert error["loc"] == ("format",)


def test_format_tag_of_the_native_version_or_none_is_accepted() -> None:
    assert build(episode(format=FORMAT_VERSION)).format == FORMAT_VERSION
    assert build(episode()).format == FORMAT_VERSION


def test_schema_allows_only_the_native_format_tag() -> None:
    schema = Episode.model_json_schema(mode="validation")
    assert schema["properties"]["format"]["const"] == FORMAT_VERSION
