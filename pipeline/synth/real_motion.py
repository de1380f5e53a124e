"""The synthetic world driven by a real runner: an imported 3D trial (docs/import3d.md) as the
ground truth the rig observes, in place of the parametric model (`kinematics.simulate_run`).

- Time: resampled from the file's rate to the rig's (linear between the file's frames; a
  gap in the file stays a gap), cut to `duration_s` from the start.
- Place: a treadmill trial's pelvis is centred on the treadmill (the world origin, where the
  parametric runner runs); an overground trial's pelvis passes the origin halfway through the
  clip, so the runner crosses the capture volume. Heights stay as measured (the file's floor).
- Truth events: the force plates' where the import has them (`grf.ForcePlateEvents`),
  converted to the rig's frames; without force plates there are none, and the truth metrics
  that need events are left out rather than guessed.
"""

from __future__ import annotations

import numpy as np

from pipeline.io.grf import ForcePlateEvents
from pipeline.io.import3d import Imported3D
from pipeline.synth.kinematics import RunTruth

SIDES = ("left", "right")


def resample(
    points: np.ndarray, fps_in: float, fps_out: float, duration_s: float | None
) -> np.ndarray:
    """(F, K, 3) at fps_in -> (F', K, 3) at fps_out over the same span (or `duration_s`):
    linear in time; an output instant next to a missing input frame is missing."""
    n_in = len(points)
    span = (n_in - 1) / fps_in
    if duration_s is not None:
        span = min(span, duration_s)
    n_out = int(np.floor(span * fps_out + 1e-9)) + 1
    position = np.arange(n_out) / fps_out * fps_in  # fractional input frame
    lo = np.clip(np.floor(position).astype(int), 0, n_in - 1)
    hi = np.clip(lo + 1, 0, n_in - 1)
    w = (position - lo)[:, None, None]
    return (1.0 - w) * points[lo] + w * points[hi]  # NaN at either neighbour -> NaN


def placement(points: np.ndarray, locomotion: str) -> np.ndarray:
    """The horizontal shift (3,) that puts the runner in the capture volume (module doc)."""
    from pipeline.core.skeleton import INDEX

    pelvis = np.nanmean(points[:, [INDEX["left_hip"], INDEX["right_hip"]]], axis=1)
    seen = np.nonzero(np.isfinite(pelvis).all(axis=1))[0]
    if seen.size == 0:
        raise ValueError("the imported trial has no frame with both hips: nothing to place")
    if locomotion == "overground":
        middle = pelvis[seen[np.argmin(np.abs(seen - (len(points) - 1) / 2))]]
        centre = np.array([middle[0], np.nanmedian(pelvis[seen, 1])])
    else:
        centre = np.nanmedian(pelvis[seen, :2], axis=0)
    return np.array([-centre[0], -centre[1], 0.0])


def motion_truth(
    imported: Imported3D,
    fps: float,
    duration_s: float | None = None,
    force: ForcePlateEvents | None = None,
) -> RunTruth:
    """The imported runner at the rig's frame rate, placed in the volume, with truth events
    from the force plates (none without them)."""
    points = resample(np.asarray(imported.points, float), imported.fps, fps, duration_s)
    points = points + placement(points, imported.locomotion)
    strikes = {s: np.array([]) for s in SIDES}
    offs = {s: np.array([]) for s in SIDES}
    if force is not None:
        fs, to = force.in_frames(imported.time_s, imported.fps)
        last = len(points) - 1
        scale = fps / imported.fps
        strikes = {s: fs[s] * scale for s in SIDES}
        offs = {s: to[s] * scale for s in SIDES}
        strikes = {s: v[v <= last] for s, v in strikes.items()}
        offs = {s: v[v <= last] for s, v in offs.items()}
    return RunTruth(points, float(fps), strikes, offs)
