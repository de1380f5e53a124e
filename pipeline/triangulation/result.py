"""The solver's result, apart from the points3d file record (io/formats.Points3D).

`Triangulation` is what the solvers return: the points and how each was measured, plus the
diagnostics the triangulate stage summarises into the file's `TriangulationQA` and that no
file holds (the outlier gates used, the evidence check, the other person's points and views).
`to_points3d` adds what only the recording knows (frame rate, camera and keypoint names) and
gives the file record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.core.skeleton import KEYPOINTS
from pipeline.io.formats import Points3D, TriangulationQA
from pipeline.triangulation.evidence import EvidenceCheck
from pipeline.triangulation.scale import ResidualScale


@dataclass(frozen=True)
class Triangulation:
    points: np.ndarray  # (F, K, 3) metres, world frame; gap = NaN
    reprojection_error: np.ndarray  # (F, K) mean px over the views used; NaN in gaps
    n_views: np.ndarray  # (F, K) number of views used; 0 where a gap was filled
    views_used: np.ndarray  # (F, K, C) bool, which cameras' views were used
    swaps_repaired: np.ndarray  # (C, F) bool, views whose left/right labels were exchanged
    scale: ResidualScale  # the outlier gates used
    evidence: EvidenceCheck | None = None  # points held to the 2D (None: not checked)
    # (F, K, 3) the points before the low-pass, for gait events; None when no low-pass ran
    points_unfiltered: np.ndarray | None = None
    other_person: np.ndarray | None = None  # (F, K) removed: not the runner
    other_person_views: np.ndarray | None = None  # (C, F) views of someone else, left out

    def to_points3d(
        self,
        fps: float,
        camera_names: list[str],
        *,
        keypoint_names: tuple[str, ...] = KEYPOINTS,
        sd_per_px: np.ndarray | None = None,
        qa: TriangulationQA | None = None,
    ) -> Points3D:
        """The points3d file record of this result."""
        return Points3D(
            self.points,
            self.reprojection_error,
            self.n_views,
            self.views_used,
            fps=fps,
            camera_names=camera_names,
            swaps_repaired=self.swaps_repaired,
            keypoint_names=keypoint_names,
            sd_per_px=sd_per_px,
            points_unfiltered=self.points_unfiltered,
            qa=qa,
        )
