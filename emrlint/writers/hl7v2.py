"""Episode -> an HL7 v2.5 message archive, following the conventions the HL7 v2 reader reads.

One string per episode: messages separated by a newline, segments by CR, in MSH-7 order —
ADT^A01 at admission, an ADT^A02 per transfer, an ADT^A08 per condition-level change (PV2-42),
ADT^A03 at discharge (death in PV1-36 and PID-29/30) or an ADT^A08 while in hospital (DG1
diagnoses and PR1 procedures ride on it), SIU^S12 per procedure (emergency flag, its order,
end time), MDM^T02 per document, OMG^O19 per order and OMP^O09 per medication order, ORU^R01
per result and per assessment. Codes come from the shipped mapping tables (never a site's
overrides), so the default reader reads them back.

What no standard segment carries travels in emrlint's Z-segments (`parsers/hl7v2/zsegments.py`,
docs/hl7v2-mapping.md "emrlint Z-segments"), placed after the standard segments: ZDG/ZPR and
the episode's ZFP, ZTR, ZCC, ZCT, ZEV, ZCN, ZAD in the closing ADT (A03, or A08 while in
hospital), ZDC and ZSG in each MDM, ZOR in each order, ZOB/ZAS in each ORU. With them the
default reader gives the episode back whole. It reads no files and writes none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from emrlint.model import (
    Assessment,
    Clinician,
    Diagnosis,
    Document,
    Episode,
    Observation,
    Order,
    Procedure,
    Signature,
)
from emrlint.model.vocabulary import Vocabulary, default_vocabulary
from emrlint.parsers.hl7v2.mapping import Hl7Mapping, default_mapping, reverse
from emrlint.parsers.hl7v2.zsegments import SPECS, encode, escape, format_timestamp

__all__ = ["carried_signatures", "episode_to_hl7v2", "format_timestamp"]

_FINAL = ("", "", "", "", "", "F")  # OBX-6..OBX-11: result status F (final), required


def episode_to_hl7v2(episode: Episode, vocabulary: Vocabulary | None = None) -> str:
    """The episode as HL7 v2.5 messages, in time order (ties keep the order written)."""
    return _Writer(episode, default_mapping(), vocabulary or default_vocabulary()).archive()


def carried_signatures(d: Document) -> list[Signature]:
    """The signatures TXA-22 carries: the author's (its time is `signed_at`) and reviewers'.

    HL7 gives an authentication no role, so the reader calls the originator's (TXA-9) the
    author signature and every other one a reviewer's; other roles (surgeon, chair, patient…)
    are not written. A signed document with no author signature gets one at `signed_at`.
    """
    author_id = d.author.id if d.author is not None else None
    author = [
        s
        for s in d.signatures
        if s.role == "author" and s.signer is not None and author_id and s.signer.id == author_id
    ][:1]
    if author:
        author = [Signature(role="author", signer=author[0].signer, at=author[0].at)]
    elif d.signed_at is not None and d.author is not None and author_id:
        author = [Signature(role="author", signer=d.author, at=d.signed_at)]
    reviewers = [
        s
        for s in d.signatures
        if s.role == "reviewer"
        and s.signer is not None
        and not (author_id and s.signer.id == author_id)
    ]
    return [*author, *reviewers]


_esc = escape


def _ts(value: dt.datetime | dt.date | None) -> str:
    return format_timestamp(value) if value is not None else ""


def _segment(name: str, *fields: str) -> str:
    return "|".join((name, *fields)).rstrip("|")


class _Writer:
    def __init__(self, episode: Episode, mapping: Hl7Mapping, vocabulary: Vocabulary) -> None:
        self.episode = episode
        self.mapping = mapping
        self.vocabulary = vocabulary
        self.codes = {
            table: reverse(mapping, table)
            for table in (
                "sexes",
                "admission_routes",
                "dispositions",
                "condition_levels",
                "title_ranks",
                "care_roles",
                "diagnosis_roles",
                "document_types",
                "procedure_categories",
                "anesthesia_methods",
                "order_categories",
                "observation_categories",
                "routes",
                "drug_classes",
                "order_purposes",
            )
        }
        self.messages: list[tuple[dt.datetime, str]] = []

    # ------------------------------------------------------------------ archive
    def archive(self) -> str:
        ep = self.episode
        self.adt("A01", ep.admitted_at, self.pv1(ep.department, ep.ward), self.care_team())
        department = ep.department
        for transfer in ep.transfers:
            department = transfer.to_department
            pv1 = self.pv1(department, None, admitted=False)
            self.adt("A02", transfer.at, pv1, control=transfer.id)
        for change in ep.condition_levels:
            pv2 = _segment("PV2", *[""] * 41, self.codes["condition_levels"][change.level])
            self.adt("A08", change.at, self.visit_pv1(), [pv2])
        closing = [*self.diagnoses(), *self.procedures(), *self.episode_z()]
        if ep.discharged_at is not None:
            pv1 = self.pv1(ep.discharge_department or department, None, discharge=True)
            self.adt("A03", ep.discharged_at, pv1, closing, death=True)
        else:
            self.adt("A08", self.last_time(), self.pv1(department, None), closing)
        for procedure in ep.procedures:
            self.siu(procedure)
        for document in ep.documents:
            self.mdm(document)
        for order in ep.orders:
            self.order(order)
        for observation in ep.observations:
            self.oru(observation)
        for assessment in ep.assessments:
            self.assessment(assessment)
        ordered = sorted(self.messages, key=lambda m: m[0])
        return "\n".join(text for _, text in ordered) + "\n"

    def last_time(self) -> dt.datetime | dt.date:
        times: list[dt.datetime] = [self.instant(self.episode.admitted_at)]
        for _, item in self.episode.iter_items():
            for name in ("written_at", "ordered_at", "at", "start", "end"):
                value = getattr(item, name, None)
                if value is not None:
                    times.append(self.instant(value))
        return max(times)

    def instant(self, value: dt.datetime | dt.date) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        tz = (
            self.episode.admitted_at.tzinfo
            if isinstance(self.episode.admitted_at, dt.datetime)
            else dt.UTC
        )
        return dt.datetime.combine(value, dt.time(), tzinfo=tz)

    def add(
        self,
        kind: str,
        at: dt.datetime | dt.date | None,
        body: Iterable[str],
        control: str | None = None,
    ) -> None:
        when = at if at is not None else self.episode.admitted_at
        number = len(self.messages) + 1
        site = _esc(self.episode.site_id)
        msh = _segment(
            "MSH",
            "^~\\&",
            "EMRLINT",
            site,
            "EMRLINT",
            site,
            _ts(when),
            "",
            kind,
            _esc(control or f"{self.episode.id}-{number}"),
            "P",
            "2.5",
            "",
            "",
            "",
            "",
            "CHN",
            "UNICODE UTF-8",
        )
        self.messages.append((self.instant(when), "\r".join([msh, *body])))

    # ------------------------------------------------------------------ people and places
    def xcn(self, person: Clinician | None, at: dt.datetime | dt.date | None = None) -> str:
        """XCN (or PPN with `at`): id, name, degree = title rank, assigning facility = 科室."""
        if person is None:
            return ""
        parts = [""] * 15
        parts[0] = _esc(person.id)
        parts[1] = _esc(person.name)
        if person.rank is not None:
            parts[6] = _esc(self.codes["title_ranks"].get(person.rank))
        parts[13] = _esc(person.department)
        if at is not None:
            parts[14] = _ts(at)
        return "^".join(parts).rstrip("^")

    def pid(self, death: bool = False) -> str:
        ep = self.episode
        patient = ep.patient
        fields = [
            "1",
            "",
            f"{_esc(patient.id)}^^^{_esc(ep.site_id)}^MR",
            "",
            _esc(patient.name),
            "",
            _ts(patient.birth_date),
            self.codes["sexes"].get(patient.sex, "U"),
        ]
        if death and (ep.died_at is not None or ep.disposition == "death"):
            fields += [""] * 20 + [_ts(ep.died_at), "Y"]
        return _segment("PID", *fields)

    def pv1(
        self,
        department: str | None,
        ward: str | None,
        admitted: bool = True,
        discharge: bool = False,
    ) -> str:
        ep = self.episode
        fields = [""] * 47
        fields[0], fields[1] = "1", "I"
        fields[2] = _esc(ward)
        fields[9] = _esc(department)
        fields[18] = _esc(ep.id)
        if admitted:
            attending = next((c for c in ep.care_team if c.role == "attending"), None)
            fields[6] = self.xcn(attending.clinician if attending else None)
            fields[13] = self.codes["admission_routes"].get(ep.admission_route, "")
            fields[43] = _ts(ep.admitted_at)
        if discharge:
            fields[35] = self.codes["dispositions"].get(ep.disposition, "")
            fields[44] = _ts(ep.discharged_at)
            fields[46] = f"{ep.total_cost:.2f}" if ep.total_cost is not None else ""
        return _segment("PV1", *fields)

    def visit_pv1(self) -> str:
        return _segment("PV1", "1", "I", *[""] * 16, _esc(self.episode.id))

    # ------------------------------------------------------------------ ADT
    def adt(
        self,
        event: str,
        at: dt.datetime | dt.date | None,
        pv1: str,
        extra: Iterable[str] = (),
        control: str | None = None,
        death: bool = False,
    ) -> None:
        structure = {"A01": "ADT_A01", "A02": "ADT_A02", "A03": "ADT_A03", "A08": "ADT_A01"}
        evn = _segment("EVN", event, _ts(at), "", "", "", _ts(at))
        body = [evn, self.pid(death), pv1, *extra]
        self.add(f"ADT^{event}^{structure[event]}", at, body, control)

    def care_team(self) -> list[str]:
        rows = []
        for n, assignment in enumerate(self.episode.care_team, start=1):
            role = self.codes["care_roles"].get(assignment.role, "")
            person = self.xcn(assignment.clinician)
            rows.append(_segment("ROL", str(n), "AD", role, person, _ts(assignment.start)))
        return rows

    def episode_z(self) -> list[str]:
        """emrlint Z-segments of the closing ADT: diagnosis and procedure extensions, the
        首页 fields, and what only they carry (events, consultations, administrations)."""
        ep = self.episode
        front = {name: getattr(ep, name, None) for name, _ in SPECS["ZFP"].fields}
        front["birth_date"] = ep.patient.birth_date
        rows = [encode(SPECS["ZDG"], d) for d in ep.diagnoses]
        rows += [encode(SPECS["ZPR"], p) for p in ep.procedures]
        rows.append(encode(SPECS["ZFP"], front))
        for name, items in (
            ("ZTR", ep.transfers),
            ("ZCC", ep.condition_levels),
            ("ZCT", ep.care_team),
            ("ZEV", ep.events),
            ("ZCN", ep.consultations),
            ("ZAD", ep.administrations),
        ):
            rows += [encode(SPECS[name], item) for item in items]
        return rows

    def diagnoses(self) -> list[str]:
        rows = []
        for n, diagnosis in enumerate(self.episode.diagnoses, start=1):
            role = diagnosis.role.value
            kind = "final" if role in ("principal", "secondary") else role
            priority = {"principal": "1", "secondary": "2"}.get(role, "")
            code = self.diagnosis_code(diagnosis)
            fields = [str(n), "", code, "", _ts(diagnosis.recorded_at)]
            fields += [self.codes["diagnosis_roles"].get(kind, "")] + [""] * 8
            fields += [priority, "", "", "", "", _esc(diagnosis.id)]
            rows.append(_segment("DG1", *fields))
        return rows

    def diagnosis_code(self, d: Diagnosis) -> str:
        """ICD-10 code and name; the alternate coding carries the ICD-O morphology or else
        the external cause (one alternate only: an external cause beside a morphology is lost)."""
        parts = [_esc(d.code), _esc(d.name), "I10" if d.code else "", "", "", ""]
        if d.morphology_code:
            parts[3], parts[5] = _esc(d.morphology_code), min(self.mapping.morphology_systems)
        elif d.external_cause_code:
            parts[3], parts[5] = _esc(d.external_cause_code), "I10"
        return "^".join(parts).rstrip("^")

    def procedures(self) -> list[str]:
        rows = []
        for n, procedure in enumerate(self.episode.procedures, start=1):
            rows.append(_segment("PR1", *self.pr1_fields(n, procedure)))
        return rows

    def pr1_fields(self, n: int, p: Procedure) -> list[str]:
        minutes = ""
        if isinstance(p.start, dt.datetime) and isinstance(p.end, dt.datetime):
            seconds = (p.end - p.start).total_seconds()
            if seconds >= 0 and seconds % 60 == 0:
                minutes = str(int(seconds // 60))
        method = p.anesthesia_method
        fields = [""] * 19
        fields[0] = str(n)
        fields[2] = f"{_esc(p.code)}^{_esc(p.name)}^ICD9CM" if p.code or p.name else ""
        fields[4] = _ts(p.start)
        fields[5] = self.codes["procedure_categories"].get(p.category, "") if p.category else ""
        fields[6] = minutes
        fields[7] = self.xcn(p.anesthetist)
        fields[8] = _esc(self.codes["anesthesia_methods"].get(method, method) if method else "")
        fields[10] = self.xcn(p.surgeon)
        fields[11] = "~".join(self.xcn(a) for a in p.assistants)
        fields[18] = _esc(p.id)
        return fields

    # ------------------------------------------------------------------ other messages
    def siu(self, p: Procedure) -> None:
        order = next((o for o in self.episode.orders if o.about == p.id), None)
        reason = "EMERGENCY^急诊" if p.is_emergency else "ROUTINE^择期"
        sch = [""] * 26
        sch[0] = sch[1] = _esc(p.id)
        sch[5] = "S12^新预约"
        sch[6] = reason
        sch[15] = self.xcn(p.surgeon)
        sch[19] = self.xcn(p.surgeon)
        sch[24] = "Booked"
        sch[25] = _esc(order.id) if order is not None else ""
        body = [
            _segment("SCH", *sch),
            _segment("TQ1", "1", "", "", "", "", "", _ts(p.start), _ts(p.end)),
            self.pid(),
            self.visit_pv1(),
            _segment("RGS", "1"),
            _segment("AIS", "1", "", f"{_esc(p.code)}^{_esc(p.name)}", _ts(p.start)),
        ]
        people = [(p.surgeon, "SURGEON"), (p.anesthetist, "ANESTHETIST")]
        people += [(a, "ASSISTANT") for a in p.assistants]
        for n, (person, kind) in enumerate((x for x in people if x[0] is not None), start=1):
            body.append(_segment("AIP", str(n), "", self.xcn(person), kind))
        when = p.ordered_at or p.start
        self.add("SIU^S12^SIU_S12", when, body)

    def mdm(self, d: Document) -> None:
        ppns = [self.xcn(s.signer, s.at) for s in carried_signatures(d)]
        txa = [""] * 22
        txa[0], txa[1], txa[2] = "1", _esc(self.document_type(d.kind)), "TX"
        txa[3] = _ts(d.written_at)
        txa[4] = "~".join(self.xcn(p) for p in d.participants)
        txa[8] = self.xcn(d.author)
        txa[11] = _esc(d.id)
        txa[13] = _esc(d.about)
        txa[16] = "AU" if ppns else "DO"
        txa[18] = "AV"
        txa[21] = "~".join(ppns)
        code = self.document_type(d.kind)
        body = [
            _segment("EVN", "T02", _ts(d.written_at or self.episode.admitted_at)),
            self.pid(),
            self.visit_pv1(),
            _segment("TXA", *txa),
            _segment("OBX", "1", "TX", f"{_esc(code)}^{_esc(d.title)}", "", _esc(d.text), *_FINAL),
        ]
        for n, section in enumerate(d.sections, start=2):
            section_code = f"{self.mapping.section_code}^{_esc(section)}"
            body.append(_segment("OBX", str(n), "ST", section_code, "", "", *_FINAL))
        body.append(encode(SPECS["ZDC"], d))
        for signature in d.signatures:
            body.append(encode(SPECS["ZSG"], {"document": d.id, **dict(signature)}))
        self.add("MDM^T02^MDM_T02", d.written_at or d.signed_at, body)

    def document_type(self, kind: str) -> str:
        """A TXA-2 code that reads back as exactly this kind: its own WS/T 500 or LOINC code,
        else the mapping's code for it, else the kind's name."""
        info = self.vocabulary.kinds.get(kind)
        if info is not None:
            for code in (info.wst500, info.loinc):
                if code and self._only_kind_with(code) == kind:
                    return code
        return self.codes["document_types"].get(kind, kind)

    def _only_kind_with(self, code: str) -> str | None:
        found = [i.name for i in self.vocabulary.kinds.values() if code in (i.wst500, i.loinc)]
        return found[0] if len(found) == 1 else None

    def order(self, o: Order) -> None:
        orc = [""] * 12
        orc[0] = "CA" if o.is_cancelled else "NW"
        orc[1] = _esc(o.id)
        orc[4] = "CA" if o.is_cancelled else ""
        orc[7] = _esc(o.about)
        orc[8] = _ts(o.ordered_at)
        orc[11] = self.xcn(o.ordered_by)
        pattern = {"one_off": "ONCE", "long_term": "C"}.get(o.duration or "", "")
        tq1 = _segment("TQ1", "1", "", pattern, "", "", "", _ts(o.start), _ts(o.stop))
        head = [self.pid(), self.visit_pv1(), _segment("ORC", *orc), tq1]
        if o.category == "medication":
            atc = self.codes["drug_classes"].get(o.drug_class, "") if o.drug_class else ""
            give = [
                _esc(o.code),
                _esc(o.name),
                "L" if o.code else "",
                atc,
                "",
                "ATC" if atc else "",
            ]
            rxo = [""] * 20
            rxo[0] = "^".join(give).rstrip("^")
            rxo[19] = self.codes["order_purposes"].get(o.purpose, "") if o.purpose else ""
            route = self.codes["routes"].get(o.route, (o.route or "").upper())
            body = [*head, _segment("RXO", *rxo), _segment("RXR", _esc(route) or "")]
            body.append(encode(SPECS["ZOR"], o))
            self.add("OMP^O09^OMP_O09", o.ordered_at or o.start, body)
            return
        obr = [""] * 31
        obr[0], obr[1] = "1", _esc(o.id)
        obr[3] = f"{_esc(o.code)}^{_esc(o.name)}"
        obr[23] = self.codes["order_categories"].get(o.category, "OTH")
        obr[30] = self.codes["order_purposes"].get(o.purpose, "") if o.purpose else ""
        body = [*head, _segment("OBR", *obr), encode(SPECS["ZOR"], o)]
        self.add("OMG^O19^OMG_O19", o.ordered_at or o.start, body)

    def assessment(self, a: Assessment) -> None:
        """An ORU result group in the assessment section (see [assessments] in the mapping)."""
        obr = [""] * 25
        obr[0], obr[2] = "1", _esc(a.id)
        obr[3] = f"{_esc(a.kind)}^{_esc(a.kind)}"
        obr[21] = _ts(a.at)
        obr[23] = min(self.mapping.assessment_sections)
        obr[24] = "F"
        rows = []
        if a.score is not None:
            rows.append((self.mapping.score_code, "NM", repr(float(a.score))))
        if a.level is not None or not rows:
            rows.append((self.mapping.level_code, "ST", _esc(a.level)))
        body = [self.pid(), self.visit_pv1(), _segment("OBR", *obr)]
        for n, (code, value_type, value) in enumerate(rows, start=1):
            obx = [str(n), value_type, code, "", value, "", "", "", "", "", "F"]
            obx += ["", "", "", "", self.xcn(a.author), _esc(a.tool)]
            body.append(_segment("OBX", *obx))
        body.append(encode(SPECS["ZAS"], a))
        self.add("ORU^R01^ORU_R01", a.at, body)

    def oru(self, x: Observation) -> None:
        obr = [""] * 25
        obr[0], obr[1], obr[2] = "1", _esc(x.order_id), _esc(x.id)
        obr[3] = f"{_esc(x.code)}^{_esc(x.name)}"
        obr[6] = _ts(x.specimen_at)
        obr[21] = _ts(x.at)
        obr[23] = self.codes["observation_categories"].get(x.category, "OTH")
        obr[24] = "F"
        value_type = "NM" if isinstance(x.value, float | int) else "TX"
        value = repr(float(x.value)) if value_type == "NM" else _esc(x.value)
        flag = min(self.mapping.critical_flags) if x.is_critical else ""
        obx = [
            "1",
            value_type,
            f"{_esc(x.code)}^{_esc(x.name)}",
            "",
            value,
            _esc(x.unit),
            "",
            flag,
            "",
            "",
            "F",
        ]
        body = [self.pid(), self.visit_pv1(), _segment("OBR", *obr), _segment("OBX", *obx)]
        if x.extensions:
            body.append(encode(SPECS["ZOB"], x))
        self.add("ORU^R01^ORU_R01", x.at or x.specimen_at, body)
