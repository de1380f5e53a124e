"""Quality gates: the calibration's quality report turned into verdicts a lab technician can
act on. Pure functions of the CalibrationQuality that `solve_calibration()` fills
(quality_record.py; `quality.json` on disk).

Verdicts: "pass"; "warn" = usable, but the recording could be better; "fail" = do not use
this calibration, record again as the message says.
"""

from __future__ import annotations

from itertools import combinations

from pipeline.calibration.gate_records import FAIL, PASS, WARN, Gate, GateThresholds
from pipeline.calibration.measure_records import BoardPolarity, BoardSize, CameraFrame, WorldFrame
from pipeline.calibration.quality_record import CalibrationQuality, CameraQuality


def overall_verdict(gates: list[Gate]) -> str:
    verdicts = {g.verdict for g in gates}
    return FAIL if FAIL in verdicts else WARN if WARN in verdicts else PASS


def evaluate_gates(
    quality: CalibrationQuality, thresholds: GateThresholds = GateThresholds()
) -> list[Gate]:
    """All gates for a quality report; measures it does not hold are skipped."""
    t = thresholds
    gates: list[Gate] = []
    cameras = quality.cameras
    for name, q in cameras.items():
        gates.append(_reprojection(name, q.reprojection_median_px, t))
        gates.append(_detections(name, q.usable_frames, t))
        if q.has("board_coverage") and q.board_coverage is not None:
            gates.append(_coverage(name, q.board_coverage, t))
        if q.has("far_near_ratio"):
            gates.append(_distance_ratio(name, q, t))
    angles = quality.pairwise_axis_angle_deg or {}
    if quality.pairwise_shared_frames is not None:
        gates.extend(_shared_frames(list(cameras), quality.pairwise_shared_frames, t, angles))
    if quality.pairwise_centre_distance_m is not None:
        gates.extend(_same_pose(cameras, quality.pairwise_centre_distance_m, angles, t))
    if quality.board_size is not None:
        gates.append(_board_size(quality.board_size, t))
    if quality.floor is not None:
        gates.extend(_floor(list(cameras), quality.floor))
    if quality.board_polarity is not None and quality.board_polarity.fell_back_to_other_polarity:
        gates.append(_polarity(quality.board_polarity))
    return gates


def _polarity(polarity: BoardPolarity) -> Gate:
    found = sorted(set(polarity.found.values()) - {"not found"})
    return Gate(
        "board polarity",
        None,
        None,
        WARN,
        f"board.inverted is set to {polarity.configured}, which found the board "
        f"in no video; it was found as {' / '.join(found) or 'neither'} instead. Set "
        "board.inverted: null (auto, found per video) or to the print's polarity",
    )


def _low_is_bad(value, warn, fail) -> tuple[str, float]:
    """Verdict and the limit it was decided against, for a measure where less is worse."""
    if value < fail:
        return FAIL, fail
    if value < warn:
        return WARN, warn
    return PASS, warn


def _high_is_bad(value, warn, fail) -> tuple[str, float]:
    """Verdict and the limit it was decided against, for a measure where more is worse."""
    verdict, limit = _low_is_bad(-value, -warn, -fail)
    return verdict, -limit


def _reprojection(name: str, median, t: GateThresholds) -> Gate:
    gate = f"reprojection {name}"
    if median is None:
        return Gate(
            gate,
            None,
            t.reprojection_fail_px,
            FAIL,
            f"camera {name}: no board corner seen together with another camera could "
            "be reprojected; record the board where this camera and a neighbour both "
            "see it",
        )
    verdict, limit = _high_is_bad(median, t.reprojection_warn_px, t.reprojection_fail_px)
    advice = (
        ""
        if verdict == PASS
        else ": check that the videos are synchronized, the board is flat and rigid, the "
        "camera was not moved or refocused during the recording, and the board was "
        "moved slowly (motion blur)"
    )
    return Gate(
        gate,
        float(median),
        limit,
        verdict,
        f"camera {name}: median reprojection error {median:.2f} px "
        f"(warn above {t.reprojection_warn_px} px, fail above "
        f"{t.reprojection_fail_px} px){advice}",
    )


def _detections(name: str, frames, t: GateThresholds) -> Gate:
    frames = int(frames or 0)
    verdict, limit = _low_is_bad(frames, t.min_detections_warn, t.min_detections_fail)
    advice = (
        ""
        if verdict == PASS
        else ": record longer and keep the whole board in this camera's view, turned "
        "towards it at less than 60 deg"
    )
    return Gate(
        f"detections {name}",
        frames,
        limit,
        verdict,
        f"camera {name} saw the board well enough in {frames} frames (warn below "
        f"{t.min_detections_warn}, fail below {t.min_detections_fail}){advice}",
    )


def _coverage(name: str, coverage: float, t: GateThresholds) -> Gate:
    verdict, limit = _low_is_bad(coverage, t.coverage_warn, t.coverage_fail)
    advice = (
        ""
        if verdict == PASS
        else ": the lens model is only reliable where the board was seen; move the board "
        "into the corners and along the edges of this camera's image"
    )
    return Gate(
        f"coverage {name}",
        float(coverage),
        limit,
        verdict,
        f"camera {name}: board corners fell in {100 * coverage:.0f}% of the image "
        f"(warn below {100 * t.coverage_warn:.0f}%, fail below "
        f"{100 * t.coverage_fail:.0f}%){advice}",
    )


def _distance_ratio(name: str, q: CameraQuality, t: GateThresholds) -> Gate:
    ratio = q.far_near_ratio
    if ratio is None:
        return Gate(
            f"distance range {name}",
            None,
            t.distance_ratio_fail,
            FAIL,
            f"camera {name}: no board pose could be measured",
        )
    verdict, limit = _low_is_bad(ratio, t.distance_ratio_warn, t.distance_ratio_fail)
    advice = (
        ""
        if verdict == PASS
        else ": the board was always at about the same distance, which leaves focal length "
        "and distance entangled; also hold it closer to and farther from this camera"
    )
    return Gate(
        f"distance range {name}",
        float(ratio),
        limit,
        verdict,
        f"camera {name}: board seen from {q.near_m:.2f} m to {q.far_m:.2f} m "
        f"(far/near {ratio:.2f}; warn below {t.distance_ratio_warn}, fail below "
        f"{t.distance_ratio_fail}){advice}",
    )


def _shared_frames(
    names: list[str], shared: dict, t: GateThresholds, axis_angles: dict | None = None
) -> list[Gate]:
    """A pair below `min_shared_frames` is only a failure when the cameras are not linked
    otherwise. Cameras whose optical axes are more than `facing_axis_angle_deg` apart
    (`axis_angles`, deg, keyed like `shared`) face each other across the treadmill: a one-sided
    board cannot face both, so such a pair passes as long as the rig is linked through the
    other cameras, and is never told to hold the board between them."""

    def lookup(table, a, b, default):
        return table.get(f"{a}/{b}", table.get(f"{b}/{a}", default))

    good = [
        (a, b) for a, b in combinations(names, 2) if lookup(shared, a, b, 0) >= t.min_shared_frames
    ]
    component = {n: n for n in names}

    def root(n):
        while component[n] != n:
            n = component[n]
        return n

    for a, b in good:
        component[root(a)] = root(b)
    linked = len({root(n) for n in names}) <= 1

    gates = []
    for a, b in combinations(names, 2):
        n = int(lookup(shared, a, b, 0))
        angle = lookup(axis_angles or {}, a, b, None)
        facing = angle is not None and angle > t.facing_axis_angle_deg
        pair = f"{a}/{b}"
        if n >= t.min_shared_frames:
            gates.append(
                Gate(
                    f"shared frames {pair}",
                    n,
                    t.min_shared_frames,
                    PASS,
                    f"cameras {a} and {b} saw the board together in {n} frames",
                )
            )
        elif facing and (linked or root(a) == root(b)):
            gates.append(
                Gate(
                    f"shared frames {pair}",
                    n,
                    t.min_shared_frames,
                    PASS,
                    f"cameras {a} and {b} face each other (optical axes {angle:.0f} "
                    f"deg apart, more than {t.facing_axis_angle_deg:.0f}): no board "
                    f"face can be seen well by both, and they saw it together in {n} "
                    "frames; they are linked through the other cameras",
                )
            )
        elif facing:
            gates.append(
                Gate(
                    f"shared frames {pair}",
                    n,
                    t.min_shared_frames,
                    FAIL,
                    f"cameras {a} and {b} face each other (optical axes {angle:.0f} "
                    f"deg apart) and cannot share the board's face, and the cameras "
                    "fall apart into groups that never saw the board at the same "
                    f"time: link {a} and {b} each to a camera beside it (see the "
                    "other shared-frames messages)",
                )
            )
        elif linked or root(a) == root(b):
            gates.append(
                Gate(
                    f"shared frames {pair}",
                    n,
                    t.min_shared_frames,
                    WARN,
                    f"cameras {a} and {b} saw the board together in only {n} frames "
                    f"(< {t.min_shared_frames}); they are linked through other "
                    "cameras, but could see the board together: to link them "
                    f"directly, hold the board between {a} and {b}, turned half "
                    "towards each, so that both see its face at the same time",
                )
            )
        else:
            gates.append(
                Gate(
                    f"shared frames {pair}",
                    n,
                    t.min_shared_frames,
                    FAIL,
                    f"cameras {a} and {b} saw the board together in only {n} frames "
                    f"(need {t.min_shared_frames}) and the cameras fall apart into "
                    "groups that never saw the board at the same time: hold the "
                    f"board between {a} and {b}, turned half towards each, slowly, "
                    "for a few seconds, so that both see its whole face at once",
                )
            )
    return gates


def _same_pose(
    cameras: dict[str, CameraQuality], distances: dict, angles: dict, t: GateThresholds
) -> list[Gate]:
    """A failed gate for each camera pair solved at (nearly) one pose; nothing otherwise."""
    gates = []
    for a, b in combinations(cameras, 2):
        pair = f"{a}/{b}"
        d, angle = distances.get(pair), angles.get(pair)
        if d is None or d >= t.same_pose_m or (angle is not None and angle >= t.same_pose_deg):
            continue
        va, vb = ((cameras[n].video if n in cameras else None) or "?" for n in (a, b))
        gates.append(
            Gate(
                f"same pose {pair}",
                float(d),
                t.same_pose_m,
                FAIL,
                f"cameras {a} ({va}) and {b} ({vb}) were solved at the same place "
                f"({1000 * d:.1f} mm and {angle or 0:.1f} deg apart): these files "
                "are one camera's recording under two names, or two recordings of "
                "one camera. Copy each camera's calibration video from that camera "
                "again and check the file names against rig.cameras",
            )
        )
    return gates


def _board_size(size: BoardSize, t: GateThresholds) -> Gate:
    err, configured, measured = (
        size.relative_error,
        size.configured_square_mm,
        size.measured_square_mm,
    )
    if err is None or measured is None:
        return Gate(
            "board size",
            None,
            t.board_size_fail,
            FAIL,
            "no board corner was triangulated from two cameras; the board size could "
            "not be checked",
        )
    verdict, limit = _high_is_bad(abs(err), t.board_size_warn, t.board_size_fail)
    advice = (
        ""
        if verdict == PASS
        else ": the board is not flat or rigid, the videos are not synchronized, or "
        "board.square_length_m / marker_length_m / squares_x / squares_y do not match "
        "the print"
    )
    return Gate(
        "board size",
        float(err),
        limit,
        verdict,
        f"triangulated board squares measure {measured:.2f} mm against the "
        f"configured {configured:.2f} mm ({100 * err:+.1f}%; warn beyond "
        f"{100 * t.board_size_warn:.0f}%, fail beyond {100 * t.board_size_fail:.0f}%)"
        f"{advice}. A wrongly measured square length scales the whole calibration "
        "and cannot show here: measure a square of the print with a caliper",
    )


def _floor(names: list[str], floor: WorldFrame) -> list[Gate]:
    if isinstance(floor, CameraFrame):
        ref = floor.reference_camera
        return [
            Gate(
                "world frame",
                0,
                None,
                WARN,
                f"no floor frames were used (calibration.floor_frames = 0): cameras are "
                f"expressed relative to camera {ref}, with no floor and no 'up'. To get "
                "the lab frame, start each calibration recording with the board lying "
                "flat on the belt, printed face up, for a few frames",
            )
        ]
    heights = floor.camera_heights_m
    seeing = set(floor.cameras_seeing_floor_board)
    gates = []
    for name in names:
        h = heights.get(name)
        if h is None:
            continue
        if h <= 0:
            gates.append(
                Gate(
                    f"floor {name}",
                    float(h),
                    0.0,
                    FAIL,
                    f"camera {name} ends up {h:.2f} m, below the floor board: the "
                    "floor frames must show the board lying flat, printed face up "
                    "(check board.inverted and that the board is not upside down)",
                )
            )
        elif name not in seeing:
            gates.append(
                Gate(
                    f"floor {name}",
                    float(h),
                    0.0,
                    WARN,
                    f"camera {name} ({h:.2f} m above the floor) did not see the "
                    "floor board; its floor position comes from other cameras. "
                    "Place the floor board where every camera sees it if possible",
                )
            )
        else:
            gates.append(
                Gate(
                    f"floor {name}",
                    float(h),
                    0.0,
                    PASS,
                    f"camera {name} is {h:.2f} m above the floor and sees the floor "
                    "board's printed face",
                )
            )
    return gates


def blocking_failures(gates: list[Gate], allowed: list[str]) -> list[Gate]:
    """Failed gates that stop the stage: all failures except those whose name starts with
    one of `allowed` (calibration.allow_failed_gates)."""
    return [
        g
        for g in gates
        if g.verdict == FAIL and not any(g.name.startswith(prefix) for prefix in allowed)
    ]
