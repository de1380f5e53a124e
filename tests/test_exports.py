"""TRC / C3D / CSV exports: read back with the readers of other tools (c3d) or by hand."""

import numpy as np
import pytest

from pipeline.io.exports import WORLD_TO_OPENSIM, write_c3d, write_csv_points, write_trc

NAMES = ("hip", "left_knee", "right_knee")


def _points():
    rng = np.random.default_rng(0)
    p = rng.normal(0, 0.5, (5, 3, 3)) + [0, 0, 1]
    p[2, 1] = np.nan
    return p


def test_trc_is_y_up_with_blank_gaps(tmp_path):
    p = _points()
    write_trc(tmp_path / "t.trc", p, NAMES, 120.0)
    lines = (tmp_path / "t.trc").read_text().splitlines()
    assert lines[2].split("\t")[:5] == ["120", "120", "5", "3", "m"]
    assert lines[3].split("\t")[2] == "hip"
    row = lines[6 + 2].split("\t")  # frame 3 (index 2)
    assert row[0] == "3" and abs(float(row[1]) - 2 / 120) < 1e-6
    np.testing.assert_allclose([float(v) for v in row[2:5]], WORLD_TO_OPENSIM @ p[2, 0], atol=1e-6)
    assert row[5:8] == ["", "", ""]
    up = WORLD_TO_OPENSIM @ np.array([0, 0, 1.0])
    assert up.tolist() == [0, 1, 0]  # world Z (up) becomes OpenSim Y (up)


@pytest.mark.filterwarnings("ignore:No analog data found")
def test_c3d_round_trip_in_millimetres(tmp_path):
    import c3d

    p = _points()
    write_c3d(tmp_path / "t.c3d", p, NAMES, 120.0, residuals=np.full(p.shape[:2], 0.5))
    with open(tmp_path / "t.c3d", "rb") as handle:
        reader = c3d.Reader(handle)
        assert [label.strip() for label in reader.point_labels] == list(NAMES)
        assert reader.point_rate == 120.0
        frames = [points for _, points, _ in reader.read_frames()]
    assert len(frames) == 5
    np.testing.assert_allclose(frames[0][:, :3], p[0] * 1000, atol=0.05)
    assert frames[2][1, 3] == -1  # the missing point
    assert np.isfinite(frames[2][0, :3]).all()


def test_csv_header_and_values(tmp_path):
    p = _points()
    write_csv_points(tmp_path / "t.csv", p, NAMES, 60.0)
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0].split(",")[:5] == ["frame", "time_s", "hip_x", "hip_y", "hip_z"]
    row = lines[3].split(",")
    assert row[5:8] == ["", "", ""] and abs(float(row[2]) - p[2, 0, 0]) < 1e-6
