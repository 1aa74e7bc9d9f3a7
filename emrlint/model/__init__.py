"""The patient-episode model: one typed picture of an inpatient stay for every parser and rule."""

from emrlint.model.clinical import (
    Assessment,
    Consultation,
    ConsultationUrgency,
    Diagnosis,
    DiagnosisRole,
    Observation,
    ObservationCategory,
    PresentOnAdmission,
    Procedure,
    ProcedureCategory,
)
from emrlint.model.documents import Document, Signature, SignatureRole
from emrlint.model.episode import FORMAT_VERSION, Episode
from emrlint.model.events import (
    CriticalValue,
    Event,
    Handover,
    HandoverPurpose,
    Rescue,
    Transfusion,
)
from emrlint.model.orders import (
    Administration,
    AntibioticTier,
    DrugClass,
    Order,
    OrderCategory,
    OrderDuration,
    OrderPurpose,
)
from emrlint.model.people import Clinician, TitleRank
from emrlint.model.stay import (
    AdmissionRoute,
    CareAssignment,
    CareRole,
    ConditionChange,
    ConditionLevel,
    Disposition,
    Patient,
    Sex,
    Transfer,
)
from emrlint.model.time import TimePoint

__all__ = [
    "FORMAT_VERSION",
    "Administration",
    "AdmissionRoute",
    "AntibioticTier",
    "Assessment",
    "CareAssignment",
    "CareRole",
    "Clinician",
    "ConditionChange",
    "ConditionLevel",
    "Consultation",
    "ConsultationUrgency",
    "CriticalValue",
    "Diagnosis",
    "DiagnosisRole",
    "Disposition",
    "Document",
    "DrugClass",
    "Episode",
    "Event",
    "Handover",
    "HandoverPurpose",
    "Observation",
    "ObservationCategory",
    "Order",
    "OrderCategory",
    "OrderDuration",
    "OrderPurpose",
    "Patient",
    "PresentOnAdmission",
    "Procedure",
    "ProcedureCategory",
    "Rescue",
    "Sex",
    "Signature",
    "SignatureRole",
    "TimePoint",
    "TitleRank",
    "Transfer",
    "Transfusion",
]
