"""Reference values the report shows beside the measurements, with their sources.

Written out, with the literature below, in docs/references.md (in the repository, so a
report cites only what the lab has). Where those notes give no number, the report says "no reference value"
instead of drawing a band: no normative curve is invented here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REFERENCES_DOC = "docs/references.md"
NOTES = f"runlab's reference notes, {REFERENCES_DOC}"

SOURCES = {
    "souza2016": "Souza 2016 (peak stance knee flexion under 40 deg in some patellofemoral-pain groups)",
    "iskandar2023": "Iskandar 2023, Front Bioeng Biotechnol (crossover in 13 of 44 healthy runners)",
    "meardon2012": "Meardon 2012, Sports Biomech 11:464 (step width about 6 cm; ITB strain rises as it narrows)",
    "bramah2018": "Bramah 2018, AJSM 46:3023 (each degree of pelvic drop: odds of injury x ~1.8; no validated cut-off)",
    "heiderscheit2011": "Heiderscheit 2011, MSSE 43:296 (cadence +5-10 % cuts knee energy absorption; hip adduction falls)",
    "lieberman2015": "Lieberman 2015, J Exp Biol 218:3406 (foot position relative to hip and knee; vertical tibia at loading)",
    "altman2012": "Altman & Davis 2012, Gait Posture 35:298 (foot-strike angle vs standing: rearfoot > 8.0 deg, forefoot < -1.6 deg)",
    "weir2005": "Weir 2005, J Strength Cond Res 19:231 (SEM; MDC95 = 1.96 sqrt(2) SEM)",
    "haley2006": "Haley & Fragala-Pinkham 2006, Phys Ther 86:735 (minimal detectable change, MDC95)",
    "robinson1987": "Robinson et al. 1987, J Manipulative Physiol Ther 10:172 (symmetry index)",
}


@dataclass(frozen=True)
class Band:
    """A reference range on an angle curve over part of the gait cycle (% of the cycle;
    stop_pct None = up to the mean toe-off, i.e. over stance)."""

    low: float
    high: float
    label: str
    source: str
    start_pct: float = 0.0
    stop_pct: float | None = None


@dataclass(frozen=True)
class Marker:
    """A single reference value at one instant of the cycle."""

    pct: float
    value: float
    label: str
    source: str


CURVE_REFERENCES: dict[str, list] = {
    "knee_flexion_deg": [
        Band(36.0, 45.0, "typical peak stance flexion 36-45 deg", "souza2016"),
        Marker(0.0, 21.0, "about 21 deg at foot strike (level running)", "notes"),
    ],
}

# metric -> what the reference notes say, in a sentence for lab staff
METRIC_REFERENCES = {
    "step_width_m": (
        "Healthy runners step about 6 cm wide; a width at or below 0 (feet on or "
        "across one line) is a crossover, seen in 13 of 44 healthy runners.",
        "meardon2012",
        "iskandar2023",
    ),
    "foot_to_midline_m": (
        "A foot landing on or across the pelvis-centre line is a crossover; "
        "13 of 44 healthy runners showed it.",
        "iskandar2023",
    ),
    "peak_stance_knee_flexion_deg": (
        "Typical peak stance knee flexion is 36-45 deg; under 40 deg "
        "is seen in some patellofemoral-pain groups.",
        "souza2016",
    ),
    "knee_over_toe_m": (
        "No standard norm: ideally the knee is at or slightly behind the toes at "
        "peak flexion, the tibia near vertical at loading.",
        "lieberman2015",
    ),
    "pelvic_drop_deg": (
        "No validated cut-off; each extra degree of contralateral drop raised "
        "the odds of injury by about 80 % in one study.",
        "bramah2018",
    ),
    "knee_flexion_at_toe_off_deg": (
        "No published norm: a knee still bent at push-off means no "
        "'triple extension' (hip, knee, ankle in line).",
        "notes",
    ),
    "calf_clearance_m": (
        "No published norm; measured between keypoint centres, so contact "
        "happens at several cm (calf radius + foot half-width).",
        "notes",
    ),
    "cadence_spm": (
        "Novices run at about 160 steps/min, elites 180-200; about 170 is "
        "metabolically optimal at 3 m/s, and +5-8 steps/min is common advice "
        "against calf and knee overload.",
        "heiderscheit2011",
    ),
}


def cite(*keys: str) -> str:
    named = [SOURCES[k] for k in keys if k != "notes"]
    return f"{'; '.join(named)}, via {NOTES}" if named else NOTES


def references_href(report_dir: Path | str) -> str | None:
    """Relative link from a report folder to docs/references.md of the repository this code
    runs from, or None where there is none (an installed package without docs/)."""
    doc = Path(__file__).resolve().parents[2] / REFERENCES_DOC
    if not doc.is_file():
        return None
    return Path(os.path.relpath(doc, Path(report_dir).resolve())).as_posix()
