"""viewer.html: the interactive 3D viewer beside a trial report's index.html.

One self-contained page (works from file://, no network): three.js (vendored, pinned, see
vendor/three/README.md) and the viewer script are inlined as classic scripts, because
Chromium refuses ES-module imports from file:// pages. The points travel as base64 binary
(int16 millimetres about the trial centre), not JSON text per frame: 60 s at 120 fps of 26
keypoints is about 1.5 MB of text.
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.core.json_types import JsonObject
from pipeline.io.atomic import write_text
from pipeline.report.viewer_data import STATUS_NAMES, ViewerData

VENDOR = Path(__file__).with_name("vendor") / "three"
THREE_VERSION = "0.160.0"
VIEWER_JS = Path(__file__).with_name("viewer.js")
NO_VALUE = -32768  # int16 sentinel: missing


@lru_cache(maxsize=1)
def classic_three() -> str:
    """three.module.min.js and OrbitControls.js turned into one classic script that defines
    `window.THREE` (the module's last statement `export{a as B,...}` becomes an object)."""
    source = (VENDOR / "three.module.min.js").read_text(encoding="utf-8")
    match = re.search(r"export\s*\{([^}]*)\}\s*;?\s*$", source)
    if not match:
        raise RuntimeError(
            f"{VENDOR / 'three.module.min.js'}: no final export statement; "
            "was the vendored file replaced by another build?"
        )
    pairs = [p.strip().split(" as ") for p in match.group(1).split(",")]
    members = ",".join(f"{alias.strip()}:{local.strip()}" for local, alias in pairs)
    three = f"(function(){{{source[: match.start()]}\nwindow.THREE={{{members}}};}})();"
    controls = (VENDOR / "OrbitControls.js").read_text(encoding="utf-8")
    controls = re.sub(r"import\s*\{([^}]*)\}\s*from\s*'three';", r"const {\1} = THREE;", controls)
    controls = controls.replace("export { OrbitControls };", "THREE.OrbitControls = OrbitControls;")
    if "import " in controls.split("const {", 1)[0] or "export " in controls:
        raise RuntimeError(f"{VENDOR / 'OrbitControls.js'}: unexpected imports or exports")
    return three + "\n(function(){" + controls + "\n})();"


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _quantize(values: np.ndarray | None, scale: float, dtype) -> str | None:
    """Little-endian integers of `values * scale`, NaN -> the type's sentinel (0 for unsigned)."""
    if values is None:
        return None
    info = np.iinfo(dtype)
    sentinel = NO_VALUE if info.min < 0 else info.max
    scaled = np.asarray(values, float) * scale
    ok = np.isfinite(scaled)
    out = np.full(scaled.shape, sentinel, np.int64)
    out[ok] = np.clip(np.rint(scaled[ok]), info.min + 1, info.max - 1)
    return _b64(out.astype(np.dtype(dtype).newbyteorder("<")))


def page_data(data: ViewerData) -> JsonObject:
    """The JSON the page reads: small metadata plus base64 typed arrays."""
    out = {
        "trial": data.trial,
        "fps": data.fps,
        "nFramesTotal": data.n_frames_total,
        "keypoints": list(data.keypoint_names),
        "bones": data.bones,
        "forward": list(data.forward),
        "cameras": data.cameras,
        "events": data.events,
        "videos": data.videos,
        "missing": data.missing,
        "verdict": data.verdict,
        "statusNames": list(STATUS_NAMES),
        "nFrames": 0,
    }
    if data.points is not None and data.status is not None and data.n_views is not None:
        pts = data.points
        finite = pts[np.isfinite(pts).all(axis=-1)]
        centre = finite.mean(axis=0) if len(finite) else np.zeros(3)
        centre[2] = 0.0
        out.update(
            nFrames=int(pts.shape[0]),
            nKeypoints=int(pts.shape[1]),
            origin=centre.tolist(),
            points=_quantize(pts - centre, 1000.0, np.int16),  # mm about origin
            status=_b64(data.status.astype(np.uint8)),
            nViews=_b64(np.clip(data.n_views, 0, 255).astype(np.uint8)),
            reprojection=_quantize(data.reprojection_px, 100.0, np.uint16),  # 0.01 px
            sd=_quantize(data.sd_mm_per_px, 100.0, np.uint16),
        )  # 0.01 mm/px
    return out


def write_viewer(out_dir: Path, data: ViewerData, index_href: str = "index.html") -> Path:
    """Write <out_dir>/viewer.html; returns its path."""
    out_dir = Path(out_dir)
    payload = json.dumps(page_data(data), separators=(",", ":")).replace("</", "<\\/")
    script = VIEWER_JS.read_text(encoding="utf-8")
    page = PAGE.format(
        title=html.escape(f"3D viewer: trial {data.trial}"),
        trial=html.escape(data.trial),
        index=html.escape(index_href),
        version=THREE_VERSION,
        data=payload,
        three=classic_three(),
        viewer=script,
    )
    path = out_dir / "viewer.html"
    write_text(path, page)
    return path


STYLE = """
body { font-family: system-ui, sans-serif; margin: 0.6em 1em; color: #222; }
h1 { font-size: 1.2em; margin: 0.2em 0 0.4em; } a { color: #1565c0; }
#notes li { color: #b26a00; } #notes:empty { display: none; }
#stage { display: flex; flex-wrap: wrap; gap: 0.8em; align-items: flex-start; }
#view3d { position: relative; width: 640px; height: 480px; border: 1px solid #ccc;
          background: #f4f4f4; flex: 0 0 auto; }
#view3d canvas { display: block; }
#view3d .label3d { position: absolute; font-size: 11px; color: #333; pointer-events: none; }
#frame3d { position: absolute; left: 6px; top: 4px; font: bold 14px monospace; color: #111;
           background: rgba(255,255,255,0.8); padding: 1px 4px; }
#views { position: absolute; right: 4px; top: 4px; } #views button { font-size: 12px; }
#tip { position: absolute; display: none; background: #fff; border: 1px solid #999;
       font-size: 12px; padding: 3px 6px; pointer-events: none; white-space: pre; }
#empty3d { padding: 2em; color: #c62828; }
#videos { display: flex; flex-wrap: wrap; gap: 0.6em; flex: 1 1 30em; }
#videos figure { margin: 0; max-width: 480px; }
#videos video { display: block; max-width: 480px; max-height: 440px; border: 1px solid #ccc;
                background: #000; }
#videos figcaption { font: 13px monospace; }
#controls { margin: 0.6em 0; display: flex; gap: 0.5em; align-items: center; flex-wrap: wrap; }
#scrub { width: 100%; }
#track { position: relative; height: 28px; background: #fafafa; border: 1px solid #ddd;
         margin-bottom: 0.4em; }
#track .ev { position: absolute; width: 3px; cursor: pointer; border: none; padding: 0; }
#track .ev.strike { top: 0; height: 14px; } #track .ev.toeoff { top: 14px; height: 14px; }
#track .ev.left { background: #1f77b4; } #track .ev.right { background: #d62728; }
#track .ev.toeoff.left { background: #9ecae1; } #track .ev.toeoff.right { background: #fc9272; }
.legend span { display: inline-block; width: 0.8em; height: 0.8em; margin: 0 0.2em 0 0.8em;
               border: 1px solid #555; vertical-align: middle; }
.note { color: #555; font-size: 0.9em; }
"""

PAGE = (
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>"""
    + STYLE.replace("{", "{{").replace("}", "}}")
    + """</style>
</head>
<body>
<h1>3D viewer: trial {trial} <small><a href="{index}">back to the report</a></small></h1>
<ul id="notes"></ul>
<div id="stage">
  <div id="view3d"><div id="frame3d">frame -</div>
    <div id="views"><button data-view="overview">all</button><button data-view="behind">behind</button><button data-view="side">side</button><button data-view="top">top</button><label><input type="checkbox" id="follow"> follow</label></div>
    <div id="tip"></div></div>
  <div id="videos"></div>
</div>
<div id="controls">
  <button id="play" title="play / pause (space)">play</button>
  <button id="back" title="one frame back (left arrow)">&#9664; 1</button>
  <button id="fwd" title="one frame on (right arrow)">1 &#9654;</button>
  <button id="prevEvent" title="previous foot strike or toe-off">&#8676; event</button>
  <button id="nextEvent" title="next foot strike or toe-off">event &#8677;</button>
  <label>speed <select id="speed"><option value="0.125">1/8</option><option value="0.25">1/4</option><option value="0.5">1/2</option><option value="1" selected>1</option></select></label>
  <span id="clock">frame - / -</span>
</div>
<input type="range" id="scrub" min="0" max="0" value="0" step="1">
<div id="track" title="foot strikes (top row) and toe-offs (bottom row); left blue, right red: click to jump"></div>
<p class="legend">Points:<span style="background:#222"></span>measured<span style="background:#ff9800"></span>gap-filled<span style="background:#e040fb"></span>put back by the evidence check; bones left blue, right red; floor grid 1 m. Hover a point for its uncertainty. Drag to orbit, wheel to zoom, right-drag to pan.</p>
<p class="note">three.js {version} (MIT licence, vendored in runlab: pipeline/report/vendor/three/LICENSE). Each video shows the same frame index as the 3D; the index under each video is the frame it displays.</p>
<script type="application/json" id="runlab-data">{data}</script>
<script>
/* three.js {version}: Copyright 2010-2023 Three.js Authors, MIT licence */
{three}
</script>
<script>
{viewer}
</script>
</body>
</html>
"""
)
