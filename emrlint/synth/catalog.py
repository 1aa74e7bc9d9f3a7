"""Static tables the generator draws from: departments, diagnoses, operations, drugs, labs.

Kept apart from the generator so a site can read (or a later change can extend) the case mix
without touching the timing logic. Every name here is either a textbook clinical term or an
obviously fictitious person; nothing comes from a real record.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ANTIBIOTICS",
    "DEPARTMENTS",
    "FAMILY_NAMES",
    "GIVEN_NAMES",
    "LABS",
    "Department",
    "Operation",
]


@dataclass(frozen=True, slots=True)
class Operation:
    """An operation a department performs: ICD-9-CM-3 code, name and surgical level (1-4)."""

    code: str
    name: str
    level: int
    anesthesia: str = "general"


@dataclass(frozen=True, slots=True)
class Department:
    """One department's case mix, so each generated stay looks like it belongs there."""

    key: str
    name: str
    weight: float
    median_los_days: float
    surgery_rate: float
    death_rate: float
    serious_rate: float
    diagnoses: tuple[tuple[str, str], ...]
    operations: tuple[Operation, ...] = ()
    is_oncology: bool = False
    is_psychiatry: bool = False


DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "general_surgery",
        "普外科",
        0.16,
        7.0,
        0.85,
        0.005,
        0.12,
        (
            ("K35.8", "急性阑尾炎"),
            ("K80.2", "胆囊结石"),
            ("K40.9", "腹股沟疝"),
            ("C18.7", "乙状结肠恶性肿瘤"),
        ),
        (
            Operation("47.01", "腹腔镜下阑尾切除术", 2),
            Operation("51.23", "腹腔镜胆囊切除术", 3),
            Operation("53.02", "腹股沟斜疝修补术", 2, "spinal"),
            Operation("45.76", "乙状结肠切除术", 4),
        ),
    ),
    Department(
        "internal_medicine",
        "呼吸内科",
        0.16,
        8.0,
        0.0,
        0.015,
        0.15,
        (
            ("J18.9", "社区获得性肺炎"),
            ("J44.1", "慢性阻塞性肺疾病急性加重"),
            ("J45.9", "支气管哮喘"),
        ),
    ),
    Department(
        "cardiology",
        "心血管内科",
        0.13,
        6.0,
        0.35,
        0.02,
        0.25,
        (
            ("I21.0", "急性前壁心肌梗死"),
            ("I20.0", "不稳定型心绞痛"),
            ("I50.9", "心力衰竭"),
            ("I48.x", "心房颤动"),
        ),
        (
            Operation("00.66", "经皮冠状动脉腔内成形术", 3, "local"),
            Operation("37.80", "永久起搏器植入术", 3, "local"),
        ),
    ),
    Department(
        "neurology",
        "神经内科",
        0.10,
        10.0,
        0.0,
        0.02,
        0.25,
        (("I63.9", "脑梗死"), ("G40.9", "癫痫"), ("G20.x", "帕金森病")),
    ),
    Department(
        "oncology",
        "肿瘤科",
        0.10,
        9.0,
        0.1,
        0.03,
        0.2,
        (("C34.9", "肺恶性肿瘤"), ("C50.9", "乳房恶性肿瘤"), ("C16.9", "胃恶性肿瘤")),
        (Operation("86.07", "输液港植入术", 1, "local"),),
        is_oncology=True,
    ),
    Department(
        "orthopaedics",
        "骨科",
        0.12,
        9.0,
        0.9,
        0.003,
        0.08,
        (("S72.0", "股骨颈骨折"), ("M17.1", "膝关节骨关节炎"), ("M51.2", "腰椎间盘突出")),
        (
            Operation("81.51", "全髋关节置换术", 4, "spinal"),
            Operation("81.54", "全膝关节置换术", 4, "spinal"),
            Operation("80.51", "腰椎间盘切除术", 3),
            Operation("79.35", "股骨骨折切开复位内固定术", 3, "spinal"),
        ),
    ),
    Department(
        "icu",
        "重症医学科",
        0.04,
        6.0,
        0.0,
        0.12,
        0.9,
        (("A41.9", "脓毒症"), ("J96.0", "急性呼吸衰竭"), ("R57.0", "心源性休克")),
    ),
    Department(
        "psychiatry",
        "精神科",
        0.05,
        21.0,
        0.0,
        0.0,
        0.05,
        (("F20.0", "偏执型精神分裂症"), ("F32.2", "重度抑郁发作"), ("F31.1", "双相情感障碍")),
        is_psychiatry=True,
    ),
    Department(
        "gynaecology",
        "妇科",
        0.08,
        5.0,
        0.8,
        0.002,
        0.05,
        (("D25.9", "子宫平滑肌瘤"), ("N83.2", "卵巢囊肿")),
        (
            Operation("68.41", "腹腔镜全子宫切除术", 3),
            Operation("65.25", "腹腔镜卵巢囊肿剥除术", 2),
        ),
    ),
    Department(
        "urology",
        "泌尿外科",
        0.06,
        6.0,
        0.8,
        0.003,
        0.06,
        (("N20.0", "肾结石"), ("N40.x", "前列腺增生")),
        (
            Operation("55.04", "经皮肾镜取石术", 3),
            Operation("60.29", "经尿道前列腺电切术", 3, "spinal"),
        ),
    ),
)

# (code, name, tier) — tiers follow the 抗菌药物分级管理 scheme.
ANTIBIOTICS: tuple[tuple[str, str, str], ...] = (
    ("J01DB04", "头孢唑林", "unrestricted"),
    ("J01DC02", "头孢呋辛", "unrestricted"),
    ("J01CR02", "阿莫西林克拉维酸", "unrestricted"),
    ("J01DD04", "头孢曲松", "restricted"),
    ("J01MA12", "左氧氟沙星", "restricted"),
    ("J01CR05", "哌拉西林他唑巴坦", "restricted"),
    ("J01DH02", "美罗培南", "special"),
    ("J01XA01", "万古霉素", "special"),
)

# (LOINC, name, unit, normal low, normal high, critical low, critical high)
LABS: tuple[tuple[str, str, str, float, float, float, float], ...] = (
    ("6690-2", "白细胞计数", "10^9/L", 4.0, 10.0, 1.0, 30.0),
    ("718-7", "血红蛋白", "g/L", 115.0, 160.0, 50.0, 200.0),
    ("777-3", "血小板计数", "10^9/L", 125.0, 350.0, 20.0, 900.0),
    ("2823-3", "血钾", "mmol/L", 3.5, 5.3, 2.5, 6.5),
    ("2951-2", "血钠", "mmol/L", 137.0, 147.0, 120.0, 160.0),
    ("2160-0", "肌酐", "umol/L", 57.0, 111.0, 20.0, 700.0),
    ("2345-7", "血糖", "mmol/L", 3.9, 6.1, 2.2, 25.0),
    ("6301-6", "国际标准化比值", "", 0.8, 1.2, 0.5, 5.0),
)

FAMILY_NAMES = ("虚", "假", "模", "测", "样", "例", "拟", "演")
GIVEN_NAMES = ("甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸")
