"""The HL7 v2 reader: framing, episode assembly and ADT semantics, message kinds, problems."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from emrlint.model import Episode
from emrlint.parsers import InputFormat, detect_format, read_paths
from emrlint.parsers.context import ParseContext
from emrlint.parsers.hl7v2 import read_hl7v2
from emrlint.parsers.hl7v2.er7 import (
    Delimiters,
    Er7Segment,
    TimestampError,
    parse_timestamp,
    unescape,
)
from tests.builders import TZ
from tests.parsers.test_hl7v2_helpers import (
    T0,
    adt,
    mdm,
    msh,
    pid,
    pv1,
    read,
    read_bytes,
    seg,
    ts,
)

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def stay() -> list[str]:
    """Admit, move to ICU, discharge home: the episode every framing test reads back."""
    return [
        adt("A01", T0),
        adt("A02", T0 + D, department="ICU", control="T-1"),
        adt("A03", T0 + 5 * D, department="ICU", discharged=T0 + 5 * D, disposition="01"),
    ]


# ---------------------------------------------------------------- framing and tokens


@pytest.mark.parametrize(
    "separator, between",
    [("\r", "\n"), ("\n", "\n"), ("\r\n", "\r\n"), ("\r", "\r")],
    ids=["CR", "LF", "CRLF", "CR-only"],
)
def test_segment_separators_cr_lf_and_crlf_read_the_same(separator: str, between: str) -> None:
    text = between.join(m.replace("\r", separator) for m in stay()) + between
    result = read_bytes(text.encode("utf-8"))
    assert result.problems == []
    assert result.episode.discharged_at == T0 + 5 * D


def test_bom_mllp_framing_and_batch_envelopes_are_removed() -> None:
    framed = b"".join(b"\x0b" + m.encode("utf-8") + b"\r\x1c\r" for m in stay())
    batch = b"\xef\xbb\xbfFHS|^~\\&|HIS\rBHS|^~\\&|HIS\r" + framed + b"BTS|3\rFTS|1\r"
    result = read_bytes(batch)
    assert result.problems == []
    assert [t.to_department for t in result.episode.transfers] == ["ICU"]


def test_crlf_split_across_read_chunks_counts_as_one_line() -> None:
    from emrlint.parsers.hl7v2.er7 import iter_lines

    data = b"MSH|^~\\&|A\r\nEVN|A01\r\nPID|1"
    lines = list(iter_lines(io.BytesIO(data), chunk_size=11))
    assert [n for n, _ in lines] == [1, 2, 3]
    assert [line for _, line in lines] == [b"MSH|^~\\&|A", b"EVN|A01", b"PID|1"]


def test_format_detection_routes_bom_and_mllp_files_to_this_reader(tmp_path: Path) -> None:
    path = tmp_path / "day.hl7"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(stay()).encode("utf-8"))
    assert detect_format(path.read_bytes()[:64], path.name) == InputFormat.hl7v2
    results = list(read_paths([str(path)], ParseContext(tz=TZ)))
    assert [type(r) for r in results] == [Episode]


def test_delimiters_come_from_msh1_and_msh2() -> None:
    line = "MSH#$*!%#HIS"
    d = Delimiters.from_msh(line)
    assert (d.field, d.component, d.repetition, d.escape, d.subcomponent) == tuple("#$*!%")
    segment = Er7Segment("PV1#1#I#W1$101$3*W9##x!F!y", d)
    assert segment.value(3, 2) == "101"
    assert segment.value(3, 1, repetition=1) == "W9"
    assert segment.value(5) == "x#y"


@pytest.mark.parametrize(
    "escaped, plain",
    [
        ("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f", "a|b^c&d~e\\f"),
        ("第一行\\.br\\第二行", "第一行\n第二行"),
        ("\\H\\重要\\N\\", "重要"),
        ("\\Xe4b8ad\\", "中"),
        ("C:\\temp\\x", "C:\\temp\\x"),
        ("unterminated \\F", "unterminated \\F"),
    ],
)
def test_escape_sequences(escaped: str, plain: str) -> None:
    assert unescape(escaped, Delimiters.from_msh("MSH|^~\\&|")) == plain


def test_empty_and_explicit_null_values_are_none() -> None:
    segment = Er7Segment('PID|1||""||^三', Delimiters.from_msh("MSH|^~\\&|"))
    assert segment.value(3) is None
    assert segment.value(4) is None
    assert segment.value(5, 1) is None
    assert segment.value(5, 2) == "三"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("20250303092000", dt.datetime(2025, 3, 3, 9, 20, tzinfo=TZ)),
        ("202503030920+0000", dt.datetime(2025, 3, 3, 9, 20, tzinfo=dt.UTC)),
        ("20250303092000.1234-0500", dt.datetime(2025, 3, 3, 14, 20, 0, 123400, tzinfo=dt.UTC)),
        ("20250303", dt.date(2025, 3, 3)),
        ("2025030309", dt.date(2025, 3, 3)),
        ("202503", None),
    ],
)
def test_timestamps_keep_their_precision(text: str, expected: object) -> None:
    assert parse_timestamp(text, TZ) == expected


@pytest.mark.parametrize("text", ["2025133109", "20250303x", "2025-03-03", "202503030920+25"])
def test_invalid_timestamps_are_refused(text: str) -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(text, TZ)


def test_message_times_without_offset_take_the_site_timezone() -> None:
    episode = read(*stay()).episode
    assert episode.admitted_at == dt.datetime(2025, 3, 3, 9, 20, tzinfo=TZ)


def test_gb18030_feed_named_in_msh18_is_decoded() -> None:
    message = adt("A01", T0).replace("P|2.5", "P|2.5||||||GB 18030-2000", 1)
    result = read_bytes((message + "\n").encode("gb18030"))
    assert result.episode.patient.name == "测试患者"


def test_bytes_that_are_not_the_declared_charset_make_their_stay_one_problem() -> None:
    good = adt("A01", T0).encode("utf-8")
    bad = mdm("d1", T0 + H).encode("gb18030")
    result = read_bytes(good + b"\n" + bad + b"\n")
    assert result.episodes == []
    [problem] = result.problems
    assert (problem.position, problem.episode_id) == ("message 1 (ADT^A01, line 1)", "V001")
    assert "message 2 (MDM^T02, line 5): not valid utf-8" in problem.reason


def test_undecodable_bytes_of_a_visit_not_in_the_file_are_a_problem_of_their_own() -> None:
    good = adt("A01", T0).encode("utf-8")
    bad = mdm("d1", T0 + H, visit="V002").encode("gb18030")
    result = read_bytes(good + b"\n" + bad + b"\n")
    assert [p.position for p in result.problems] == ["message 2 (MDM^T02, line 5)"]
    assert "not valid utf-8" in result.problems[0].reason
    assert result.problems[0].episode_id == "V002"
    assert result.episode.id == "V001"


# ---------------------------------------------------------------- ADT semantics


def test_admit_transfer_discharge_makes_one_episode() -> None:
    episode = read(*stay()).episode
    assert episode.id == "V001"
    assert episode.patient.id == "P001"
    assert episode.admitted_at == T0
    assert episode.department == "普外科"
    assert episode.ward == "W2"
    assert [(t.id, t.at, t.from_department, t.to_department) for t in episode.transfers] == [
        ("T-1", T0 + D, "普外科", "ICU")
    ]
    assert episode.discharged_at == T0 + 5 * D
    assert episode.discharge_department == "ICU"
    assert episode.disposition == "routine"
    assert episode.died_at is None


def test_messages_apply_in_msh7_order_whatever_the_file_order() -> None:
    assert read(*reversed(stay())).episode == read(*stay()).episode


def test_cancelled_discharge_reopens_the_episode() -> None:
    discharge = adt("A03", T0 + 2 * D, discharged=T0 + 2 * D, disposition="01")
    cancel = adt("A13", T0 + 2 * D + H)
    episode = read(adt("A01", T0), discharge, cancel).episode
    assert episode.discharged_at is None
    assert episode.disposition is None
    again = adt("A03", T0 + 4 * D, discharged=T0 + 4 * D, disposition="07")
    episode = read(adt("A01", T0), discharge, cancel, again).episode
    assert (episode.discharged_at, episode.disposition) == (T0 + 4 * D, "against_advice")


def test_cancelled_transfer_removes_the_last_transfer_only() -> None:
    episode = read(
        adt("A01", T0),
        adt("A02", T0 + D, department="ICU", control="T-1"),
        adt("A02", T0 + 2 * D, department="心内科", control="T-2"),
        adt("A12", T0 + 2 * D + H),
        adt("A03", T0 + 3 * D, department="", discharged=T0 + 3 * D),
    ).episode
    assert [t.id for t in episode.transfers] == ["T-1"]
    assert episode.discharge_department == "ICU"


def test_a_bed_move_is_not_a_transfer_but_its_cancellation_undoes_only_it() -> None:
    episode = read(
        adt("A01", T0),
        adt("A02", T0 + D, department="ICU", control="T-1"),
        adt("A02", T0 + 2 * D, department="ICU", ward="ICU-2"),
        adt("A12", T0 + 2 * D + H),
    ).episode
    assert [t.id for t in episode.transfers] == ["T-1"]


def test_cancelled_admission_makes_no_episode_and_is_counted() -> None:
    result = read(adt("A01", T0), mdm("d1", T0 + H), adt("A11", T0 + 2 * H))
    assert result.episodes == [] and result.problems == []
    assert result.skipped["HL7 visits whose admission was cancelled (A11)"] == 1


def test_readmission_after_a_cancelled_admission_starts_clean() -> None:
    result = read(
        adt("A01", T0),
        adt("A02", T0 + H, department="ICU"),
        adt("A11", T0 + 2 * H),
        adt("A01", T0 + 3 * H, admitted=T0 + 3 * H),
    )
    assert result.episode.admitted_at == T0 + 3 * H
    assert result.episode.transfers == []


def test_merge_moves_the_old_patient_ids_visits_to_the_surviving_patient() -> None:
    merge = "\r".join(
        [msh("ADT^A40", T0 + 3 * D), f"EVN|A40|{ts(T0 + 3 * D)}", pid("P002"), "MRG|P001^^^H1^MR"]
    )
    result = read(
        adt("A01", T0, patient="P001"),
        adt("A01", T0 + D, visit="V002", patient="P001", admitted=T0 + D),
        merge,
        adt("A03", T0 + 4 * D, patient="P002", discharged=T0 + 4 * D),
    )
    assert result.problems == []
    assert sorted((e.id, e.patient.id) for e in result.episodes) == [
        ("V001", "P002"),
        ("V002", "P002"),
    ]
    assert next(e for e in result.episodes if e.id == "V001").discharged_at == T0 + 4 * D


def test_merge_joins_visits_grouped_by_patient_and_admit_time() -> None:
    merge = "\r".join(
        [msh("ADT^A40", T0 + D), f"EVN|A40|{ts(T0 + D)}", pid("P002"), "MRG|P001^^^H1^MR"]
    )
    result = read(
        adt("A01", T0, visit="", patient="P001"),
        merge,
        adt("A03", T0 + 2 * D, visit="", patient="P002", discharged=T0 + 2 * D),
    )
    assert result.episode.patient.id == "P002"
    assert result.episode.discharged_at == T0 + 2 * D
    assert result.episode.id.startswith("P002@2025-03-03T09:20:00")


def test_merge_of_visit_numbers_a42() -> None:
    merge = "\r".join(
        [
            msh("ADT^A42", T0 + D),
            f"EVN|A42|{ts(T0 + D)}",
            pid(),
            "MRG|P001^^^H1^MR||||V-OLD",
            pv1("V-NEW"),
        ]
    )
    result = read(adt("A01", T0, visit="V-OLD"), merge, mdm("d1", T0 + 2 * D, visit="V-NEW"))
    assert result.episode.id == "V-NEW"
    assert [d.id for d in result.episode.documents] == ["d1"]


def test_death_from_disposition_or_death_fields() -> None:
    by_code = read(adt("A01", T0), adt("A03", T0 + D, discharged=T0 + D, disposition="20"))
    assert by_code.episode.disposition == "death"
    died = T0 + D - H
    by_pid = read(
        adt("A01", T0),
        adt("A03", T0 + D, discharged=T0 + D, pid_extra="|" * 21 + f"{ts(died)}|Y"),
    )
    assert (by_pid.episode.disposition, by_pid.episode.died_at) == ("death", died)


def test_update_a08_corrects_admission_fields() -> None:
    episode = read(
        adt("A01", T0), adt("A08", T0 + H, admitted=T0 - H, department="胃肠外科")
    ).episode
    assert (episode.admitted_at, episode.department) == (T0 - H, "胃肠外科")


def test_episode_without_its_admission_is_reported_not_invented() -> None:
    result = read(adt("A08", T0), adt("A03", T0 + D, discharged=T0 + D), mdm("d1", T0 + H))
    assert result.episodes == []
    [problem] = result.problems
    assert problem.episode_id == "V001"
    assert problem.position == "message 1 (ADT^A08, line 1)"
    assert "3 messages" in problem.reason and "never seen" in problem.reason


def test_outpatient_registrations_are_not_episodes() -> None:
    result = read(adt("A04", T0, patient_class="O"), mdm("d1", T0 + H))
    assert result.episodes == [] and result.problems == []
    assert result.skipped["HL7 visits that are not inpatient stays (PV1-2)"] == 1


def test_a04_with_an_inpatient_class_admits() -> None:
    assert read(adt("A04", T0)).episode.admitted_at == T0


def test_messages_without_a_visit_number_join_their_patients_only_visit() -> None:
    oru = "\r".join(
        [
            msh("ORU^R01", T0 + 2 * H),
            pid(),
            seg(
                "OBR",
                {
                    1: "1",
                    2: "ORD1",
                    3: "LAB9",
                    4: "718-7^血红蛋白",
                    7: ts(T0 + H),
                    22: ts(T0 + 2 * H),
                },
            ),
            "OBX|1|NM|718-7^血红蛋白||45|g/L||LL|||F",
        ]
    )
    result = read(adt("A01", T0), oru)
    [observation] = result.episode.observations
    assert (observation.id, observation.value, observation.is_critical) == ("LAB9", 45.0, True)
    assert (observation.specimen_at, observation.at) == (T0 + H, T0 + 2 * H)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf"])
def test_a_numeric_result_that_is_no_finite_number_is_kept_as_text(text: str) -> None:
    # Python's float() reads these words; the model refuses them, and one odd result must not
    # cost the whole stay
    oru = "\r".join(
        [
            msh("ORU^R01", T0 + 2 * H),
            pid(),
            pv1(),
            seg("OBR", {1: "1", 2: "ORD1", 3: "LAB9", 4: "718-7^血红蛋白", 22: ts(T0 + 2 * H)}),
            f"OBX|1|NM|718-7^血红蛋白||{text}|g/L|||||F",
        ]
    )
    result = read(adt("A01", T0), oru)
    assert result.problems == []
    [observation] = result.episode.observations
    assert observation.value == text


def test_care_team_from_rol_segments_and_pv1_7() -> None:
    rol = "ROL|1|AD|CHIEF^主任医师|D09^郑示例^^^^^主任医师^^^^^^^普外科|" + ts(T0)
    with_pv1 = adt("A01", T0, extra=(rol,)).replace("|||||||普外科", "|||D02^陈示例||||普外科", 1)
    episode = read(with_pv1, adt("A03", T0 + D, discharged=T0 + D)).episode
    assert [(c.role, c.clinician.id, c.clinician.rank) for c in episode.care_team] == [
        ("chief", "D09", "chief")
    ]


# ---------------------------------------------------------------- other message kinds


def test_mdm_documents_upsert_by_txa12_and_t11_cancels() -> None:
    first = mdm("d1", T0 + H, text="初稿")
    edit = mdm("d1", T0 + 2 * H, event="T08", text="修订稿")
    other = mdm("d2", T0 + 3 * H, doc_type="C0049")
    cancel = mdm("d2", T0 + 4 * H, event="T11")
    episode = read(adt("A01", T0), first, edit, other, cancel).episode
    [document] = episode.documents
    assert (document.id, document.kind, document.text) == ("d1", "progress_note", "修订稿")
    assert document.written_at == T0 + 2 * H
    assert document.author is not None and document.author.rank == "resident"


def test_document_types_resolve_through_codes_kind_names_and_titles() -> None:
    messages = [
        mdm("wst", T0 + H, doc_type="C0034"),
        mdm("loinc", T0 + H, doc_type="18842-5"),
        mdm("hl7", T0 + H, doc_type="OP"),
        mdm("name", T0 + H, doc_type="mdt_discussion"),
        mdm("site", T0 + H, doc_type="ZX01"),
    ]
    site = {"document_types": {"ZX01": "critical_notice"}}
    kinds = {d.id: d.kind for d in read(adt("A01", T0), *messages, mapping=site).episode.documents}
    assert kinds == {
        "wst": "admission_note",
        "loinc": "discharge_note",
        "hl7": "operative_note",
        "name": "mdt_discussion",
        "site": "critical_notice",
    }


def test_an_unknown_document_type_makes_its_stay_one_problem_naming_the_message() -> None:
    # checked without the document, a rule needing it would FAIL falsely
    result = read(adt("A01", T0), mdm("d1", T0 + H, doc_type="XYZ"))
    assert result.episodes == []
    [problem] = result.problems
    assert (problem.position, problem.episode_id) == ("message 1 (ADT^A01, line 1)", "V001")
    assert "message 2 (MDM^T02, line 5): document type (TXA-2) maps to no" in problem.reason


def test_signatures_from_txa22_author_and_reviewer() -> None:
    signers = (
        "D01^褚示例^^^^^住院医师^^^^^^^普外科^"
        + ts(T0 + 2 * H)
        + "~D02^陈示例^^^^^主治医师^^^^^^^普外科^"
        + ts(T0 + 5 * H)
    )
    [document] = read(adt("A01", T0), mdm("d1", T0 + H, signers=signers)).episode.documents
    assert document.signed_at == T0 + 2 * H
    assert [(s.role, s.signer.id, s.signer.rank, s.at) for s in document.signatures] == [  # type: ignore[union-attr]
        ("author", "D01", "resident", T0 + 2 * H),
        ("reviewer", "D02", "attending", T0 + 5 * H),
    ]


def _order(kind: str, segments: list[str], at: dt.datetime) -> str:
    return "\r".join([msh(kind, at, f"O-{ts(at)}"), pid(), pv1(), *segments])


def test_orders_from_omg_and_rde_and_their_cancellation() -> None:
    lab = _order(
        "OMG^O19",
        [
            f"ORC|NW|L1|||||||{ts(T0 + H)}|||D01^褚示例",
            "TQ1|1||ONCE",
            seg("OBR", {1: "1", 2: "L1", 4: "CBC^血常规", 24: "LAB"}),
        ],
        T0 + H,
    )
    drug = _order(
        "RDE^O11",
        [
            f"ORC|NW|M1|||||^^^{ts(T0 + 2 * H)}^{ts(T0 + 5 * D)}||{ts(T0 + 2 * H)}",
            "RXE|^Q12H|X001^依诺肝素钠^L^B01AB05^^ATC|40||mg",
            "RXR|SC",
        ],
        T0 + 2 * H,
    )
    cancel = _order("OMG^O19", [f"ORC|CA|L1|||CA||||{ts(T0 + 3 * H)}"], T0 + 3 * H)
    orders = {o.id: o for o in read(adt("A01", T0), lab, drug, cancel).episode.orders}
    assert (orders["L1"].category, orders["L1"].duration, orders["L1"].name) == (
        "lab",
        "one_off",
        "血常规",
    )
    assert orders["L1"].is_cancelled
    medication = orders["M1"]
    assert (medication.category, medication.drug_class, medication.route) == (
        "medication",
        "anticoagulant",
        "sc",
    )
    assert (medication.start, medication.stop, medication.duration) == (
        T0 + 2 * H,
        T0 + 5 * D,
        "long_term",
    )


def test_siu_schedules_a_procedure_that_pr1_later_completes() -> None:
    siu = "\r".join(
        [
            msh("SIU^S12", T0 + D),
            "SCH|OP1|OP1|||||EMERGENCY^急诊|",
            f"TQ1|1||||||{ts(T0 + 2 * D)}|{ts(T0 + 2 * D + 3 * H)}",
            pid(),
            pv1(),
            "RGS|1",
            "AIS|1||52.7^胰十二指肠切除术",
            "AIP|1||S01^郑示例^^^^^主任医师|SURGEON",
        ]
    )
    pr1 = f"PR1|1||52.7^胰十二指肠切除术^ICD9CM||{ts(T0 + 2 * D + H)}|P|||GA||||||||||OP1"
    result = read(
        adt("A01", T0),
        siu,
        adt("A03", T0 + 6 * D, discharged=T0 + 6 * D, extra=(pr1,)),
        mapping={"procedure_levels": {"52.7": 4}},
    )
    [procedure] = result.episode.procedures
    assert (procedure.id, procedure.level, procedure.is_emergency) == ("OP1", 4, True)
    assert (procedure.start, procedure.end) == (T0 + 2 * D + H, T0 + 2 * D + 3 * H)
    assert procedure.surgeon is not None and procedure.surgeon.rank == "chief"
    assert (procedure.category, procedure.anesthesia_method) == ("surgery", "general")


def test_z_segments_are_ignored_and_counted() -> None:
    result = read(adt("A01", T0, extra=("ZPV|1|secret",)))
    assert result.episode.extensions == {}
    assert result.skipped["HL7 Z-segments (not mapped, ignored)"] == 1


# ---------------------------------------------------------------- problems and the stream


def test_problems_name_file_message_and_line_and_the_stream_goes_on() -> None:
    broken = [
        "EVN|A01|20250303",  # segments before any MSH
        adt("A99", T0 + H, visit="V009"),  # unknown event, of no visit of the file
        msh("XYZ^Q01", T0 + H),  # unknown message type
        msh("ADT^A01", T0).replace(ts(T0), "", 1),  # no message time
        "MSH|^~",  # unparsable header
    ]
    result = read(*broken, *stay())
    assert len(result.episodes) == 1
    where = [(p.position, p.line) for p in result.problems]
    assert where == [
        ("message 1 (line 1)", 1),
        ("message 2 (ADT^A99, line 2)", 2),
        ("message 3 (XYZ^Q01, line 6)", 6),
        ("message 4 (ADT^A01, line 7)", 7),
        ("message 5 (line 8)", 8),
    ]
    reasons = [p.reason for p in result.problems]
    assert reasons[0].startswith("missing MSH")
    assert reasons[1] == "unknown event ADT^A99"
    assert reasons[2] == "unknown message type XYZ^Q01"
    assert "MSH-7" in reasons[3]
    assert all(p.file == "feed.hl7" for p in result.problems)


def test_a_damaged_msh_does_not_swallow_the_next_message_into_the_previous_one() -> None:
    first, second = adt("A01", T0), adt("A01", T0, visit="V002", patient="P002")
    damaged = second.replace("MSH|", "MXH|", 1)
    result = read(first, damaged)
    assert [e.id for e in result.episodes] == ["V001"]
    assert [p.reason for p in result.problems] == [
        "missing MSH: the message starts with segment MXH"
    ]


def test_reasons_never_carry_patient_names_or_identifiers() -> None:
    result = read(
        adt("A08", T0, patient="SECRET-ID"),
        mdm("d1", T0 + H, doc_type="XYZ"),
        adt("A99", T0),
    )
    assert result.problems
    for problem in result.problems:
        assert "SECRET-ID" not in problem.reason and "测试患者" not in problem.reason
        assert "V001" not in problem.reason


def test_known_message_types_without_episode_data_are_counted_not_reported() -> None:
    vxu = "\r".join([msh("VXU^V04", T0), pid(), pv1()])
    result = read(adt("A01", T0), vxu, adt("A31", T0))
    assert result.problems == []
    assert result.skipped["HL7 VXU messages (not used)"] == 1
    assert result.skipped["HL7 ADT^A31 messages (not used)"] == 1


def test_site_mapping_overrides_a_code_and_a_bad_one_is_a_problem_per_file() -> None:
    discharge = adt("A03", T0 + D, discharged=T0 + D, disposition="5")
    rc019 = {"dispositions": {"5": "death"}}
    assert read(adt("A01", T0), discharge, mapping=rc019).episode.disposition == "death"
    bad = read(adt("A01", T0), mapping={"dispositions": {"5": "deceased"}})
    [problem] = bad.problems
    assert problem.position == "whole file"
    assert "mapping.hl7v2.dispositions.5" in problem.reason


def test_read_hl7v2_is_what_the_format_router_calls() -> None:
    stream = io.BytesIO("\n".join(stay()).encode("utf-8"))
    results = list(read_hl7v2(stream, "x.hl7", ParseContext(tz=TZ)))
    assert [type(r) for r in results] == [Episode]


def test_hl7apy_is_imported_only_by_the_reference_module() -> None:
    import ast

    from tests.conftest import REPO

    package = REPO / "emrlint"
    users = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "hl7apy" or n.startswith("hl7apy.") for n in names):
                users.add(str(path.relative_to(package)))
    assert users == {"parsers/hl7v2/reference.py"}


def test_a_resent_message_applies_once() -> None:
    transfer = adt("A02", T0 + D, department="ICU", control="T-1")
    result = read(adt("A01", T0), transfer, transfer)
    assert [t.id for t in result.episode.transfers] == ["T-1"]
    assert result.skipped["HL7 messages sent again with the same MSH-10 (applied once)"] == 1


def test_ids_shared_across_lists_are_made_unique() -> None:
    order = "\r".join(
        [
            msh("OMG^O19", T0 + H, "O1"),
            pid(),
            pv1(),
            f"ORC|NW|X1|||||||{ts(T0 + H)}",
            seg("OBR", {1: "1", 2: "X1", 4: "CBC", 24: "LAB"}),
        ]
    )
    result_message = "\r".join(
        [
            msh("ORU^R01", T0 + 2 * H, "R1"),
            pid(),
            pv1(),
            seg("OBR", {1: "1", 2: "X1", 3: "X1", 4: "CBC", 22: ts(T0 + 2 * H)}),
            "OBX|1|NM|718-7^血红蛋白||120|g/L|||||F",
        ]
    )
    episode = read(adt("A01", T0, control="X1"), order, result_message, mdm("X1", T0)).episode
    assert [o.id for o in episode.orders] == ["X1"]
    assert [d.id for d in episode.documents] == ["X1~2"]
    assert [(x.id, x.order_id) for x in episode.observations] == [("X1~3", "X1")]


# ---------------------------------------------------------------- a stay read whole, or not at all


def _oru(at: dt.datetime, filler: str, reported: str, visit: str = "V001") -> str:
    return "\r".join(
        [
            msh("ORU^R01", at, f"R-{filler}"),
            pid(),
            f"PV1|1|I|||||||||||||||||{visit}",
            seg("OBR", {1: "1", 2: "L1", 3: filler, 4: "718-7^血红蛋白", 22: reported}),
            "OBX|1|NM|718-7^血红蛋白||120|g/L|||||F",
        ]
    )


def _with_segment(message: str, index: int, tail: str) -> str:
    """`message` with `tail` appended to its segment at `index` (fields past the helper's)."""
    segments = message.split("\r")
    segments[index] += tail
    return "\r".join(segments)


def test_a_stay_part_of_which_cannot_be_read_is_one_problem_listing_every_reason() -> None:
    unidentified = mdm("", T0 + H)  # no TXA-12
    no_order_id = _order("OMG^O19", ["ORC|NW", seg("OBR", {1: "1", 4: "CBC"})], T0 + 2 * H)
    bad_time = _oru(T0 + 3 * H, "LAB1", "2025031X")
    result = read(adt("A01", T0), unidentified, no_order_id, bad_time, adt("A01", T0, visit="V2"))
    assert [e.id for e in result.episodes] == ["V2"]  # the file's other stay is still read
    [problem] = result.problems
    assert (problem.position, problem.line, problem.episode_id) == (
        "message 1 (ADT^A01, line 1)",
        1,
        "V001",
    )
    assert problem.reason == (
        "part of this visit cannot be read, so it is not checked;"
        " message 2 (MDM^T02, line 5): TXA-12 unique document number is missing;"
        " message 3 (OMG^O19, line 11): an order has no placer or filler number (ORC-2/ORC-3);"
        " message 4 (ORU^R01, line 16): OBR-22 is not a valid date/time (TS)"
    )


@pytest.mark.parametrize(
    "damaged, reason",
    [
        (mdm("d1", T0 + H).replace(f"|TX|{ts(T0 + H)}|", "|TX|2025030X|"), "TXA-4 is not a"),
        (
            mdm("d1", T0 + H, signers=f"D01^褚示例^^^^^住院医师^^^^^^^普外科^{ts(T0)[:7]}"),
            "TXA-22.15 is not a valid date/time (TS)",
        ),
        (
            adt("A03", T0 + D, discharged=T0 + D).replace(ts(T0 + D), "20250304256", 1),
            "MSH-7 message time is missing or not a valid TS value",
        ),
        (
            adt("A03", T0 + D).replace(f"|{ts(T0)}|", f"|{ts(T0)}|2025-03-04", 1),
            "PV1-45 is not a valid date/time (TS)",
        ),
        (
            _with_segment(adt("A03", T0 + D, discharged=T0 + D), 3, "||一千二百元"),
            "PV1-47 total charges is not a number",
        ),
        (
            adt("A03", T0 + D, discharged=T0 + D, extra=("ZFP||||two",)),
            "ZFP-4 (rescue_count) is not a valid whole number",
        ),
        (
            _order("OMG^O19", ["ORC|NW|L1|||||||yesterday"], T0 + H),
            "ORC-9 is not a valid date/time (TS)",
        ),
        (
            mdm("d1", T0 + H, extra=("ZSG|d1|bystander|D01^褚示例",)),
            "documents item cannot be read: signatures.0.role: Input should be",
        ),
        (
            adt("A03", T0 + D).replace(f"EVN|A03|{ts(T0 + D)}||||{ts(T0 + D)}", "EVN|A03"),
            "discharge without a time (PV1-45, EVN-6, EVN-2)",
        ),
    ],
    ids=[
        "TXA-4",
        "TXA-22 signature time",
        "MSH-7 of the message",
        "PV1-45",
        "PV1-47",
        "Z-segment value",
        "ORC-9",
        "an item the model refuses",
        "discharge without a time",
    ],
)
def test_a_part_that_cannot_be_read_makes_its_stay_one_problem_naming_it(
    damaged: str, reason: str
) -> None:
    # checked without the value (a document with no time, a discharge read as still in
    # hospital), a rule could FAIL falsely
    result = read(adt("A01", T0), damaged)
    assert result.episodes == []
    [problem] = result.problems
    assert (problem.position, problem.episode_id) == ("message 1 (ADT^A01, line 1)", "V001")
    assert "message 2 (" in problem.reason and reason in problem.reason
    assert "SECRET" not in problem.reason and "P001" not in problem.reason


def test_unmapped_codes_coarse_times_and_values_kept_as_written_keep_the_stay() -> None:
    """The line: what is not in a code table, or less precise than the model holds, or kept as
    the source wrote it, is no part that cannot be read."""
    unmapped_diagnosis = "DG1|1||K35.8^急性阑尾炎||20250303|XX"  # DG1-6 in no table: counted
    admit = adt("A01", T0, extra=(unmapped_diagnosis, "ZPV|1|site data"))
    year_only = mdm("d1", T0 + H).replace(f"|TX|{ts(T0 + H)}|", "|TX|2025|")
    text_result = _oru(T0 + 2 * H, "LAB1", ts(T0 + 2 * H)).replace("||120|", "||>200|")
    drug = _order(
        "OMP^O09",
        [f"ORC|NW|M1|||||||{ts(T0 + H)}", "RXO|X1^某药", "RXR|FOO"],
        T0 + H,
    )
    discharge = adt("A03", T0 + D, discharged=T0 + D, disposition="ZZ", ward="W9")
    result = read(admit, year_only, text_result, drug, discharge)
    assert result.problems == []
    episode = result.episode
    assert episode.disposition is None and episode.diagnoses == []
    assert episode.documents[0].written_at is None
    assert episode.observations[0].value == ">200"
    assert episode.orders[0].route == "foo"
    assert result.skipped["HL7 DG1 segments with an unmapped diagnosis type (DG1-6)"] == 1


def test_a_message_that_cannot_be_read_joins_the_problem_of_the_stay_it_names() -> None:
    unknown_event = adt("A99", T0 + H)
    no_time = mdm("d1", T0 + 2 * H).replace(ts(T0 + 2 * H), "", 1)
    result = read(adt("A01", T0), unknown_event, no_time, adt("A01", T0, visit="V2"))
    assert [e.id for e in result.episodes] == ["V2"]
    [problem] = result.problems
    assert (problem.position, problem.episode_id) == ("message 1 (ADT^A01, line 1)", "V001")
    assert problem.reason == (
        "part of this visit cannot be read, so it is not checked;"
        " message 2 (ADT^A99, line 5): unknown event ADT^A99;"
        " message 3 (MDM^T02, line 9): MSH-7 message time is missing or not a valid TS value"
    )


def test_an_unreadable_message_without_a_visit_number_joins_its_patients_only_visit() -> None:
    result_without_visit = "\r".join(
        [msh("ORU^R01", T0 + H).replace(ts(T0 + H), "20250303X"), pid(), "OBX|1|NM|X||1"]
    )
    result = read(adt("A01", T0), result_without_visit)
    assert result.episodes == []
    [problem] = result.problems
    assert problem.episode_id == "V001" and "message 2 (ORU^R01, line 5): MSH-7" in problem.reason


def test_an_unreadable_message_of_a_merged_visit_joins_the_surviving_stay() -> None:
    merge = "\r".join(
        [msh("ADT^A42", T0 + H, "M1"), f"EVN|A42|{ts(T0 + H)}", pid(), pv1("V001"), "MRG|||||V0"]
    )
    old_number = adt("A99", T0 + 2 * H, visit="V0")
    result = read(adt("A01", T0), merge, old_number)
    assert result.episodes == []
    assert [p.episode_id for p in result.problems] == ["V001"]


def test_a_message_too_damaged_to_name_its_stay_is_a_problem_of_its_own() -> None:
    cut_short = adt("A08", T0 + 2 * H)[:12]  # MSH cut: names nothing
    result = read(adt("A01", T0), cut_short)
    assert result.episode.id == "V001"  # the stay is read without it: which it was is unknown
    assert [(p.position, p.episode_id) for p in result.problems] == [("message 2 (line 5)", None)]


def test_a_visit_whose_every_message_cannot_be_read_is_one_problem_naming_it() -> None:
    unknown = adt("A99", T0 + H, visit="V9")
    no_time = mdm("d1", T0 + 2 * H, visit="V9").replace(ts(T0 + 2 * H), "", 1)
    result = read(adt("A01", T0), unknown, no_time)
    assert result.episode.id == "V001"
    [problem] = result.problems
    assert (problem.position, problem.episode_id) == ("message 2 (ADT^A99, line 5)", "V9")
    assert problem.reason == (
        "unknown event ADT^A99; message 3 (MDM^T02, line 9): MSH-7 message time is missing or"
        " not a valid TS value"
    )


def test_a_cancelled_visit_with_an_unreadable_part_is_reported_not_counted() -> None:
    # the unreadable message may be the one that admitted the patient again
    result = read(adt("A01", T0), adt("A11", T0 + H), mdm("", T0 + 2 * H))
    [problem] = result.problems
    assert problem.episode_id == "V001" and "TXA-12" in problem.reason
    assert result.skipped["HL7 visits whose admission was cancelled (A11)"] == 0


def test_the_problem_of_a_stay_lists_each_reason_once_and_counts_past_five() -> None:
    two_without_ids = _order("OMG^O19", ["ORC|NW", "ORC|NW"], T0 + H)
    damaged = [_oru(T0 + n * H, f"LAB{n}", "X") for n in range(2, 9)]
    result = read(adt("A01", T0), two_without_ids, *damaged)
    [problem] = result.problems
    assert problem.reason.count("an order has no placer or filler number") == 1
    assert problem.reason.count("OBR-22 is not a valid date/time (TS)") == 4
    assert problem.reason.endswith("; and 3 more")
