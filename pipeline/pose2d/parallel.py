"""Detection of one recording as a pipeline: decoding runs ahead of inference, cameras in parallel.

`detect_cameras` (pose2d/base.py) is the sequential path: the frames are decoded in the thread
that runs the model, one camera after another. Here each camera's video is decoded by its own
thread into a bounded queue (`queue_depth` frames, so memory stays flat however long the
trial), and
* a backend that batches across cameras (`detect_cameras` method, RTMPose) reads the cameras in
  lockstep from those queues: one forward pass holds the crops of every camera;
* any other backend (BlazePose) runs up to `workers` cameras at once, each worker with its own
  backend instance (`make_backend()`; a mediapipe graph is not shared between threads).
The candidates are the sequential path's, frame for frame (tests/test_pose2d_parallel.py).

Failures are named, never a hang: a video that stops decoding before its probed frame count,
a worker that raises, or a queue that does not move for `stall_s` seconds is a `DetectionError`
naming the camera and the frame; every thread is stopped before it propagates.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from pipeline.io.video import VideoError, iter_frames, probe
from pipeline.pose2d.base import Person, PoseBackend

QUEUE_DEPTH = 8  # decoded frames held per camera (1080p BGR: 6 MB each)
STALL_S = 120.0  # a queue that does not move this long is an error, not a wait
_POLL_S = 0.1
_END = object()


class DetectionError(VideoError):
    """Detection of a recording failed at a named camera and frame."""

    def __init__(self, camera: str, frame: int, reason: str):
        self.camera, self.frame = camera, frame
        super().__init__(f"camera {camera}, frame {frame}: {reason}")


class _Failure:
    def __init__(self, frame: int, reason: str, exc: BaseException | None = None):
        self.frame, self.reason, self.exc = frame, reason, exc


def default_workers(workers: int = 0) -> int:
    """`detector.workers`: 0 = every core this process may use."""
    if workers < 0:
        raise ValueError(f"detector.workers must be >= 0 (0 = all cores), got {workers}")
    if workers:
        return workers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def model_threads(cpu_threads: int = 0) -> int:
    """`detector.rtmpose.cpu_threads`: 0 = every core but one (at least one). The spare core
    runs the decoding threads and the person detector; an OpenMP model thread that shares a
    core with them makes the other threads wait at every barrier (docs/pose2d.md)."""
    if cpu_threads < 0:
        raise ValueError(f"cpu_threads must be >= 0 (0 = every core but one), got {cpu_threads}")
    return cpu_threads or max(1, default_workers() - 1)


class DecodeAhead:
    """One decoding thread per video, each filling a bounded queue. Use as a context manager:
    leaving it (normally or by an error) stops and joins every thread."""

    def __init__(
        self,
        videos: Sequence[Path | str],
        names: Sequence[str],
        queue_depth: int = QUEUE_DEPTH,
        stall_s: float = STALL_S,
        frames: Callable[[Path], Iterator[np.ndarray]] | None = None,
    ):
        if queue_depth < 1:
            raise ValueError(f"queue_depth must be >= 1, got {queue_depth}")
        self.videos, self.names = [Path(v) for v in videos], list(names)
        self.stall_s = stall_s
        self._frames = frames or iter_frames
        self._stop = threading.Event()
        self._queues: list[queue.Queue] = [queue.Queue(maxsize=queue_depth) for _ in self.videos]
        self._read = [0] * len(self.videos)
        self.expected = [probe(v).n_frames for v in self.videos]
        self._threads = [
            threading.Thread(target=self._decode, args=(c,), daemon=True, name=f"decode-{n}")
            for c, n in enumerate(self.names)
        ]

    def __enter__(self) -> DecodeAhead:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        for q in self._queues:  # unblock producers waiting on a full queue
            while True:
                try:
                    q.get_nowait()
                except queue.Empty:
                    break
        for t in self._threads:
            t.join(timeout=5.0)

    def _put(self, c: int, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queues[c].put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _decode(self, c: int) -> None:
        f = 0
        try:
            for frame in self._frames(self.videos[c]):
                if not self._put(c, frame):
                    return
                f += 1
            if f < self.expected[c]:
                self._put(
                    c,
                    _Failure(
                        f,
                        f"{self.videos[c]} stopped decoding after {f} of its "
                        f"{self.expected[c]} frames (truncated or corrupt from "
                        "there); re-export or re-copy the video",
                    ),
                )
            else:
                self._put(c, _END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, named
            self._put(c, _Failure(f, f"decoding {self.videos[c].name} failed: {exc}", exc))

    def get(self, c: int):
        """The next frame of camera c, or None at its end; DetectionError on a failure or stall."""
        waited = 0.0
        while True:
            try:
                item = self._queues[c].get(timeout=_POLL_S)
                break
            except queue.Empty:
                waited += _POLL_S
                if not self._threads[c].is_alive() and self._queues[c].empty():
                    raise DetectionError(
                        self.names[c],
                        self._read[c],
                        "the decoding thread ended without a frame or an error",
                    ) from None
                if waited >= self.stall_s:
                    raise DetectionError(
                        self.names[c],
                        self._read[c],
                        f"no frame decoded for {self.stall_s:g} s (the queue did "
                        "not move); the video or its disk may be hanging",
                    ) from None
        if item is _END:
            return None
        if isinstance(item, _Failure):
            raise DetectionError(self.names[c], item.frame, item.reason) from item.exc
        self._read[c] += 1
        return item

    def frames(self, c: int) -> Iterator[np.ndarray]:
        while (frame := self.get(c)) is not None:
            yield frame

    def lockstep(self) -> Iterator[tuple[np.ndarray, ...]]:
        """One frame of every camera per step; a camera ending early is a DetectionError."""
        f = 0
        while True:
            step = [self.get(c) for c in range(len(self.videos))]
            ended = [n for n, fr in zip(self.names, step) if fr is None]
            if len(ended) == len(step):
                return
            if ended:
                raise DetectionError(
                    ended[0],
                    f,
                    f"{', '.join(ended)} ended after {f} frames while "
                    "the other cameras go on: the videos of one recording must "
                    "have the same frames",
                )
            yield tuple(step)
            f += 1


def detect_cameras_parallel(
    make_backend: Callable[[], PoseBackend],
    videos: Sequence[Path | str],
    names: Sequence[str] | None = None,
    workers: int = 0,
    queue_depth: int = QUEUE_DEPTH,
    stall_s: float = STALL_S,
    progress_bar: bool = True,
) -> list[list[list[Person]]]:
    """candidates[c][f] of the synchronized videos of one recording, as `base.detect_cameras`
    returns them, with decoding ahead of inference and cameras in parallel (module docstring).
    `make_backend()` is called once for a batching backend, once per worker otherwise."""
    from pipeline.core.progress import progress

    if not videos:
        return []
    names = list(names) if names is not None else [Path(v).stem for v in videos]
    workers = default_workers(workers)
    first = make_backend()
    with DecodeAhead(videos, names, queue_depth, stall_s) as decoded:
        total = decoded.expected[0]
        native = getattr(first, "detect_cameras", None)
        if native is not None:
            out: list[list[list[Person]]] = [[] for _ in videos]
            steps = decoded.lockstep()
            if progress_bar:
                steps = progress(steps, desc=f"{first.name} {'+'.join(names)}", total=total)
            f = 0
            try:
                for per_camera in native(steps):
                    for c, people in enumerate(per_camera):
                        out[c].append(people)
                    f += 1
            except DetectionError:
                raise
            except Exception as exc:
                raise DetectionError(
                    "+".join(names),
                    f,
                    f"{first.name} failed in the forward pass "
                    f"starting at this frame: {type(exc).__name__}: {exc}",
                ) from exc
            return out
        return _per_camera(
            first, make_backend, decoded, names, min(workers, len(videos)), total, progress_bar
        )


def _per_camera(
    first: PoseBackend,
    make_backend,
    decoded: DecodeAhead,
    names: list[str],
    workers: int,
    total: int,
    progress_bar: bool,
) -> list[list[list[Person]]]:
    """Cameras on `workers` threads (each its own backend); the first failure stops them all."""
    from tqdm import tqdm

    out: list[list[list[Person]] | None] = [None] * len(names)
    failure: list[DetectionError] = []
    todo: queue.Queue[int] = queue.Queue()
    for c in range(len(names)):
        todo.put(c)
    stop = threading.Event()
    bar = (
        tqdm(
            total=total * len(names),
            desc=f"{first.name} {'+'.join(names)}",
            unit="frame",
            disable=None,
            mininterval=0.5,
        )
        if progress_bar
        else None
    )
    lock = threading.Lock()
    backends = [first]

    def work(slot: int) -> None:
        backend = None
        while not stop.is_set():
            try:
                c = todo.get_nowait()
            except queue.Empty:
                return
            done = 0
            try:
                if backend is None:
                    backend = backends[0] if slot == 0 else make_backend()
                people = []
                for found in backend.detect(decoded.frames(c)):
                    if stop.is_set():
                        return
                    people.append(found)
                    done += 1
                    if bar is not None:
                        with lock:
                            bar.update(1)
                out[c] = people
            except DetectionError as exc:
                failure.append(exc)
                stop.set()
            except BaseException as exc:  # noqa: BLE001 - a dying worker becomes a named error
                err = DetectionError(
                    names[c], done, f"{first.name} worker failed: {type(exc).__name__}: {exc}"
                )
                err.__cause__ = exc
                failure.append(err)
                stop.set()

    threads = [
        threading.Thread(target=work, args=(s,), daemon=True, name=f"detect-{s}")
        for s in range(workers)
    ]
    try:
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=_POLL_S)
            if failure:
                break
    finally:
        stop.set()
        decoded.close()  # unblocks workers waiting on a frame
        for t in threads:
            t.join(timeout=10.0)
        if bar is not None:
            bar.close()
    if failure:
        raise failure[0]
    missing = [n for n, o in zip(names, out) if o is None]
    if missing:  # pragma: no cover - a worker vanished without an error
        raise DetectionError(missing[0], 0, "no result from its worker")
    return out  # type: ignore[return-value]
