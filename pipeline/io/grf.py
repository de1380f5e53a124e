"""Force-plate truth: foot strikes and toe-offs from an OpenSim ground-reaction file (.mot).

A foot is in contact while its plate's vertical force exceeds a threshold (50 N by default:
the flight-phase noise of the shared treadmill data reaches about 40 N). A foot strike is a
rising crossing, a toe-off a falling one, each timed by linear interpolation between samples.
A contact already under way when the file starts (or still under way when it ends) gives no
strike (no toe-off): the crossing was not recorded. Contacts shorter than `min_contact_s`
(noise spikes) and flights shorter than `min_flight_s` are merged away.

Columns: `time` and, per side, a vertical force column (`R_ground_force_vy` /
`L_ground_force_vy` in OpenSim's Y-up files; other names can be passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.io.mocap import MocapError

VERTICAL_COLUMNS = {"right": "R_ground_force_vy", "left": "L_ground_force_vy"}


@dataclass(frozen=True)
class ForcePlateEvents:
    """Per side, event times in seconds on the force file's clock."""

    foot_strikes: dict[str, np.ndarray]
    toe_offs: dict[str, np.ndarray]
    threshold_n: float
    time_range_s: tuple[float, float]

    def in_frames(
        self, time_s: np.ndarray, fps: float
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(foot_strikes, toe_offs) as fractional 0-based frame indices of a marker trial whose
        frame 0 is at `time_s[0]`; events outside the trial are dropped."""
        t0, n = float(time_s[0]), len(time_s)

        def convert(times: np.ndarray) -> np.ndarray:
            frames = (np.asarray(times, float) - t0) * fps
            return frames[(frames >= 0) & (frames <= n - 1)]

        return (
            {s: convert(v) for s, v in self.foot_strikes.items()},
            {s: convert(v) for s, v in self.toe_offs.items()},
        )


def read_mot(path: Path | str) -> tuple[list[str], np.ndarray]:
    """An OpenSim .mot/.sto table: (column names, (N, C) values)."""
    path = Path(path)
    if not path.exists():
        raise MocapError(f"{path} not found")
    lines = path.read_text(errors="replace").splitlines()
    try:
        end = next(i for i, line in enumerate(lines) if line.strip().lower() == "endheader")
    except StopIteration:
        raise MocapError(f"{path}: not an OpenSim .mot file (no 'endheader' line)") from None
    names = lines[end + 1].split()
    try:
        values = np.array(
            [[float(x) for x in line.split()] for line in lines[end + 2 :] if line.strip()]
        )
    except ValueError as exc:
        raise MocapError(f"{path}: a data row is not numeric ({exc})") from None
    if values.ndim != 2 or values.shape[0] < 2 or values.shape[1] != len(names):
        raise MocapError(f"{path}: expected rows of {len(names)} numbers under the column names")
    return names, values


def _crossings(t: np.ndarray, force: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    above = force > threshold
    change = np.nonzero(np.diff(above.astype(np.int8)))[0]
    times = t[change] + (threshold - force[change]) / (force[change + 1] - force[change]) * (
        t[change + 1] - t[change]
    )
    rising = above[change + 1]
    return times[rising], times[~rising]


def contact_events(
    t: np.ndarray,
    force: np.ndarray,
    threshold_n: float = 50.0,
    min_contact_s: float = 0.03,
    min_flight_s: float = 0.03,
) -> tuple[np.ndarray, np.ndarray]:
    """(strike times, toe-off times) of one plate's vertical force (N) sampled at times t (s)."""
    force = np.nan_to_num(np.asarray(force, float), nan=0.0)
    on, off = _crossings(np.asarray(t, float), force, threshold_n)
    # contacts as (start, end), NaN for one cut by the file's start or end
    starts = list(on)
    ends = list(off)
    if ends and (not starts or ends[0] < starts[0]):
        starts.insert(0, np.nan)
    if starts and (not ends or starts[-1] > ends[-1]):
        ends.append(np.nan)
    contacts = [[s, e] for s, e in zip(starts, ends)]
    merged: list[list[float]] = []
    for s, e in contacts:  # a flight too short to be a flight joins two contacts
        if (
            merged
            and np.isfinite(merged[-1][1])
            and np.isfinite(s)
            and s - merged[-1][1] < min_flight_s
        ):
            merged[-1][1] = e
        else:
            merged.append([s, e])
    kept = [
        (s, e)
        for s, e in merged
        if not (np.isfinite(s) and np.isfinite(e) and e - s < min_contact_s)
    ]
    strikes = np.array([s for s, _ in kept if np.isfinite(s)])
    toe_offs = np.array([e for _, e in kept if np.isfinite(e)])
    return strikes, toe_offs


def force_plate_events(
    path: Path | str, threshold_n: float = 50.0, columns: dict[str, str] | None = None
) -> ForcePlateEvents:
    """Foot strikes and toe-offs per side from a ground-reaction .mot file (one plate per foot,
    as on an instrumented treadmill)."""
    names, values = read_mot(path)
    columns = columns or VERTICAL_COLUMNS
    if "time" not in names:
        raise MocapError(f"{path}: no 'time' column")
    t = values[:, names.index("time")]
    strikes, offs = {}, {}
    for side, column in columns.items():
        if column not in names:
            raise MocapError(
                f"{path}: no column {column!r} for the {side} foot's vertical force "
                f"(columns: {', '.join(names[:8])}...); pass columns={{side: name}}"
            )
        strikes[side], offs[side] = contact_events(t, values[:, names.index(column)], threshold_n)
    return ForcePlateEvents(strikes, offs, float(threshold_n), (float(t[0]), float(t[-1])))
