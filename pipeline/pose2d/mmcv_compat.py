"""Let mmpose 1.3 import on a pure-Python mmcv (no compiled ops) and without torchvision.

Why: this project installs mmcv 2.1.0 built with MMCV_WITH_OPS=0 (the compiled build takes
~25 min) and has no usable torchvision (no CPU build on the registry). Importing mmpose's
models or apis then fails at exactly two places that top-down RTMPose inference never uses:
  * `mmpose.models.heads.transformer_heads` (ED-Pose) does `from mmcv.ops import
    MultiScaleDeformableAttention` -> needs mmcv's compiled `mmcv._ext`;
  * `mmpose.visualization.simcc_vis` does `from torchvision.transforms import ToPILImage`.

`install()` (called by pipeline.pose2d.mmpose_backend before it imports mmpose) fixes both:
  * if `mmcv._ext` (compiled ops) is missing, it registers a stand-in `mmcv.ops` package
    (and any `mmcv.ops.<submodule>`, through a meta-path finder) whose `nms` / `batched_nms`
    are pure torch (enough for mmdet's RTMDet post-processing) and whose every other name
    (MultiScaleDeformableAttention, DeformConv2d, roi_align, ...) is a placeholder class that
    raises `MissingCompiledOp` when instantiated or called. RTMPose's backbone is mmdet's
    CSPNeXt, and importing `mmdet.models` imports dozens of such names at module level, so
    a fixed list is not enough. Side effect: code that probes `from mmcv.ops import X` in a
    try/except (mmpose's DEKR head, PoseWarper neck) now believes the ops exist and fails
    with MissingCompiledOp when such a model is built: those models need the full mmcv;
  * if torchvision does not import, it registers `mmpose.visualization.simcc_vis` with a
    `SimCCVisualizer` that raises when used (torchvision itself is NOT faked, so other
    libraries still see that it is absent).
When the compiled ops and torchvision import fine (e.g. a CUDA machine with the full mmcv),
it does nothing. Call it before `mmpose.models` / `mmpose.apis` are imported (importing the
bare `mmpose` package first is fine).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import types

import torch

_installed: dict[str, bool] = {}


class MissingCompiledOp(RuntimeError):
    """An mmcv operator that needs the compiled mmcv build was used."""


def nms(
    boxes,
    scores,
    iou_threshold: float,
    offset: int = 0,
    score_threshold: float = 0.0,
    max_num: int = -1,
):
    """Pure-torch greedy NMS with mmcv.ops.nms's signature: returns (dets (N, 5), keep)."""
    boxes_t = torch.as_tensor(boxes, dtype=torch.float32)
    scores_t = torch.as_tensor(scores, dtype=torch.float32)
    idx = torch.arange(len(scores_t), device=scores_t.device)
    if score_threshold > 0:
        mask = scores_t > score_threshold
        boxes_t, scores_t, idx = boxes_t[mask], scores_t[mask], idx[mask]
    order = torch.argsort(scores_t, descending=True)
    x0, y0, x1, y1 = boxes_t.unbind(-1)
    areas = (x1 - x0 + offset).clamp(min=0) * (y1 - y0 + offset).clamp(min=0)
    keep = []
    while order.numel() > 0:
        i = int(order[0])
        keep.append(i)
        if max_num > 0 and len(keep) >= max_num:
            break
        rest = order[1:]
        w = (torch.minimum(x1[i], x1[rest]) - torch.maximum(x0[i], x0[rest]) + offset).clamp(min=0)
        h = (torch.minimum(y1[i], y1[rest]) - torch.maximum(y0[i], y0[rest]) + offset).clamp(min=0)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter).clamp(min=1e-12)
        order = rest[iou <= iou_threshold]
    keep_t = torch.as_tensor(keep, dtype=torch.long, device=scores_t.device)
    dets = torch.cat([boxes_t[keep_t], scores_t[keep_t, None]], dim=1)
    if isinstance(boxes, torch.Tensor):
        return dets, idx[keep_t]
    return dets.numpy(), idx[keep_t].numpy()


def batched_nms(boxes, scores, idxs, nms_cfg, class_agnostic: bool = False):
    """mmcv.ops.batched_nms for the `nms` type: NMS per class (coordinate-offset trick)."""
    nms_cfg = dict(nms_cfg or {})
    if nms_cfg.get("type", "nms") != "nms":
        raise MissingCompiledOp(f"batched_nms type {nms_cfg['type']!r} needs the compiled mmcv")
    nms_cfg.pop("type", None)
    class_agnostic = nms_cfg.pop("class_agnostic", class_agnostic)
    max_num = nms_cfg.pop("max_num", -1)
    iou_threshold = nms_cfg.pop("iou_threshold", nms_cfg.pop("iou_thr", 0.5))
    if boxes.numel() == 0:
        return torch.cat([boxes, scores[:, None]], -1), torch.zeros(0, dtype=torch.long)
    if class_agnostic:
        shifted = boxes
    else:
        offsets = idxs.to(boxes) * (boxes.max() + 1)
        shifted = boxes + offsets[:, None]
    _, keep = nms(shifted, scores, iou_threshold)
    keep = keep[torch.argsort(scores[keep], descending=True)]
    if max_num > 0:
        keep = keep[:max_num]
    return torch.cat([boxes[keep], scores[keep, None]], -1), keep


def _placeholder(name: str) -> type:
    def __init__(self, *args, **kwargs):
        raise MissingCompiledOp(
            f"mmcv.ops.{name} needs mmcv built with compiled ops "
            f"(MMCV_WITH_OPS=1); this installation is the pure-Python mmcv"
        )

    return type(name, (torch.nn.Module,), {"__init__": __init__, "__module__": "mmcv.ops"})


class _OpsStub(types.ModuleType):
    """Stand-in for `mmcv.ops` and its submodules: nms / batched_nms work (pure torch), any
    other name is a placeholder class that raises MissingCompiledOp when used."""

    __path__: list = []  # a package: `mmcv.ops.<sub>` can be imported

    def __init__(self, name: str):
        super().__init__(name, "Stand-in for the compiled mmcv.ops (pipeline.pose2d.mmcv_compat)")
        self.nms, self.batched_nms, self.MissingCompiledOp = nms, batched_nms, MissingCompiledOp

    def __setattr__(self, name: str, value):
        # importing the submodule `mmcv.ops.nms` must not replace the function `mmcv.ops.nms`
        if isinstance(value, _OpsStub) and name in self.__dict__:
            return
        super().__setattr__(name, value)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _placeholder(name)
        setattr(self, name, value)
        return value


class _OpsFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves `import mmcv.ops.<anything>` with an _OpsStub while the stub is installed."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith("mmcv.ops.") and isinstance(sys.modules.get("mmcv.ops"), _OpsStub):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return _OpsStub(spec.name)

    def exec_module(self, module):
        pass


def _need_ops_stub() -> bool:
    if "mmcv.ops" in sys.modules:
        return False
    try:
        return importlib.util.find_spec("mmcv._ext") is None
    except (ImportError, ValueError):
        return True


def _torchvision_ok() -> bool:
    try:
        import torchvision.transforms  # noqa: F401

        return True
    except Exception:  # ImportError, or RuntimeError "operator torchvision::nms does not exist"
        for key in [k for k in sys.modules if k == "torchvision" or k.startswith("torchvision.")]:
            del sys.modules[key]
        return False


def install() -> dict[str, bool]:
    """Install the stand-ins that are needed; returns {"mmcv.ops": bool, "simcc_vis": bool}
    telling which were installed. Idempotent; a no-op with compiled mmcv + torchvision."""
    if _installed:
        return dict(_installed)
    ops_stub = _need_ops_stub()
    if ops_stub:
        import mmcv

        sys.modules["mmcv.ops"] = mmcv.ops = _OpsStub("mmcv.ops")
        sys.meta_path.insert(0, _OpsFinder())
    vis_stub = not _torchvision_ok()
    if vis_stub:
        vis = types.ModuleType("mmpose.visualization.simcc_vis")

        class SimCCVisualizer:
            def __init__(self, *args, **kwargs):
                raise ImportError(
                    "mmpose's SimCCVisualizer needs torchvision, which is not "
                    "installed (pipeline.pose2d.mmcv_compat stand-in)"
                )

        vis.SimCCVisualizer = SimCCVisualizer
        sys.modules["mmpose.visualization.simcc_vis"] = vis
    _installed.update({"mmcv.ops": ops_stub, "simcc_vis": vis_stub})
    return dict(_installed)
