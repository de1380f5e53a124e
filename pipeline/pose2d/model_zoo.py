"""The pose checkpoints runlab knows how to fetch (`runlab models`, `runlab fetch-model`).

The table is data. One `ZooModel` per checkpoint:

* `name`: what a lab types (`runlab fetch-model rtmpose-m`, `detector.rtmpose.model=rtmpose-m`).
* `kind`: "pose" (an RTMPose model, `detector.rtmpose.model`) or "person" (a person detector
  for the boxes, `detector.rtmpose.mmdet_model` with `person_boxes: mmdet`).
* `config`: the model's config, relative to what the mmpose package ships (`mmpose/.mim/`);
  the model is built from it (never from a downloaded config).
* `input_size`: (width, height) of the model's input, px, as in the config.
* `keypoints`: keypoint count of the model's output (26 = Halpe-26; 0 for a detector).
* `url`: the upstream weights file, as published by mmpose 1.3.2: pose models in its model-zoo
  metafile (`configs/body_2d_keypoint/rtmpose/body8/rtmpose_body8-halpe26.yml`), the person
  detector in `mmpose/apis/inferencers/utils/default_det_models.py` (its own default).
* `sha256`: the file's full SHA-256 when one is published, else None. OpenMMLab does not
  publish full hashes for these files.
* `sha256_prefix`: the first 8 hex digits of the SHA-256 that OpenMMLab's `publish_model.py`
  writes into every published file name (`...-<sha256[:8]>_<date>.pth`, or without the date). It is what upstream
  publishes, so it is what `fetch-model` checks when `sha256` is None: enough to catch a
  corrupt or different file, not a deliberate forgery (32 bits). A lab pins the full hash it
  then prints (`detector.rtmpose.checkpoint_sha256`), which the backend checks on every load.

None of these files could be downloaded from this machine (no route to download.openmmlab.com):
the URLs and prefixes are copied from the metafile, not checked against the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import RunlabError

UPSTREAM_BASE = "https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/"
_BODY8 = "configs/body_2d_keypoint/rtmpose/body8/"
METAFILE = _BODY8 + "rtmpose_body8-halpe26.yml"


@dataclass(frozen=True)
class ZooModel:
    name: str
    kind: str
    config: str
    input_size: tuple[int, int]
    keypoints: int
    url: str
    sha256: str | None
    sha256_prefix: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[1]


def _prefix(file: str) -> str:
    return re.search(r"-([0-9a-f]{8})(_\d{8})?\.pth$", file).group(1)


def _halpe26(name: str, config: str, size: tuple[int, int], file: str) -> ZooModel:
    return ZooModel(
        name, "pose", _BODY8 + config, size, 26, UPSTREAM_BASE + file, None, _prefix(file)
    )


MODELS: tuple[ZooModel, ...] = (
    _halpe26(
        "rtmpose-t",
        "rtmpose-t_8xb1024-700e_body8-halpe26-256x192.py",
        (192, 256),
        "rtmpose-t_simcc-body7_pt-body7-halpe26_700e-256x192-6020f8a6_20230605.pth",
    ),
    _halpe26(
        "rtmpose-s",
        "rtmpose-s_8xb1024-700e_body8-halpe26-256x192.py",
        (192, 256),
        "rtmpose-s_simcc-body7_pt-body7-halpe26_700e-256x192-7f134165_20230605.pth",
    ),
    _halpe26(
        "rtmpose-m",
        "rtmpose-m_8xb512-700e_body8-halpe26-256x192.py",
        (192, 256),
        "rtmpose-m_simcc-body7_pt-body7-halpe26_700e-256x192-4d3e73dd_20230605.pth",
    ),
    _halpe26(
        "rtmpose-l",
        "rtmpose-l_8xb512-700e_body8-halpe26-256x192.py",
        (192, 256),
        "rtmpose-l_simcc-body7_pt-body7-halpe26_700e-256x192-2abb7558_20230605.pth",
    ),
    _halpe26(
        "rtmpose-m-384",
        "rtmpose-m_8xb512-700e_body8-halpe26-384x288.py",
        (288, 384),
        "rtmpose-m_simcc-body7_pt-body7-halpe26_700e-384x288-89e6428b_20230605.pth",
    ),
    _halpe26(
        "rtmpose-l-384",
        "rtmpose-l_8xb512-700e_body8-halpe26-384x288.py",
        (288, 384),
        "rtmpose-l_simcc-body7_pt-body7-halpe26_700e-384x288-734182ce_20230605.pth",
    ),
    _halpe26(
        "rtmpose-x-384",
        "rtmpose-x_8xb256-700e_body8-halpe26-384x288.py",
        (288, 384),
        "rtmpose-x_simcc-body7_pt-body7-halpe26_700e-384x288-7fb6e239_20230606.pth",
    ),
    ZooModel(
        "rtmdet-m-person",
        "person",
        "demo/mmdetection_cfg/rtmdet_m_640-8xb32_coco-person.py",
        (640, 640),
        0,
        UPSTREAM_BASE + "rtmdet_m_8xb32-100e_coco-obj365-person-235e8209.pth",
        None,
        "235e8209",
    ),
)
BY_NAME = {m.name: m for m in MODELS}


def get(name: str) -> ZooModel:
    if name not in BY_NAME:
        raise RunlabError(
            f"unknown pose model {name!r}; `runlab models` lists {', '.join(BY_NAME)}"
        )
    return BY_NAME[name]


def table_text(models=MODELS) -> str:
    """The `runlab models` listing: one line per checkpoint, then its URL and hash."""
    lines = [f"{'name':<16} {'kind':<7} {'WxH':<8} {'kpts':<5} config (under mmpose/.mim/)"]
    for m in models:
        lines.append(
            f"{m.name:<16} {m.kind:<7} {m.input_size[0]}x{m.input_size[1]:<4} {m.keypoints:<5} {m.config}"
        )
        lines.append(f"{'':<16} url    {m.url}")
        lines.append(
            f"{'':<16} sha256 {m.sha256 or f'{m.sha256_prefix}... (only these 8 hex published, in the file name)'}"
        )
    return "\n".join(lines)


def fetch_model(
    name: str,
    mirror: str | None = None,
    cache: Path | None = None,
    sha256: str | None = None,
    show_progress: bool = True,
) -> tuple[Path, str]:
    """Download (or find in the cache) the checkpoint `name` -> (path, its full sha256).

    `mirror` replaces the upstream base URL (the file name stays). `sha256` (a full hash the
    lab knows, e.g. from its mirror) overrides the table's. The file is checked before it gets
    its final name in `<cache>/models/` (pipeline/io/download.py)."""
    from pipeline.io.download import check_url, fetch, user_cache_dir

    model = get(name)
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256.strip()):
        raise RunlabError(f"--sha256 {sha256!r} is not a SHA-256 (64 hex digits)")
    url = model.url
    if mirror:
        url = check_url(mirror, "--mirror").rstrip("/") + "/" + model.filename
    folder = Path(cache) if cache is not None else user_cache_dir() / "models"
    return fetch(
        url,
        folder / model.filename,
        sha256=sha256 or model.sha256,
        prefix=model.sha256_prefix,
        show_progress=show_progress,
    )


def config_lines(name: str, path: Path, digest: str) -> str:
    """The `runlab configure` overrides that use a fetched checkpoint."""
    if get(name).kind == "person":
        return (
            f"detector.rtmpose.person_boxes=mmdet detector.rtmpose.mmdet_model={name} \\\n"
            f"    detector.rtmpose.mmdet_checkpoint={path} \\\n"
            f"    detector.rtmpose.mmdet_checkpoint_sha256={digest}"
        )
    return (
        f"detector=rtmpose detector.rtmpose.model={name} \\\n"
        f"    detector.rtmpose.checkpoint={path} \\\n"
        f"    detector.rtmpose.checkpoint_sha256={digest}"
    )
