"""The verdict's evidence: what was measured, gathered from the trial's records as plain
numbers (quality/verdict.py judges them). Reads the points3d record (io) and counts the
analyze stage passes in (`GaitCounts`); imports neither gait nor calibration."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from pipeline.io.formats import Points3D
from pipeline.quality.verdict import TrialEvidence


@dataclass(frozen=True)
class GaitCounts:
    """What the verdict needs from the gait analysis."""

    strides: dict[str, int]  # analysed strides per side
    events_found: int  # foot strikes + toe-offs timed, both sides
    events_untimed: int  # poorly observed, not timed (not in events_found)


def trial_evidence(p3d: Points3D, gait: GaitCounts) -> TrialEvidence:
    """The measured quantities the verdict is computed from: the 3D file's own record of how
    its points were measured, and the gait analysis' counts."""
    names = list(p3d.camera_names or [])
    qa = p3d.qa
    measured = np.asarray(p3d.n_views) > 0
    if qa is not None and qa.camera_share is not None:
        share, camera_share = qa.measured_share, dict(zip(names, map(float, qa.camera_share)))
    else:  # a file from before the QA record: over all keypoints
        share = float(measured.mean())
        camera_share = {
            c: float(np.asarray(p3d.views_used)[..., i].mean()) for i, c in enumerate(names)
        }
    disagree = (
        []
        if qa is None or qa.camera_disagrees is None
        else [c for c, bad in zip(names, qa.camera_disagrees) if bad]
    )
    reverted = 0.0 if qa is None else float(np.mean(qa.reverted))
    foreign = 0.0 if qa is None or qa.other_person is None else float(np.mean(qa.other_person))
    stranger_views = (
        {}
        if qa is None or qa.other_person_views is None
        else {c: int(n) for c, n in zip(names, qa.other_person_views.sum(axis=1))}
    )
    steady = (
        {}
        if qa is None or qa.systematic_px is None or qa.scatter_px is None
        else {
            c: (float(s), float(d))
            for c, s, d in zip(names, qa.systematic_px, qa.scatter_px)
            if np.isfinite(s) and np.isfinite(d)
        }
    )
    return TrialEvidence(
        names,
        share,
        camera_share,
        disagree,
        reverted,
        dict(gait.strides),
        gait.events_found + gait.events_untimed,
        gait.events_untimed,
        foreign,
        stranger_views,
        camera_steady=steady,
    )


def imported_evidence(p3d: Points3D, gait: GaitCounts) -> TrialEvidence:
    """An imported trial's evidence: no cameras; the measured share over the keypoints the
    file provides (a marker set without head markers leaves the face out, as a detector would)."""
    finite = np.isfinite(np.asarray(p3d.points)).all(axis=2)
    provided = finite.any(axis=0)
    share = float(finite[:, provided].mean()) if provided.any() else 0.0
    base = trial_evidence(p3d, gait)
    return dataclasses.replace(
        base, camera_names=[], measured_share=share, camera_share={}, imported=True
    )
