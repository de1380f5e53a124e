"""The `rtmpose` backend: top-down RTMPose (mmpose 1.3) with a Halpe-26 model, batched crops.

* Model: an mmpose config, by short name (`rtmpose-t|s|m|l`, ... : the Halpe-26 body8 configs
  of the model-zoo table `model_zoo.py`, shipped inside the mmpose package under
  `.mim/configs/body_2d_keypoint/rtmpose/body8/`) or by path (inside mmpose's configs unless
  `run_config_code`: a config is Python). Weights: a checkpoint file whose SHA-256 is
  verified BEFORE it is read, as data only (checkpoints.py; `runlab fetch-model` downloads
  one, the backend never downloads). A wrong or missing hash / file is a `CheckpointError`
  naming the path and the expected and actual hashes; so is a checkpoint that does not fit
  the config (`check_fits`: keypoint count, weight shapes), naming both.
* Person boxes: `person_boxes` (a callable frame -> [(box, score)], e.g.
  `person_boxes.BlazePersonDetector`, mediapipe's offline person detector) gives the box on
  the first frame of each camera and whenever the track is lost: no person above
  `min_person_score` in a pass (score drop), or the keypoints reaching the edge of the crop
  (the runner leaving the box, `EDGE_MARGIN`); `box_choice.choose_box` picks the runner
  among the detections (the one overlapping the last box, else score x size x centrality).
  In a pass it is asked frame by frame until it finds the runner, whose box that camera's
  later frames of the pass take; a frame where it finds nobody yields no candidate. Without
  `person_boxes`, those frames use the full frame as the box. Afterwards each forward pass
  uses, per camera, the union of that camera's keypoint boxes in the previous pass, expanded
  by `bbox_expand`. One camera
  (`detect`): a pass holds `batch_size` consecutive frames (batch_size=1: the previous
  frame's keypoints). C cameras in lockstep (`detect_cameras`): a pass holds batch_size // C
  consecutive frames of every camera, so a pass of batch_size crops leaves each box C times
  fresher than per camera. Alternatively `detect(frames, boxes=...)` takes external boxes
  per frame (e.g. from OpenPose or a detector) and returns one candidate per box.
  An mmdet detector (RTMDet) with the lab's checkpoint is the other box source
  (`person_boxes.MMDetPersonDetector`, through `mmcv_compat`'s pure-torch NMS).
* Crops: the box is widened to the model's aspect ratio (192:256), warped with cv2.warpAffine
  (`crop_matrix`), normalised as the config's data_preprocessor says, and run through the
  model `batch_size` crops at a time (crops of consecutive frames, and of all cameras with
  `detect_cameras`, are batched together).
  Output coordinates go back through the exact inverse affine.
* Device: "auto" = "cuda" when available, else "cpu"; `fp16=True` runs the model in half
  precision on CUDA (ignored with a warning on CPU). `cpu_threads` sets torch's threads (for
  the process) on the CPU; the stage leaves one core to decoding (`parallel.model_threads`).
* Output: mapped to Halpe-26 by keypoint NAME from the model's dataset_meta (identity for
  Halpe-26 models; a COCO-WholeBody or COCO-17 model gets its body/foot keypoints by name and
  head/neck/hip as midpoints, see `mapping_from_names`). Scores (SimCC maxima) are clipped
  to [0, 1].
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from pipeline.core.errors import RunlabError
from pipeline.core.skeleton import KEYPOINTS
from pipeline.pose2d.base import KeypointMapping, Person, Source, keypoint_box
from pipeline.pose2d.box_choice import choose_box
from pipeline.pose2d.checkpoints import (
    CheckpointError,
    check_config_source,
    read_checkpoint,  # noqa: F401
    shipped_config_dir,
)
from pipeline.pose2d.model_zoo import MODELS

log = logging.getLogger(__name__)

# Short names -> config under mmpose's shipped configs (the model-zoo table, model_zoo.py).
RTMPOSE_CONFIGS = {m.name: m.config for m in MODELS if m.kind == "pose"}

EDGE_MARGIN = 0.02  # keypoints this close (share of the crop) to a crop's edge: re-detect

# Canonical keypoints a model may lack, derived as midpoints of two it has (min score).
_DERIVED = {
    "head": ("left_ear", "right_ear"),
    "neck": ("left_shoulder", "right_shoulder"),
    "hip": ("left_hip", "right_hip"),
}


def resolve_config(config: str | Path, run_config_code: bool = False) -> Path:
    """A short name of RTMPOSE_CONFIGS or a path -> the config file (must exist). A path
    outside mmpose's shipped configs needs `run_config_code` (the config is Python)."""
    if str(config) in RTMPOSE_CONFIGS:
        path = shipped_config_dir().parent / RTMPOSE_CONFIGS[str(config)]
    else:
        path = Path(config)
    if not path.is_file():
        raise RunlabError(
            f"pose model config {path} not found; use one of {sorted(RTMPOSE_CONFIGS)} "
            f"or the path of an mmpose config file"
        )
    return check_config_source(path, run_config_code)


def mapping_from_names(names: Sequence[str], model: str = "mmpose") -> KeypointMapping:
    """Halpe-26 mapping for a model whose keypoints carry these names (mmpose dataset_meta)."""
    index = {n: i for i, n in enumerate(names)}
    table: dict[str, Source] = {}
    for k in KEYPOINTS:
        if k in index:
            table[k] = index[k]
        elif k in _DERIVED and all(p in index for p in _DERIVED[k]):
            table[k] = tuple(index[p] for p in _DERIVED[k])
    return KeypointMapping(model, len(names), table)


# --- crop geometry --------------------------------------------------------------------------
def box_to_center_scale(
    bbox: np.ndarray, aspect: float, expand: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """[x0, y0, x1, y1] -> centre (2,), size (w, h) expanded and widened to w / h = aspect."""
    x0, y0, x1, y1 = np.asarray(bbox, float)
    center = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    w, h = max(x1 - x0, 1.0) * expand, max(y1 - y0, 1.0) * expand
    if w > h * aspect:
        h = w / aspect
    else:
        w = h * aspect
    return center, np.array([w, h])


def crop_matrix(center: np.ndarray, scale: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
    """2x3 affine frame px -> crop px: the box (center, scale=(w, h)) fills out_size=(W, H).
    Same mapping as mmpose's TopdownAffine without rotation: x' = (x - cx) W / w + W / 2."""
    W, H = out_size
    sx, sy = W / scale[0], H / scale[1]
    return np.array([[sx, 0.0, W / 2 - center[0] * sx], [0.0, sy, H / 2 - center[1] * sy]])


def invert_affine(m: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(np.asarray(m, float))


def apply_affine(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, float)
    return xy @ m[:, :2].T + m[:, 2]


def crop(frame: np.ndarray, m: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
    return cv2.warpAffine(
        frame, m, out_size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )


# --- model ----------------------------------------------------------------------------------
def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RunlabError(
            f"detector device {device!r} requested but CUDA is not available; use 'auto' or 'cpu'"
        )
    return device


def build_model(config: str | Path, device: str = "cpu", run_config_code: bool = False):
    """The mmpose model of a config with random weights (no pretrained download)."""
    from pipeline.pose2d import mmcv_compat

    mmcv_compat.install()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mmpose.apis import init_model

        return init_model(str(resolve_config(config, run_config_code)), None, device=device)


def load_checkpoint(
    model,
    path: str | Path,
    expected_sha256: str | None,
    config: str | Path = "the model config",
) -> None:
    """Verify the hash, read the file as data only, check that it fits the config (keypoint
    count, every weight present with the config's shape), then load the weights."""
    ckpt = read_checkpoint(path, expected_sha256)
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError(f"pose checkpoint {path}: no state_dict inside")
    state = {k[7:] if k.startswith("module.") else k: v for k, v in state.items()}
    meta = ckpt.get("meta", {}) if isinstance(ckpt, dict) else {}
    check_fits(model, state, meta if isinstance(meta, dict) else {}, path, config)
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys:
        log.warning(
            "pose checkpoint %s: %d unused entries, e.g. %s",
            path,
            len(result.unexpected_keys),
            result.unexpected_keys[:3],
        )
    if isinstance(meta, dict) and "dataset_meta" in meta:
        model.dataset_meta = meta["dataset_meta"]


# CSPNeXt stem width (channels of its first conv) -> RTMPose size, to name what a file is
_STEM_WIDTH = {12: "RTMPose-t", 16: "RTMPose-s", 24: "RTMPose-m", 32: "RTMPose-l", 40: "RTMPose-x"}
_STEM = "backbone.stem.0.conv.weight"
_FINAL = "head.final_layer.weight"


def _describe(shapes: dict) -> str:
    parts = []
    if _FINAL in shapes:
        parts.append(f"{shapes[_FINAL][0]} keypoints")
    if _STEM in shapes:
        parts.append(
            _STEM_WIDTH.get(shapes[_STEM][0], f"a backbone {shapes[_STEM][0]} channels wide")
        )
    return ", ".join(parts) or "another architecture"


def check_fits(
    model,
    state: dict,
    meta: dict,
    path: str | Path,
    config: str | Path,
    what: str = "pose checkpoint",
) -> None:
    """CheckpointError naming the checkpoint and the config when the weights cannot be this
    model's: a different keypoint count (dataset_meta or head shape), a weight of another shape
    (another size / architecture), or weights missing."""
    wanted = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    given = {k: tuple(getattr(v, "shape", ())) for k, v in state.items()}
    n_model = (
        model.dataset_meta.get("num_keypoints") if getattr(model, "dataset_meta", None) else None
    )
    n_ckpt = (
        (meta.get("dataset_meta") or {}).get("num_keypoints")
        if isinstance(meta.get("dataset_meta"), dict)
        else None
    )
    if n_ckpt is None and _FINAL in given:
        n_ckpt = given[_FINAL][0]
    missing = [k for k in wanted if k not in given]
    reshaped = [k for k in wanted if k in given and given[k] != wanted[k]]
    if n_ckpt == n_model and not missing and not reshaped:
        return
    what = f"{what} {path} does not fit the config {config}"
    if n_ckpt is not None and n_model is not None and n_ckpt != n_model:
        what += f": the checkpoint has {n_ckpt} keypoints, the config {n_model}"
    elif reshaped:
        what += f": the checkpoint is {_describe(given)}, the config {_describe(wanted)}"
    if reshaped:
        k = reshaped[0]
        what += f"; {len(reshaped)} weights have another shape, e.g. {k} {list(given[k])} vs {list(wanted[k])}"
    if missing:
        what += f"; {len(missing)} weights missing, e.g. {missing[:3]}"
    raise CheckpointError(
        what + ". Choose the config the checkpoint was trained with "
        "(detector.rtmpose.model; `runlab models` lists the pairs)"
    )


class RTMPoseBackend:
    name = "rtmpose"

    def __init__(
        self,
        config: str | Path = "rtmpose-m",
        checkpoint: str | Path | None = None,
        sha256: str | None = None,
        device: str = "auto",
        fp16: bool = False,
        batch_size: int = 16,
        bbox_expand: float = 1.25,
        min_person_score: float = 0.3,
        flip_test: bool = False,
        allow_random_weights: bool = False,
        run_config_code: bool = False,
        person_boxes: Callable[[np.ndarray], list[tuple[np.ndarray, float]]] | None = None,
        cpu_threads: int | None = None,
    ):
        import torch

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if cpu_threads is not None and cpu_threads < 1:
            raise ValueError(f"cpu_threads must be >= 1, got {cpu_threads}")
        self.device = resolve_device(device)
        if fp16 and not self.device.startswith("cuda"):
            log.warning("rtmpose: fp16 needs CUDA; running in fp32 on %s", self.device)
            fp16 = False
        if cpu_threads is not None and self.device == "cpu":  # torch's setting is per process
            torch.set_num_threads(cpu_threads)
        self.fp16, self.batch_size, self.bbox_expand = fp16, batch_size, bbox_expand
        self.min_person_score, self.flip_test = min_person_score, flip_test
        self.person_boxes = person_boxes  # frame -> [(box, score)]; None: full frame
        if checkpoint is None and not allow_random_weights:
            raise CheckpointError(
                "the rtmpose backend needs a checkpoint file and its sha256 "
                "(random weights only for tests and benchmarks)"
            )
        self.model = build_model(config, "cpu", run_config_code)
        if checkpoint is not None:
            load_checkpoint(self.model, checkpoint, sha256, config)
        self.model.to(self.device).eval()
        if self.fp16:
            self.model.half()
        cfg = self.model.cfg
        self.input_size = tuple(cfg.codec["input_size"])  # (W, H)
        pre = cfg.model.data_preprocessor
        self.mean = torch.tensor(pre.mean, dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(pre.std, dtype=torch.float32).view(1, 3, 1, 1)
        self.bgr_to_rgb = bool(pre.get("bgr_to_rgb", False))
        names = [
            self.model.dataset_meta["keypoint_id2name"][i]
            for i in range(self.model.dataset_meta["num_keypoints"])
        ]
        self.mapping = mapping_from_names(names, f"mmpose:{Path(str(config)).stem}")
        self.flip_indices = list(self.model.dataset_meta["flip_indices"])

    # -- inference on crops -----------------------------------------------------------------
    def infer_crops(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, H, W, 3) BGR uint8 crops -> keypoints (N, K, 2) in crop px, scores (N, K)."""
        import torch
        from mmpose.models.utils.tta import flip_vectors

        kps, scores = [], []
        cuda = self.device.startswith("cuda")
        mean, std = self.mean.to(self.device), self.std.to(self.device)
        for start in range(0, len(crops), self.batch_size):
            x = torch.from_numpy(np.ascontiguousarray(crops[start : start + self.batch_size]))
            if cuda:  # uint8 over the bus (4x less than float)
                x = x.pin_memory().to(self.device, non_blocking=True)
            x = x.permute(0, 3, 1, 2).float()
            if self.bgr_to_rgb:
                x = x[:, [2, 1, 0]]
            x = ((x - mean) / std).contiguous()  # NCHW, not channels-last
            if self.fp16:
                x = x.half()
            with torch.inference_mode():
                px, py = self.model.head.forward(self.model.extract_feat(x))
                if self.flip_test:
                    fx, fy = self.model.head.forward(self.model.extract_feat(x.flip(3)))
                    fx, fy = flip_vectors(fx, fy, flip_indices=self.flip_indices)
                    px, py = (px + fx) * 0.5, (py + fy) * 0.5
            k, s = self.model.head.decoder.decode(
                px.float().cpu().numpy(), py.float().cpu().numpy()
            )
            kps.append(k[..., :2])
            scores.append(s)
        if not kps:
            n = self.mapping.n_source
            return np.zeros((0, n, 2)), np.zeros((0, n))
        return np.concatenate(kps), np.clip(np.concatenate(scores), 0.0, 1.0)

    def _people(
        self, frames: list[np.ndarray], boxes: list[list[np.ndarray]], expands: list[float]
    ) -> list[list[Person]]:
        """One candidate per box of each frame (box f expanded by expands[f]); all crops go
        through `infer_crops` together (batch_size crops per forward pass)."""
        crops, inverses, owner = [], [], []
        for f, (frame, frame_boxes) in enumerate(zip(frames, boxes)):
            for b in frame_boxes:
                center, scale = box_to_center_scale(
                    b, self.input_size[0] / self.input_size[1], expands[f]
                )
                m = crop_matrix(center, scale, self.input_size)
                crops.append(crop(frame, m, self.input_size))
                inverses.append(invert_affine(m))
                owner.append(f)
        out: list[list[Person]] = [[] for _ in frames]
        if not crops:
            return out
        kps, scores = self.infer_crops(np.stack(crops))
        for k, s, inv, f in zip(kps, scores, inverses, owner):
            src = np.concatenate([apply_affine(inv, k), s[:, None]], axis=1)
            out[f].append(Person.from_keypoints(self.mapping.apply(src)))
        return out

    def _track_group(
        self,
        group: list[Sequence[np.ndarray]],
        tracks: list[np.ndarray | None],
        last: list[np.ndarray | None],
    ) -> list[list[list[Person]]]:
        """Tracked candidates of a group of steps (group[s][c] = frame of camera c at step s);
        updates tracks[c] to the union of camera c's keypoint boxes in this group (None =
        lost) and last[c] to the last box camera c had."""
        n_cams = len(tracks)
        frames = [fr for step in group for fr in step]  # step-major: each pass mixes cameras
        boxes, expands = [], []
        detected: dict[int, np.ndarray] = {}  # camera -> the detector's box in this group
        for i, fr in enumerate(frames):
            c = i % n_cams
            if tracks[c] is not None:
                boxes.append([tracks[c]])
                expands.append(self.bbox_expand)
            elif self.person_boxes is not None:  # start / lost: ask until the runner is found
                found = detected.get(c)
                if found is None:
                    found = choose_box(self.person_boxes(fr), (fr.shape[1], fr.shape[0]), last[c])
                    if found is not None:
                        detected[c] = found
                boxes.append([] if found is None else [found])
                expands.append(self.bbox_expand)
            else:  # start / lost: the full frame
                boxes.append([np.array([0.0, 0.0, fr.shape[1] - 1.0, fr.shape[0] - 1.0])])
                expands.append(1.0)
        kept = [
            [p for p in ps if p.score >= self.min_person_score]
            for ps in self._people(frames, boxes, expands)
        ]
        leaving = [False] * n_cams
        if self.person_boxes is not None:  # a crop's keypoints at its edge
            for i, ps in enumerate(kept):
                for p in ps:
                    kb = keypoint_box(p.keypoints, self.min_person_score)
                    if kb is not None and boxes[i] and self._left_the_box(kb, boxes[i][0]):
                        leaving[i % n_cams] = True
        for c in range(n_cams):
            found = [
                keypoint_box(p.keypoints, self.min_person_score)
                for ps in kept[c::n_cams]
                for p in ps
            ]
            found = np.array([b for b in found if b is not None])
            union = np.r_[found[:, :2].min(0), found[:, 2:].max(0)] if len(found) else None
            if leaving[c]:
                union = None  # re-detect in the next pass
            tracks[c] = union
            last[c] = union if union is not None else last[c]
        return [kept[s * n_cams : (s + 1) * n_cams] for s in range(len(group))]

    def _left_the_box(self, keypoints_box: np.ndarray, box: np.ndarray) -> bool:
        """True when the keypoints reach the edge of the crop `box` gave (within EDGE_MARGIN
        of the crop's size): the runner may be leaving it."""
        center, scale = box_to_center_scale(
            box, self.input_size[0] / self.input_size[1], self.bbox_expand
        )
        lo, hi = center - scale / 2, center + scale / 2
        margin = EDGE_MARGIN * scale
        return bool(
            (keypoints_box[:2] <= lo + margin).any() or (keypoints_box[2:] >= hi - margin).any()
        )

    # -- the backend interface --------------------------------------------------------------
    def detect_cameras(self, steps: Iterable[Sequence[np.ndarray]]) -> Iterator[list[list[Person]]]:
        """Tracked candidates of C synchronized cameras: `steps` yields one frame per camera,
        and this yields per step one list of candidates per camera. A forward pass holds
        batch_size // C consecutive frames of every camera (at least 1 each, so at most
        batch_size crops when C <= batch_size); each camera's box comes from ITS keypoints in
        the previous pass (full frame at the start and after a loss). With C = 1 this is
        `detect` without boxes."""
        tracks: list[np.ndarray | None] | None = None
        last: list[np.ndarray | None] = []
        group: list[Sequence[np.ndarray]] = []
        per_pass = 1
        for step in steps:
            if tracks is None:
                tracks, last = [None] * len(step), [None] * len(step)
                per_pass = max(1, self.batch_size // len(step))
            if len(step) != len(tracks):
                raise ValueError(
                    f"rtmpose: a step has {len(step)} frames, the first had {len(tracks)} cameras"
                )
            for frame in step:
                _check_frame(frame)
            group.append(step)  # held: at most batch_size frames
            if len(group) == per_pass:
                yield from self._track_group(group, tracks, last)
                group = []
        if group:
            yield from self._track_group(group, tracks, last)

    def detect(
        self, frames: Iterable[np.ndarray], boxes: Iterable[Sequence[np.ndarray]] | None = None
    ) -> Iterator[list[Person]]:
        """Candidates per frame. Without `boxes`: one tracked person (see module docstring),
        [] in frames where its mean score < min_person_score. With `boxes` (per frame, a list
        of [x0, y0, x1, y1]): one candidate per box (boxes expanded by bbox_expand)."""
        if boxes is None:
            for (people,) in self.detect_cameras((frame,) for frame in frames):
                yield people
            return
        box_iter = iter(boxes)
        batch: list[np.ndarray] = []
        for frame in frames:
            _check_frame(frame)
            batch.append(frame)
            if len(batch) == self.batch_size:
                yield from self._given(batch, box_iter)
                batch = []
        if batch:
            yield from self._given(batch, box_iter)

    def _given(self, batch: list[np.ndarray], box_iter: Iterator) -> list[list[Person]]:
        given = [[np.asarray(b, float) for b in next(box_iter, [])] for _ in batch]
        return self._people(batch, given, [self.bbox_expand] * len(batch))


def _check_frame(frame: np.ndarray) -> None:
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(
            f"rtmpose expects BGR uint8 frames (H, W, 3), got {frame.dtype} {frame.shape}"
        )
