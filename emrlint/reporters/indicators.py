"""Official names of the indicators that tags stand for, so a rate row reads as the regulator
wrote it (QC offices report "入院记录24小时内完成率", not "MER-TL-01").

Sources (see the project's domain notes, regulations.md §3): 《病案管理质量控制指标（2021年版）》
for MER-*, the 2024 国家医疗质量安全改进目标 for NIT-2024-*, and 《医疗质量安全核心制度要点》(2018)
for HX-2018-* in the order of that text. Names only: no formula lives here; rates are computed
from outcomes in `rates.py`.
"""

from __future__ import annotations

__all__ = ["NIT_KEY_RECORDS", "indicator_name"]

# NIT-2024-VIII is the one composite indicator: an episode counts once (see rates.py).
NIT_KEY_RECORDS = "NIT-2024-VIII"

_MER = {
    "MER-HR-01": (
        "住院病案管理人员月均负担出院患者病历数",
        "Discharged records per inpatient-record staff month",
    ),
    "MER-HR-02": (
        "门诊病案管理人员月均负担门诊患者病历数",
        "Outpatient records per outpatient-record staff month",
    ),
    "MER-HR-03": ("病案编码人员月均负担出院患者病历数", "Discharged records per coder month"),
    "MER-TL-01": ("入院记录24小时内完成率", "Admission note completed within 24 h"),
    "MER-TL-02": ("手术记录24小时内完成率", "Operative note completed within 24 h"),
    "MER-TL-03": ("出院记录24小时内完成率", "Discharge note completed within 24 h"),
    "MER-TL-04": ("病案首页24小时内完成率", "Front page completed within 24 h"),
    "MER-ME-01": ("CT/MRI检查记录符合率", "CT/MRI order, report and progress note agree"),
    "MER-ME-02": ("病理检查记录符合率", "Pathology records agree"),
    "MER-ME-03": ("细菌培养检查记录符合率", "Bacterial culture records agree"),
    "MER-DT-01": ("抗菌药物使用记录符合率", "Antibiotic use records agree"),
    "MER-DT-02": ("恶性肿瘤化学治疗记录符合率", "Chemotherapy records agree"),
    "MER-DT-03": ("恶性肿瘤放射治疗记录符合率", "Radiotherapy records agree"),
    "MER-DT-04": ("手术相关记录完整率", "Surgical records complete"),
    "MER-DT-05": ("植入物相关记录符合率", "Implant records agree"),
    "MER-DT-06": ("临床用血相关记录符合率", "Transfusion records agree"),
    "MER-DT-07": ("医师查房记录完整率", "Ward-round records complete"),
    "MER-DT-08": ("患者抢救记录及时完成率", "Rescue record completed on time"),
    "MER-TQ-01": ("出院患者病历2日归档率", "Discharged records archived within 2 working days"),
    "MER-TQ-02": ("出院患者病历归档完整率", "Archived records complete"),
    "MER-TQ-03": ("主要诊断填写正确率", "Principal diagnosis filled in correctly"),
    "MER-TQ-04": ("主要诊断编码正确率", "Principal diagnosis coded correctly"),
    "MER-TQ-05": ("主要手术填写正确率", "Principal procedure filled in correctly"),
    "MER-TQ-06": ("主要手术编码正确率", "Principal procedure coded correctly"),
    "MER-TQ-07": ("不合理复制病历发生率", "Unreasonably copied records"),
    "MER-TQ-08": ("知情同意书规范签署率", "Consent forms signed correctly"),
    "MER-TQ-09": ("甲级病历率", "Grade-A records"),
}

_NIT = {
    "NIT-2024-I": ("急性脑梗死再灌注治疗率", "Reperfusion for acute ischaemic stroke"),
    "NIT-2024-II": ("肿瘤治疗前临床TNM分期评估率", "Clinical TNM staging before cancer treatment"),
    "NIT-2024-III": ("静脉血栓栓塞症规范预防率", "VTE prophylaxis as recommended"),
    "NIT-2024-IV": ("感染性休克集束化治疗完成率", "Septic-shock bundle completed"),
    "NIT-2024-V": ("住院患者静脉输液规范使用率", "Appropriate intravenous infusion"),
    "NIT-2024-VI": ("医疗质量安全不良事件报告率", "Adverse events reported"),
    "NIT-2024-VII": ("四级手术术前多学科讨论完成率", "Preoperative MDT for level-4 surgery"),
    "NIT-2024-VIII": ("关键诊疗行为相关记录完整率", "Key-treatment records complete"),
    "NIT-2024-IX": ("非计划重返手术室再手术率", "Unplanned return to theatre"),
    "NIT-2024-X": ("阴道分娩并发症发生率", "Vaginal-delivery complications"),
}

_HX = {
    "HX-2018-01": ("首诊负责制度", "First-physician responsibility"),
    "HX-2018-02": ("三级查房制度", "Three-level ward rounds"),
    "HX-2018-03": ("会诊制度", "Consultation"),
    "HX-2018-04": ("分级护理制度", "Graded nursing care"),
    "HX-2018-05": ("值班和交接班制度", "Duty and handover"),
    "HX-2018-06": ("疑难病例讨论制度", "Difficult-case discussion"),
    "HX-2018-07": ("急危重患者抢救制度", "Rescue of critically ill patients"),
    "HX-2018-08": ("术前讨论制度", "Preoperative discussion"),
    "HX-2018-09": ("死亡病例讨论制度", "Death-case discussion"),
    "HX-2018-10": ("查对制度", "Checking and verification"),
    "HX-2018-11": ("手术安全核查制度", "Surgical safety checklist"),
    "HX-2018-12": ("手术分级管理制度", "Graded management of surgery"),
    "HX-2018-13": ("新技术和新项目准入制度", "Admission of new techniques"),
    "HX-2018-14": ("危急值报告制度", "Critical-value reporting"),
    "HX-2018-15": ("病历管理制度", "Medical-record management"),
    "HX-2018-16": ("抗菌药物分级管理制度", "Graded antibiotic management"),
    "HX-2018-17": ("临床用血审核制度", "Clinical blood-use review"),
    "HX-2018-18": ("信息安全管理制度", "Information security"),
}

_NAMES = {**_MER, **_NIT, **_HX}


def indicator_name(tag: str, lang: str = "zh") -> str | None:
    """The official name of the indicator a tag stands for, or None for tags without one.

    MER tags are written `MER-DT-04` in rulebooks (a tag cannot hold `&`); the regulation's own
    spelling `MER-D&T-04` is accepted too.
    """
    names = _NAMES.get(tag.replace("&", ""))
    if names is None:
        return None
    return names[0] if lang == "zh" else names[1]
