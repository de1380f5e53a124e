"""Marker sets: how a marker file's markers make runlab's Halpe-26 keypoints.

A marker set is a YAML file in `conf/markerset/<name>.yaml` (docs/import3d.md):

    name: hamner2013
    keypoints:
      right_shoulder: RACR                              # one marker
      right_elbow: {midpoint: [RLEL, RMEL]}             # the midpoint of markers/keypoints
      right_knee: {offset: {from: RLEPI, along: [RASI, LASI], distance_m: 0.05}}
      right_hip: {harrington: {asis: [RASI, LASI], psis: [RPSI, LPSI], side: right}}
      right_ankle: {functional: {proximal: [RTB1, RTB2, RTB3], distal: [RCAL, RTOE],
                                 near: right_knee}}

A name in a recipe is a marker of the file or, when it is a Halpe-26 name, a keypoint the set
already makes. A keypoint the set does not list is a gap (NaN), as is one whose markers the
file lacks (with a `MissingMarkerWarning` naming them). Keypoint files from other markerless
tools (Pose2Sim, OpenCap, runlab's own exports) need no marker set: `by_name` maps them.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from pipeline.core.errors import RunlabError
from pipeline.core.skeleton import INDEX, KEYPOINTS, N_KEYPOINTS
from pipeline.io.joint_centres import functional_centre, harrington_hip_centres

MARKERSET_DIR = Path(__file__).resolve().parents[2] / "conf" / "markerset"
RECIPES = ("midpoint", "offset", "harrington", "functional")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class MarkerSetError(RunlabError, ValueError):
    """A marker set that is malformed or does not fit the file (names the set, key and fix)."""


class MissingMarkerWarning(UserWarning):
    """A keypoint left as a gap because the file lacks a marker its recipe needs."""


@dataclass(frozen=True)
class MarkerSet:
    name: str
    path: Path | None
    keypoints: dict  # Halpe-26 name -> recipe (str or one-key dict)

    def markers_needed(self) -> set[str]:
        return {n for recipe in self.keypoints.values() for n in _names_in(recipe)} - set(KEYPOINTS)


def _names_in(recipe) -> list[str]:
    if isinstance(recipe, str):
        return [recipe]
    ((kind, spec),) = recipe.items()
    if kind == "midpoint":
        return list(spec)
    if kind == "offset":
        return [spec["from"], *spec["along"]]
    if kind == "harrington":
        return [
            *spec["asis"],
            *spec.get("psis", []),
            *([spec["sacrum"]] if "sacrum" in spec else []),
        ]
    return [*spec["proximal"], *spec["distal"], *([spec["near"]] if spec.get("near") else [])]


def _check_recipe(where: str, key: str, recipe) -> None:
    def fail(msg: str):
        raise MarkerSetError(f"{where}: keypoints.{key}: {msg}")

    if isinstance(recipe, str):
        return
    if not isinstance(recipe, dict) or len(recipe) != 1:
        fail(f"a marker name or one of {{{', '.join(RECIPES)}: ...}}, not {recipe!r}")
    ((kind, spec),) = recipe.items()
    if kind not in RECIPES:
        fail(f"unknown recipe {kind!r}; use one of {', '.join(RECIPES)}")
    if kind == "midpoint":
        if not isinstance(spec, list) or len(spec) < 2 or not all(isinstance(s, str) for s in spec):
            fail("midpoint takes a list of two or more marker names")
        return
    if not isinstance(spec, dict):
        fail(f"{kind} takes a mapping")
    required = {
        "offset": {"from", "along", "distance_m"},
        "harrington": {"asis", "side"},
        "functional": {"proximal", "distal"},
    }[kind]
    allowed = required | {"harrington": {"psis", "sacrum"}, "functional": {"near"}}.get(kind, set())
    missing, unknown = required - set(spec), set(spec) - allowed
    if missing or unknown:
        fail(
            f"{kind} needs {sorted(required)}"
            + (f", optional {sorted(allowed - required)}" if allowed != required else "")
            + (f"; unknown key(s) {sorted(unknown)}" if unknown else "")
        )
    if kind == "offset" and (
        len(spec["along"]) != 2 or not isinstance(spec["distance_m"], (int, float))
    ):
        fail("offset: along is [start, end] (two names), distance_m a number of metres")
    if kind == "harrington":
        if len(spec["asis"]) != 2 or spec["side"] not in ("right", "left"):
            fail("harrington: asis is [right, left], side is right or left")
        if ("psis" in spec) == ("sacrum" in spec):
            fail("harrington: give either psis [right, left] or sacrum (one marker)")
    if kind == "functional" and (len(spec["proximal"]) < 3 or len(spec["distal"]) < 1):
        fail("functional: proximal is a cluster of 3 or more markers, distal 1 or more markers")


def parse_markerset(data: dict, where: str = "marker set") -> MarkerSet:
    if not isinstance(data, dict) or not isinstance(data.get("keypoints"), dict):
        raise MarkerSetError(f"{where}: needs a `keypoints:` mapping (Halpe-26 name -> recipe)")
    unknown = set(data) - {"name", "description", "keypoints", "source"}
    if unknown:
        raise MarkerSetError(
            f"{where}: unknown top-level key(s) {sorted(unknown)}; "
            "allowed: name, description, source, keypoints"
        )
    for key, recipe in data["keypoints"].items():
        if key not in INDEX:
            raise MarkerSetError(
                f"{where}: keypoints.{key} is not a Halpe-26 keypoint; "
                f"valid names: {', '.join(KEYPOINTS)}"
            )
        _check_recipe(where, key, recipe)
    return MarkerSet(str(data.get("name", where)), None, dict(data["keypoints"]))


def load_markerset(name_or_path: str | Path) -> MarkerSet:
    """`conf/markerset/<name>.yaml` by name, or a path to a YAML file."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")):
        path = Path(text)
    else:
        if not _SAFE_NAME.match(text):
            raise MarkerSetError(f"marker set name {text!r}: letters, digits, _ . - only")
        path = MARKERSET_DIR / f"{text}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in MARKERSET_DIR.glob("*.yaml"))
        raise MarkerSetError(
            f"marker set {path} not found; known sets: {', '.join(known)} "
            "(or write your own: docs/import3d.md)"
        )
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise MarkerSetError(f"{path}: not valid YAML ({exc})") from None
    ms = parse_markerset(data, str(path))
    return MarkerSet(ms.name, path, ms.keypoints)


# --- keypoint files: map by name ------------------------------------------------------------
def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_SIDE_ALIASES = {
    "shoulder": ["shoulder"],
    "elbow": ["elbow"],
    "wrist": ["wrist"],
    "hip": ["hip"],
    "knee": ["knee"],
    "ankle": ["ankle"],
    "eye": ["eye"],
    "ear": ["ear"],
    "big_toe": ["bigtoe"],
    "small_toe": ["smalltoe"],
    "heel": ["heel"],
}


def _keypoint_aliases() -> dict[str, str]:
    """Normalized name -> Halpe-26 keypoint: runlab's own names, Pose2Sim/OpenPose
    (RKnee, LBigToe, Hip/MidHip), OpenCap (r_knee, midHip) spellings."""
    out = {_norm(k): k for k in KEYPOINTS}
    for part, spellings in _SIDE_ALIASES.items():
        for side, short in (("right", "r"), ("left", "l")):
            for s in spellings:
                for form in (short + s, side + s, s + short, short + s + "study"):
                    out[form] = f"{side}_{part}"
    out.update(
        {
            "midhip": "hip",
            "pelvis": "hip",
            "hipcenter": "hip",
            "head": "head",
            "neck": "neck",
            "nose": "nose",
            "thorax": "neck",
        }
    )
    return out


ALIASES = _keypoint_aliases()


def by_name(names: tuple[str, ...] | list[str]) -> dict[str, int]:
    """Halpe-26 keypoint -> column of a keypoint file, matched by name; {} for a marker file."""
    found: dict[str, int] = {}
    for i, name in enumerate(names):
        key = ALIASES.get(_norm(name))
        if key is not None and key not in found:
            found[key] = i
    return found


# --- marker files: apply a marker set -------------------------------------------------------
def apply_markerset(
    ms: MarkerSet, names: tuple[str, ...], points: np.ndarray, source: str = "the file"
) -> tuple[np.ndarray, list[str]]:
    """(F, M, 3) markers -> (F, 26, 3) keypoints in the same axes and units, and notes on how
    (functional centres' fit, keypoints left as gaps). A keypoint whose markers the file lacks
    is NaN with a MissingMarkerWarning; a set none of whose markers the file has is an error."""
    column = {n: i for i, n in enumerate(names)}
    needed = ms.markers_needed()
    if needed and not needed & set(column):
        raise MarkerSetError(
            f"marker set {ms.name!r} does not fit {source}: none of its markers "
            f"({', '.join(sorted(needed)[:8])}...) are in the file (it has "
            f"{', '.join(names[:8])}...); pick the set written for this lab "
            "(--markerset) or write one (docs/import3d.md)"
        )
    out = np.full((points.shape[0], N_KEYPOINTS, 3), np.nan)
    done: dict[str, np.ndarray | None] = {}
    notes: list[str] = []

    def get(name: str, stack: tuple[str, ...]) -> np.ndarray | None:
        if name in INDEX and name in ms.keypoints:
            return make(name, stack)
        if name in column:
            return points[:, column[name]]
        return None

    def make(key: str, stack: tuple[str, ...] = ()) -> np.ndarray | None:
        if key in done:
            return done[key]
        if key in stack:
            raise MarkerSetError(
                f"marker set {ms.name!r}: keypoints.{key} depends on itself "
                f"({' -> '.join(stack + (key,))})"
            )
        recipe, stack = ms.keypoints[key], stack + (key,)
        needed_names = _names_in(recipe)
        found = {n: get(n, stack) for n in needed_names}
        lacking = [n for n, v in found.items() if v is None]
        if lacking and isinstance(recipe, dict) and "functional" in recipe:
            # a functional centre still fits with some of its distal markers (2 or more)
            distal = recipe["functional"]["distal"]
            kept = [n for n in distal if found[n] is not None]
            if len(kept) >= 2 and not set(lacking) - set(distal):
                warnings.warn(
                    f"{source}: keypoint {key} fitted without distal marker(s) "
                    f"{', '.join(lacking)}, which the file lacks",
                    MissingMarkerWarning,
                    stacklevel=2,
                )
                notes.append(f"{key}: without {', '.join(lacking)}")
                recipe = {"functional": {**recipe["functional"], "distal": kept}}
                found = {n: v for n, v in found.items() if v is not None}
                lacking = []
        if lacking:
            warnings.warn(
                f"{source}: keypoint {key} left as a gap: the file has no marker "
                f"{', '.join(lacking)} (marker set {ms.name!r}); add the marker or "
                "give the keypoint another recipe in the marker set",
                MissingMarkerWarning,
                stacklevel=2,
            )
            notes.append(f"{key}: gap (no {', '.join(lacking)})")
            done[key] = None
            return None
        done[key] = _evaluate(key, recipe, found, notes)
        return done[key]

    for key in ms.keypoints:
        value = make(key)
        if value is not None:
            out[:, INDEX[key]] = value
    return out, notes


def _evaluate(key: str, recipe, found: dict, notes: list[str]) -> np.ndarray:
    if isinstance(recipe, str):
        return found[recipe]
    ((kind, spec),) = recipe.items()
    if kind == "midpoint":
        return np.mean([found[n] for n in spec], axis=0)
    if kind == "offset":
        start, end = found[spec["along"][0]], found[spec["along"][1]]
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = (end - start) / np.linalg.norm(end - start, axis=-1, keepdims=True)
        return found[spec["from"]] + float(spec["distance_m"]) * unit
    if kind == "harrington":
        rasi, lasi = found[spec["asis"][0]], found[spec["asis"][1]]
        rear = (
            found[spec["sacrum"]]
            if "sacrum" in spec
            else 0.5 * (found[spec["psis"][0]] + found[spec["psis"][1]])
        )
        right, left = harrington_hip_centres(rasi, lasi, rear)
        return right if spec["side"] == "right" else left
    proximal = np.stack([found[n] for n in spec["proximal"]], axis=1)
    distal = np.stack([found[n] for n in spec["distal"]], axis=1)
    near = found[spec["near"]] if spec.get("near") else None
    try:
        centre, report = functional_centre(proximal, distal, near)
    except ValueError as exc:
        raise MarkerSetError(
            f"keypoints.{key}: functional centre not found ({exc}); the "
            f"markers {spec['proximal']} and {spec['distal']} are seen together "
            "in too few frames"
        ) from None
    notes.append(
        f"{key}: functional centre ({'hinge axis, nearest ' + spec['near'] if report.hinge else 'ball joint'}; "
        f"distance to distal markers varies {report.radius_sd_mm:.1f} mm SD)"
    )
    return centre
