"""A trial's verdict: `ok`, `degraded` or `failed`, with the named reasons behind it.

Why: every stage can run to the end on data that cannot support its numbers (one camera that
sees the runner, a camera that disagrees with the others, no analysable stride) and the report
would still read like a result. The verdict is computed from what was measured, not from what
was configured, and decides how the report presents the findings: a failed trial shows none
(never "no flags"), a degraded one shows them marked.

Each reason has a code (stable, for scripts and tests), a severity (`degraded`, `failed`, or
`note`: a partial loss named that leaves the verdict as it is) and a message that names the cause and what to do. Thresholds: `analysis.verdict`
(config.VerdictConfig, defaults documented in docs/verdicts.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from pipeline.core.json_types import JsonObject
from pipeline.core.trial_notes import InputProblem, ObservationSummary, ScaleCheck

VERDICTS = ("ok", "degraded", "failed")


@dataclass(frozen=True)
class Reason:
    code: str
    severity: str  # degraded | failed | note (named, the verdict unchanged)
    message: str


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reasons: tuple[Reason, ...] = ()

    def to_dict(self) -> JsonObject:
        return {"verdict": self.verdict, "reasons": [asdict(r) for r in self.reasons]}

    @classmethod
    def from_dict(cls, data: dict | None) -> Verdict | None:
        if not data:
            return None
        return cls(data["verdict"], tuple(Reason(**r) for r in data.get("reasons", [])))


@dataclass(frozen=True)
class TrialEvidence:
    """What the verdict is computed from (plain numbers, gathered by the analyze stage)."""

    camera_names: list[str]
    measured_share: float | None  # keypoint-frames measured in 3D / provided
    camera_share: dict[str, float]  # per camera: share of those its views entered
    cameras_disagreeing: list[str]  # triangulation: median error far above a detector's
    reverted_share: float  # points post-processing had to put back
    strides: dict[str, int]  # per side
    events_found: int  # foot strikes + toe-offs, both sides
    events_untimed: int  # of those, poorly observed (not timed)
    other_person_share: float = 0.0  # keypoint-frames removed as another person's
    other_person_views: dict[str, int] = field(default_factory=dict)  # camera -> frames left out
    sync_status: str | None = None  # sync.json: ok | degraded | off (None: no sync stage)
    sync_reasons: list[str] = field(default_factory=list)
    # per camera (steady residual px, its scatter px): does the calibration describe the camera?
    camera_steady: dict[str, tuple[float, float]] = field(default_factory=dict)
    calibration_own_px: dict[str, float] = field(
        default_factory=dict
    )  # the calibration's own error
    imported: bool = False  # 3D imported from a file (mocap): no cameras to judge
    observation: ObservationSummary | None = None  # analysis summary (gait/observation.py)
    fps: float | None = None  # the recording's frame rate
    skeleton_problems: list[str] = field(default_factory=list)  # quality/anatomy.py
    keypoint_model: str = ""  # the detector and model that named the keypoints
    scale_checks: list[ScaleCheck] = field(default_factory=list)  # gait/scale_checks.py
    input_problems: list[InputProblem] = field(default_factory=list)  # gait/input_checks.py
    # contacts the rhythm expects and no event marks (gait/missed_contacts.py), both sides
    contacts_not_found: int = 0


def trial_verdict(ev: TrialEvidence, cfg) -> Verdict:
    """`cfg`: config.VerdictConfig."""
    reasons: list[Reason] = []
    add = lambda code, severity, message: reasons.append(Reason(code, severity, message))

    if ev.skeleton_problems:
        add(
            "keypoint_model_mismatch",
            "failed",
            f"the 3D is not a person in runlab's keypoint order: {'; '.join(ev.skeleton_problems)}. "
            f"The keypoint model does not fit the files{' (' + ev.keypoint_model + ')' if ev.keypoint_model else ''}: "
            "choose the model that wrote them (OpenPose BODY_25 and BODY_25B differ: "
            "detector.openpose_json.model); if the left hip alone is on the wrong side, "
            "analysis.forward_axis may point against the direction of travel",
        )
    if ev.fps is not None and ev.fps < cfg.min_event_fps:
        total = sum(ev.strides.values())
        add(
            "frame_rate_too_low",
            "failed" if total == 0 else "degraded",
            f"recorded at {ev.fps:g} fps, below the {cfg.min_event_fps:g} fps foot strikes and "
            "toe-offs need (docs/metrics.md: a contact of 0.2 s is then a handful of frames and "
            f"an event's one-frame error is {1000 / ev.fps:.0f} ms): record at 60 fps or more "
            "(100-120 fps for contact and flight times)",
        )
    contributing = [c for c in ev.camera_names if ev.camera_share.get(c, 0.0) > 0.0]
    if len(contributing) < 2 and not ev.imported:
        add(
            "fewer_than_two_cameras",
            "failed",
            f"{len(contributing)} camera(s) contributed to the 3D"
            f"{' (' + ', '.join(contributing) + ')' if contributing else ''}: a 3D skeleton needs "
            "two views of the runner that agree. Check that every "
            "camera sees the runner, that the videos are of this trial and that the calibration "
            "names the cameras in the order of rig.cameras",
        )
    share = ev.measured_share
    if share is not None and share < cfg.fail_share_in_3d:
        add(
            "little_in_3d",
            "failed",
            f"only {100 * share:.0f} % of the keypoint-frames were measured in 3D (a usable trial "
            f"has at least {100 * cfg.fail_share_in_3d:.0f} %): the views do not agree. Likely "
            "causes: a calibration of another rig or session, videos at another resolution than "
            "the calibration, or swapped camera files",
        )
    elif share is not None and share < cfg.min_share_in_3d:
        add(
            "low_share_in_3d",
            "degraded",
            f"{100 * share:.0f} % of the keypoint-frames were measured in 3D (expected at least "
            f"{100 * cfg.min_share_in_3d:.0f} %): the rest is gap-filled or missing. If the "
            "detection quality section shows every camera detecting the runner, the views "
            "disagree: a calibration of another session, swapped camera files, or videos at "
            "another resolution than the calibration",
        )
    for cam in ev.camera_names:
        used = ev.camera_share.get(cam, 0.0)
        if len(contributing) >= 2 and used < cfg.min_camera_share:
            add(
                f"camera_unused:{cam}",
                "degraded",
                f"{cam}'s views entered only {100 * used:.0f} % of the 3D (expected at least "
                f"{100 * cfg.min_camera_share:.0f} %): it does not see the runner, or it "
                "disagrees with the other cameras (moved after calibration, swapped file, "
                "another recording)",
            )
    for cam in ev.cameras_disagreeing:
        add(
            f"camera_disagrees:{cam}",
            "degraded",
            f"{cam}'s views disagree with the other cameras far more than a detector's error "
            "explains: check that it did not move after calibration and that the calibration "
            "is this rig's (triangulation warning)",
        )
    off = {
        cam: steady
        for cam, steady in ev.camera_steady.items()
        if steady[0] > cfg.max_calibration_bias * steady[1]
        and steady[0] > 3 * ev.calibration_own_px.get(cam, 0.0)
    }
    for code, message in calibration_reasons(off, ev.camera_steady, ev.calibration_own_px):
        add(code, "degraded", message)
    if ev.reverted_share > cfg.max_reverted_share:
        add(
            "post_processing_reverted",
            "degraded",
            f"{100 * ev.reverted_share:.1f} % of the 3D points had to be put back after "
            "filtering moved them off their views: the trajectories are rough there",
        )
    for cam, frames in ev.other_person_views.items():
        if frames:
            add(
                f"other_person:{cam}",
                "degraded",
                f"{cam} shows another person in {frames} frames where the other cameras place the "
                "runner (the runner hidden, a bystander detected); those views were left out",
            )
    if ev.other_person_share > 0:
        add(
            "other_person",
            "degraded",
            f"{100 * ev.other_person_share:.1f} % of the keypoint-frames came from another person "
            "(more than 1.5 m from the runner: a bystander seen where the runner was hidden) and "
            "were left out; keep bystanders out of the cameras' view or mask them",
        )
    total = sum(ev.strides.values())
    if total == 0:
        add(
            "no_strides",
            "failed",
            "no stride could be analysed: no pair of consecutive foot strikes of one foot with "
            "its toe-off was found (trial too short, feet not in 3D, or not running)",
        )
    else:
        for side, n in ev.strides.items():
            if n < cfg.min_strides_per_side:
                add(
                    f"few_strides:{side}",
                    "degraded",
                    f"only {n} {side} stride(s) analysed (at least {cfg.min_strides_per_side} "
                    "give a mean worth reading): record a longer trial",
                )
    # a contact not found loses its strike and toe-off as an untimed event loses itself: both
    # count against one share of the events the trial should have (docs/verdicts.md)
    expected = ev.events_found + 2 * ev.contacts_not_found
    untimed = ev.events_untimed + 2 * ev.contacts_not_found
    if expected and untimed / expected > cfg.max_untimed_event_share:
        missing = (
            f" ({2 * ev.contacts_not_found} of them in {ev.contacts_not_found} whole "
            "contact(s) not detected at all: the rhythm puts a contact there)"
            if ev.contacts_not_found
            else ""
        )
        add(
            "events_untimed",
            "degraded",
            f"{untimed} of {expected} foot strikes / toe-offs were not timed{missing}: the "
            "foot was not detected there (a dropout) or the cameras do not pin its height down; "
            "the findings section gives the count of each",
        )
    reasons.extend(Reason(p.code, p.severity, p.message) for p in ev.input_problems)
    reasons.extend(observation_reasons(ev.observation))
    reasons.extend(scale_reasons(ev.scale_checks))
    if ev.sync_status == "degraded":
        for message in ev.sync_reasons or ["the cameras' time offsets are out of step or unknown"]:
            add("sync", "degraded", f"synchronization: {message} (docs/sync.md)")
    # a note names a partial loss below its share (strides.set_aside_problems): kept with the
    # reasons, so the file and the report name it, without changing the verdict
    verdict = (
        "failed"
        if any(r.severity == "failed" for r in reasons)
        else "degraded"
        if any(r.severity == "degraded" for r in reasons)
        else "ok"
    )
    return Verdict(verdict, tuple(reasons))


def calibration_reasons(
    off: dict[str, tuple[float, float]], measured: dict, own: dict
) -> list[tuple[str, str]]:
    """One reason per camera the calibration does not describe, or one for the whole rig when
    every measured camera is off (another rig's or session's calibration, a wrong lens model)."""

    def numbers(cam):
        steady, scatter = off[cam]
        known = f", the calibration's own error {own[cam]:.2f} px" if own.get(cam) else ""
        return f"{cam} {steady:.1f} px (scatter {scatter:.1f} px{known})"

    why = (
        "keypoints sit a steady distance from where the other views place them, a large part "
        "of the detector's scatter around it"
    )
    imported = (
        ""
        if any(own.get(c) for c in off)
        else (" (the calibration's own error is not known: it was imported)")
    )
    if off and len(off) == len(measured) and len(off) >= 2:
        return [
            (
                "calibration_mismatch",
                f"every camera's {why}: {'; '.join(map(numbers, off))}"
                f"{imported}. The calibration does not describe these cameras as they filmed: "
                "it is of another rig or session, or its lens model is wrong; calibrate this "
                "session (docs/verdicts.md)",
            )
        ]
    return [
        (
            f"calibration_mismatch:{cam}",
            f"{cam}'s {why}: {numbers(cam)}{imported}. The calibration does not describe this "
            f"camera as it filmed: check that {cam} did not move after calibration (a camera "
            "across the belt from a moved one can be pulled off too; docs/verdicts.md)",
        )
        for cam in off
    ]


def observation_reasons(observation: ObservationSummary | None) -> list[Reason]:
    """A gap (the feet measured by no camera) that strides would have crossed: said, with how
    much of the trial the findings come from."""
    if observation is None:
        return []
    dropped, split = observation.strides_dropped_in_gaps, observation.strides_split_at_gaps
    if not dropped and not split:
        return []
    where = ", ".join(f"{a:.2f}-{b:.2f} s" for a, b in observation.gaps_s)
    return [
        Reason(
            "unobserved_gap",
            "degraded",
            f"the runner's feet were measured by no camera at {where} (out of view, a "
            f"detection dropout or a failed sync segment): {dropped} stride(s) whose "
            f"stance fell there were left out and {split} lost their stride time, "
            "stride length and flight time, which would have spanned it; cadence and "
            "stride times come from observed strides only. The findings come from "
            f"{100 * observation.analysed_share:.0f} % of the trial "
            f"({100 * observation.observed_share:.0f} % of its frames observed)",
        )
    ]


def scale_reasons(checks: list[ScaleCheck]) -> list[Reason]:
    """The 3D against the world (gait/scale_checks.py): one reason naming every check that
    disagrees beyond its tolerance, and the likely cause when all point the same way."""
    off = [c for c in checks if not c.agrees]
    if not off:
        return []
    parts = [
        f"{c.description}: {c.measured:.2f} {c.unit} for {c.expected:.2f} "
        f"(x{c.ratio:.2f}, tolerance +-{100 * c.tolerance:.0f} %)"
        for c in off
    ]
    same_way = len(off) == len(checks) and (
        all(c.ratio < 1 for c in off) or all(c.ratio > 1 for c in off)
    )
    cause = (
        "the whole 3D is scaled: the calibration assumed another board size than the "
        "printed one. Measure a printed square and check board.square_length_m and "
        "board.marker_length_m (the calibration report states the size it assumed), then "
        "calibrate again"
        if same_way
        else "check the recorded value (belt speed, subject height, speed) and the calibration's "
        "board size (board.square_length_m against a printed square)"
    )
    return [
        Reason(
            "scale_mismatch",
            "degraded",
            f"the 3D's scale disagrees with the world: {'; '.join(parts)}. Likely cause: "
            f"{cause}. Lengths and speeds from the 3D (step width, stride length "
            "overground, knee over toe) are off by that factor",
        )
    ]
