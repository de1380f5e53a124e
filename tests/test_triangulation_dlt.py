import numpy as np
import pytest

from pipeline.core.dlt import triangulate_dlt
from pipeline.core.geometry import Camera, look_at, project

DISTORTION = [-0.12, 0.08, 0.0005, -0.0004, -0.01]


def ring_of_cameras(n=4, distance=3.2, height=1.1, dist=DISTORTION):
    cameras = []
    for i, angle in enumerate(np.radians(np.linspace(35, 325, n))):
        center = np.array([distance * np.cos(angle), distance * np.sin(angle), height])
        R, t = look_at(center, np.array([0.0, 0.0, 0.9]))
        cam = Camera(
            name=f"cam_{i}",
            size=(1920, 1080),
            matrix=[[1500, 0, 960], [0, 1500, 540], [0, 0, 1]],
            dist=dist,
        )
        cameras.append(cam.with_pose(R, t))
    return cameras


def observe(cameras, truth, score=0.9):
    """(C, F, K, 3) detections of world points truth (F, K, 3) with a constant score."""
    obs = []
    for cam in cameras:
        px = project(cam, truth)
        obs.append(np.concatenate([px, np.full(px.shape[:-1] + (1,), score)], axis=-1))
    return np.stack(obs)


@pytest.fixture
def truth():
    rng = np.random.default_rng(0)
    return rng.uniform([-0.4, -0.3, 0.0], [0.4, 0.3, 1.8], size=(7, 26, 3))


def test_noise_free_observations_recover_truth(truth):
    cameras = ring_of_cameras()
    result = triangulate_dlt(observe(cameras, truth), cameras, min_score=0.3, min_views=2)
    np.testing.assert_allclose(result.points, truth, atol=1e-9)
    assert np.nanmax(result.reprojection_error) < 1e-6
    assert (result.n_views == 4).all()


def test_matches_aniposelib_with_unit_weights(truth):
    from aniposelib.cameras import Camera as AniposeCamera
    from aniposelib.cameras import CameraGroup

    cameras = ring_of_cameras()
    group = CameraGroup(
        [
            AniposeCamera(
                matrix=c.matrix, dist=c.dist, size=c.size, rvec=c.rvec, tvec=c.tvec, name=c.name
            )
            for c in cameras
        ]
    )
    rng = np.random.default_rng(1)
    obs = observe(cameras, truth, score=1.0)
    obs[..., :2] += rng.normal(0, 2.0, obs[..., :2].shape)  # noise makes the solutions differ
    expected = group.triangulate(obs[..., :2].reshape(len(cameras), -1, 2), undistort=True)
    result = triangulate_dlt(obs, cameras, min_score=0.3, min_views=2)
    np.testing.assert_allclose(result.points.reshape(-1, 3), expected, atol=1e-6)


def test_missing_and_low_score_views(truth):
    cameras = ring_of_cameras()
    obs = observe(cameras, truth)
    obs[0, 0, 0, :2] = np.nan  # one view lost: 3 remain
    obs[1:, 1, 1, 2] = 0.1  # only one confident view: not triangulated
    obs[2:, 2, 2, :] = np.nan  # two views remain
    result = triangulate_dlt(obs, cameras, min_score=0.3, min_views=2)
    assert result.n_views[0, 0] == 3 and result.n_views[1, 1] == 1 and result.n_views[2, 2] == 2
    np.testing.assert_allclose(result.points[0, 0], truth[0, 0], atol=1e-9)
    np.testing.assert_allclose(result.points[2, 2], truth[2, 2], atol=1e-9)
    assert np.isnan(result.points[1, 1]).all() and np.isnan(result.reprojection_error[1, 1])
    strict = triangulate_dlt(obs, cameras, min_score=0.3, min_views=3)
    assert np.isnan(strict.points[2, 2]).all()
    np.testing.assert_allclose(strict.points[0, 0], truth[0, 0], atol=1e-9)


def test_low_confidence_view_has_less_pull(truth):
    cameras = ring_of_cameras()
    obs = observe(cameras, truth[:1, :1])
    obs[0, ..., :2] += 15.0  # a bad view
    confident = triangulate_dlt(obs, cameras, min_score=0.0, min_views=2)
    obs[0, ..., 2] = 0.2
    down_weighted = triangulate_dlt(obs, cameras, min_score=0.0, min_views=2)
    error = lambda r: np.linalg.norm(r.points[0, 0] - truth[0, 0])
    assert error(down_weighted) < error(confident)
    assert confident.reprojection_error[0, 0] > 1.0


def test_shape_errors(truth):
    cameras = ring_of_cameras()
    obs = observe(cameras, truth)
    with pytest.raises(ValueError, match="4 cameras but 3"):
        triangulate_dlt(obs, cameras[:3], min_score=0.3, min_views=2)
    with pytest.raises(ValueError, match="at least 2 cameras"):
        triangulate_dlt(obs[:1], cameras[:1], min_score=0.3, min_views=2)
    with pytest.raises(ValueError, match="shape"):
        triangulate_dlt(obs[..., :2], cameras, min_score=0.3, min_views=2)
