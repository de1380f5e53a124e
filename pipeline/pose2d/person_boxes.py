"""Person boxes for top-down pose models, without RTMDet: mediapipe's BlazePose person detector.

`BlazePersonDetector` runs `pose_detection.tflite`, the person detector that ships inside the
mediapipe 0.10.14 wheel (the first stage of BlazePose), alone, offline, in a mediapipe graph
built here from the wheel's calculators (the same nodes and options as mediapipe's own
`PoseDetectionCpu` subgraph, which keeps only one person; here every detection above
`min_score` after non-maximum suppression is kept, so a bystander is a second candidate, not
a replacement). Input: the whole frame letterboxed to 224x224, so a person must be roughly
a tenth of the frame height or more to be found (on the pose2sim demo the background
bystander, about 460 px of 1920, is not).

A detection gives the hip centre and a point that sets the radius r of a circle holding the
whole body (mediapipe's alignment keypoints 0 and 1); the box is [cx - r/2, cy - r,
cx + r/2, cy + r] (upright runner; the pose model widens it to its own aspect ratio).

`choose_box` (box_choice.py) picks the runner among the boxes.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.core.errors import RunlabError
from pipeline.pose2d.box_choice import choose_box  # noqa: F401  (re-exported)

_GRAPH = """
input_stream: "image"
output_stream: "detections"
node { calculator: "ImageToTensorCalculator" input_stream: "IMAGE:image"
  output_stream: "TENSORS:input_tensors" output_stream: "LETTERBOX_PADDING:letterbox_padding"
  options { [mediapipe.ImageToTensorCalculatorOptions.ext] { output_tensor_width: 224
    output_tensor_height: 224 keep_aspect_ratio: true output_tensor_float_range { min: -1.0 max: 1.0 }
    border_mode: BORDER_ZERO } } }
node { calculator: "SsdAnchorsCalculator" output_side_packet: "anchors"
  options { [mediapipe.SsdAnchorsCalculatorOptions.ext] { num_layers: 5 min_scale: 0.1484375
    max_scale: 0.75 input_size_height: 224 input_size_width: 224 anchor_offset_x: 0.5
    anchor_offset_y: 0.5 strides: 8 strides: 16 strides: 32 strides: 32 strides: 32
    aspect_ratios: 1.0 fixed_anchor_size: true } } }
node { calculator: "InferenceCalculator" input_stream: "TENSORS:input_tensors"
  output_stream: "TENSORS:detection_tensors"
  options { [mediapipe.InferenceCalculatorOptions.ext] {
    model_path: "mediapipe/modules/pose_detection/pose_detection.tflite" delegate { xnnpack {} } } } }
node { calculator: "TensorsToDetectionsCalculator" input_stream: "TENSORS:detection_tensors"
  input_side_packet: "ANCHORS:anchors" output_stream: "DETECTIONS:unfiltered_detections"
  options { [mediapipe.TensorsToDetectionsCalculatorOptions.ext] { num_classes: 1 num_boxes: 2254
    num_coords: 12 box_coord_offset: 0 keypoint_coord_offset: 4 num_keypoints: 4
    num_values_per_keypoint: 2 sigmoid_score: true score_clipping_thresh: 100.0
    reverse_output_order: true x_scale: 224.0 y_scale: 224.0 h_scale: 224.0 w_scale: 224.0
    min_score_thresh: %(min_score)s } } }
node { calculator: "NonMaxSuppressionCalculator" input_stream: "unfiltered_detections"
  output_stream: "filtered_detections"
  options { [mediapipe.NonMaxSuppressionCalculatorOptions.ext] { min_suppression_threshold: 0.3
    overlap_type: INTERSECTION_OVER_UNION algorithm: WEIGHTED } } }
node { calculator: "DetectionLetterboxRemovalCalculator" input_stream: "DETECTIONS:filtered_detections"
  input_stream: "LETTERBOX_PADDING:letterbox_padding" output_stream: "DETECTIONS:detections" }
"""


class BlazePersonDetector:
    """Callable: BGR uint8 frame -> list of (box [x0, y0, x1, y1] px, score), best first."""

    name = "blazepose-detector"

    def __init__(self, min_score: float = 0.5):
        if not 0.0 < min_score < 1.0:
            raise RunlabError(f"person detector min_score must be in (0, 1), got {min_score}")
        try:
            from google.protobuf import text_format
            from mediapipe.calculators.tensor import (
                image_to_tensor_calculator_pb2,  # noqa: F401
                inference_calculator_pb2,  # noqa: F401
                tensors_to_detections_calculator_pb2,  # noqa: F401
            )
            from mediapipe.calculators.tflite import ssd_anchors_calculator_pb2  # noqa: F401
            from mediapipe.calculators.util import non_max_suppression_calculator_pb2  # noqa: F401
            from mediapipe.framework import calculator_pb2
            from mediapipe.python.solution_base import SolutionBase
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RunlabError(
                f"person boxes from BlazePose need mediapipe 0.10.14 ({exc})"
            ) from exc
        config = text_format.Parse(
            _GRAPH % {"min_score": float(min_score)}, calculator_pb2.CalculatorGraphConfig()
        )
        self.graph = SolutionBase(graph_config=config, outputs=["detections"])

    def __call__(self, frame: np.ndarray) -> list[tuple[np.ndarray, float]]:
        h, w = frame.shape[:2]
        result = self.graph.process({"image": cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)})
        out = []
        for det in result.detections or []:
            hip, top = det.location_data.relative_keypoints[:2]
            cx, cy = hip.x * w, hip.y * h
            r = float(np.hypot((top.x - hip.x) * w, (top.y - hip.y) * h))
            out.append((np.array([cx - r / 2, cy - r, cx + r / 2, cy + r]), float(det.score[0])))
        return sorted(out, key=lambda d: -d[1])

    def close(self) -> None:
        self.graph.close()


class MMDetPersonDetector:
    """Callable like BlazePersonDetector, from an mmdet detector (e.g. RTMDet person) and a
    checkpoint the lab has: `model` = a person-detector name of the model-zoo table
    (`rtmdet-m-person`) or a config path inside what mmpose or mmdet ship (`.mim/`; another
    file only with `run_config_code`, a config being Python). The checkpoint is verified and
    read as data only, and must fit the config, exactly like a pose checkpoint
    (checkpoints.py, mmpose_backend.check_fits). Boxes of class 0 (person) above `min_score`."""

    name = "mmdet-detector"

    def __init__(
        self,
        model: str,
        checkpoint: str,
        sha256: str | None,
        min_score: float = 0.5,
        device: str = "cpu",
        run_config_code: bool = False,
    ):
        import warnings

        from pipeline.pose2d import mmcv_compat
        from pipeline.pose2d.checkpoints import read_checkpoint
        from pipeline.pose2d.mmpose_backend import check_fits

        config = resolve_detector_config(model, run_config_code)
        mmcv_compat.install()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from mmdet.apis import init_detector

            self.model = init_detector(str(config), None, device="cpu")
        ckpt = read_checkpoint(checkpoint, sha256)
        state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state, dict):
            from pipeline.pose2d.checkpoints import CheckpointError

            raise CheckpointError(f"person-detector checkpoint {checkpoint}: no state_dict inside")
        check_fits(self.model, state, {}, checkpoint, model, what="person-detector checkpoint")
        self.model.load_state_dict(state, strict=False)
        self.model.to(device).eval()
        self.min_score = min_score

    def __call__(self, frame: np.ndarray) -> list[tuple[np.ndarray, float]]:
        import warnings

        from mmdet.apis import inference_detector

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = inference_detector(self.model, frame).pred_instances
        boxes, scores, labels = (
            pred.bboxes.cpu().numpy(),
            pred.scores.cpu().numpy(),
            pred.labels.cpu().numpy(),
        )
        keep = (labels == 0) & (scores >= self.min_score)
        return sorted(
            ((b.astype(float), float(s)) for b, s in zip(boxes[keep], scores[keep])),
            key=lambda d: -d[1],
        )

    def close(self) -> None:
        pass


def resolve_detector_config(model: str, run_config_code: bool = False):
    """A person-detector name of the model-zoo table or a config path -> the config file."""
    import importlib.util
    from pathlib import Path

    from pipeline.pose2d.checkpoints import ConfigCodeError, shipped_config_dir
    from pipeline.pose2d.model_zoo import BY_NAME

    mim = shipped_config_dir().parent  # mmpose/.mim
    entry = BY_NAME.get(str(model))
    if entry is not None and entry.kind == "person":
        path = mim / entry.config
    else:
        path = Path(model)
    if not path.is_file():
        names = [m.name for m in BY_NAME.values() if m.kind == "person"]
        raise RunlabError(
            f"detector.rtmpose.mmdet_model = {model}: no such file; use one of {names} "
            "or the path of an mmdet config"
        )
    roots = [mim.resolve()]
    spec = importlib.util.find_spec("mmdet")
    if spec is not None and spec.origin is not None:
        roots.append((Path(spec.origin).parent / ".mim").resolve())
    if run_config_code or any(path.resolve().is_relative_to(r) for r in roots):
        return path
    raise ConfigCodeError(
        f"detector.rtmpose.mmdet_model = {path} is not a config mmpose or mmdet "
        "ships; a config is Python that runs when read. Set "
        "detector.rtmpose.run_config_code: true only for a file you trust"
    )
