"""The camera set: the one type for a calibrated rig, whatever reads or writes it.

A frozen list of `Camera`s (core/geometry.py) in the recording's order, plus the world
transform applied after bundle adjustment and free-form metadata. It carries the operations
every layer needs (project, undistort, subset, index (a slice is a set), look a camera up by
name); reading and writing it in each supported file format lives in io
(`pipeline/io/camera_files.py`), apart from the type, so that core imports no file format.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np

from pipeline.core.geometry import Camera, project, transform_rig, undistort_to_normalized


@dataclass(frozen=True)
class CameraSet:
    cameras: list[Camera]
    world_from_rig: np.ndarray = field(default_factory=lambda: np.eye(4))  # applied after BA
    metadata: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cameras", list(self.cameras))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.cameras]

    def __len__(self) -> int:
        return len(self.cameras)

    def __iter__(self) -> Iterator[Camera]:
        return iter(self.cameras)

    @overload
    def __getitem__(self, index: int) -> Camera: ...
    @overload
    def __getitem__(self, index: slice) -> CameraSet: ...
    def __getitem__(self, index: int | slice) -> Camera | CameraSet:
        """The camera at a position in the recording's order; a slice is a camera set."""
        if isinstance(index, slice):
            return CameraSet(
                self.cameras[index], np.array(self.world_from_rig), dict(self.metadata)
            )
        return self.cameras[index]

    def camera(self, name: str) -> Camera:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise KeyError(f"camera {name!r} not in calibration ({', '.join(self.names)})")

    def subset(self, names: Sequence[str]) -> CameraSet:
        """The cameras named, in the order given (KeyError naming a camera not in the set)."""
        return CameraSet(
            [self.camera(n) for n in names], np.array(self.world_from_rig), dict(self.metadata)
        )

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> pixels (C, ..., 2) in every camera; behind a camera: NaN."""
        return np.stack([project(cam, points) for cam in self.cameras])

    def undistort(self, pixels: np.ndarray) -> np.ndarray:
        """Pixels (C, ..., 2), one slice per camera -> ideal normalized coordinates, same shape."""
        pixels = np.asarray(pixels, float)
        if pixels.shape[0] != len(self.cameras):
            raise ValueError(f"{pixels.shape[0]} pixel sets for {len(self.cameras)} cameras")
        return np.stack([undistort_to_normalized(c, p) for c, p in zip(self.cameras, pixels)])

    def transformed(self, R: np.ndarray, t: np.ndarray) -> CameraSet:
        """The same cameras after the world change X_new = R @ X_old + t."""
        return CameraSet(
            transform_rig(self.cameras, R, t), np.array(self.world_from_rig), dict(self.metadata)
        )
