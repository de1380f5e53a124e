"""Every import path (issue 14, item 6): runlab's own calibration.toml, aniposelib's (written
by aniposelib itself), Pose2Sim's, caliscope's camera_array.toml and its 2023 config.toml.
Each reader is fed every other tool's file (and files that are no calibration at all): it
reads its own kind back to the numbers written, and refuses any other with a FormatError
that names the kind the file looks like and the `--format` that reads it, never a traceback
(the CLI included)."""

from pathlib import Path

import numpy as np
import pytest
import toml

from pipeline.cli import main
from pipeline.core.geometry import Camera
from pipeline.io.formats import CameraSet, FormatError, read_calibration, write_calibration
from pipeline.io.interop import (
    READERS,
    identify,
    read_any_calibration,
    read_caliscope_config,
    write_caliscope_camera_array,
    write_pose2sim_calibration,
)

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
QUALISYS = SHARED / "pose2sim-demo" / "calibration" / "Calib_qualisys.toml"
CALISCOPE_ARRAY = SHARED / "caliscope-charuco" / "camera_array.toml"


def _calibration() -> CameraSet:
    cams = [
        Camera(
            f"cam_{i}",
            (1280, 720),
            [[900 + i, 0, 640], [0, 905, 360], [0, 0, 1]],
            [-0.3, 0.1, 0.001, -0.002, 0.01],
            rvec=[0.1 * i, -0.2, 0.3],
            tvec=[0.5 * i, 0.1, 2.0],
        )
        for i in range(3)
    ]
    return CameraSet(cams)


def write_caliscope_2023_config(path: Path, calib: CameraSet) -> None:
    """caliscope's config.toml as its 2023 releases wrote it (layout of its test session
    tests/sessions/post_optimization/config.toml): [cam_<port>] tables with a 3x3 rotation,
    beside [charuco] and [capture_volume]. A test writer: runlab only reads this format."""
    doc = {"CreationDate": "2023-03-31T09:56:43"}
    for i, cam in enumerate(calib.cameras):
        doc[f"cam_{i}"] = {
            "port": i,
            "size": list(cam.size),
            "rotation_count": 0,
            "error": 0.4,
            "matrix": cam.matrix.tolist(),
            "distortions": cam.dist.tolist(),
            "exposure": -7,
            "grid_count": 39,
            "ignore": False,
            "verified_resolutions": [[640, 480], [1280, 720]],
            "translation": cam.tvec.tolist(),
            "rotation": cam.rotation.tolist(),
        }
    doc["capture_volume"] = {"stage": 2, "origin_sync_index": 80}
    doc["charuco"] = {"columns": 4, "rows": 5, "dictionary": "DICT_4X4_1000", "inverted": True}
    path.write_text(toml.dumps(doc))


def write_aniposelib(path: Path, calib: CameraSet) -> None:
    from aniposelib.cameras import Camera as AniposeCamera
    from aniposelib.cameras import CameraGroup

    CameraGroup(
        [
            AniposeCamera(
                name=c.name, size=c.size, matrix=c.matrix, dist=c.dist, rvec=c.rvec, tvec=c.tvec
            )
            for c in calib.cameras
        ]
    ).dump(str(path))


WRITERS = {
    "runlab": write_calibration,
    "aniposelib": write_aniposelib,
    "pose2sim": write_pose2sim_calibration,
    "caliscope": write_caliscope_camera_array,
    "caliscope-config": write_caliscope_2023_config,
}
# The --format that reads each file; runlab's own calibration.toml is aniposelib TOML.
READS_AS = {
    "runlab": "aniposelib",
    "aniposelib": "aniposelib",
    "pose2sim": "pose2sim",
    "caliscope": "caliscope",
    "caliscope-config": "caliscope-config",
}
# What the refusal must call each kind of file.
LOOKS_LIKE = {
    "runlab": "runlab calibration.toml",
    "aniposelib": "aniposelib calibration",
    "pose2sim": "Pose2Sim calibration",
    "caliscope": "caliscope camera_array.toml",
    "caliscope-config": r"caliscope config.toml \(2023\)",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("interop")
    calib = _calibration()
    paths = {}
    for kind, writer in WRITERS.items():
        paths[kind] = out / f"{kind}.toml"
        writer(paths[kind], calib)
    return paths


def _same_cameras(got: CameraSet, want: CameraSet) -> None:
    assert len(got.cameras) == len(want.cameras)
    for a, b in zip(want.cameras, got.cameras):
        assert b.size == a.size
        np.testing.assert_allclose(b.matrix, a.matrix, atol=1e-9)
        np.testing.assert_allclose(b.dist, a.dist, atol=1e-9)
        np.testing.assert_allclose(b.rotation, a.rotation, atol=1e-9)
        np.testing.assert_allclose(b.tvec, a.tvec, atol=1e-9)


@pytest.mark.parametrize("kind", list(WRITERS))
def test_each_file_is_identified(files, kind):
    assert identify(toml.load(files[kind])).startswith(("a ", "an "))
    assert LOOKS_LIKE[kind].replace("\\", "") in identify(toml.load(files[kind]))


@pytest.mark.parametrize("kind", list(WRITERS))
def test_own_kind_reads_back_exactly(files, kind):
    calib = _calibration()
    _same_cameras(READERS[READS_AS[kind]](files[kind]), calib)
    _same_cameras(read_any_calibration(files[kind]), calib)


# Every reader with every file it does not read (aniposelib and Pose2Sim share one layout).
OTHER_TOOLS = [
    (fmt, kind)
    for fmt in ("pose2sim", "caliscope", "caliscope-config")
    for kind in WRITERS
    if READS_AS[kind] != fmt and {READS_AS[kind], fmt} != {"aniposelib", "pose2sim"}
]


@pytest.mark.parametrize("fmt,kind", OTHER_TOOLS)
def test_every_reader_refuses_every_other_tools_file_by_name(files, fmt, kind):
    with pytest.raises(
        FormatError,
        match=rf"looks like an? {LOOKS_LIKE[kind]}, not .*: import it with .*"
        rf"--format {READS_AS[kind]}",
    ):
        READERS[fmt](files[kind])


@pytest.mark.parametrize("kind", [k for k in WRITERS if k != "runlab"])
def test_runlab_reader_names_another_tools_file_and_the_import(files, kind):
    with pytest.raises(
        FormatError,
        match=rf"looks like an? {LOOKS_LIKE[kind]}, not a runlab "
        rf"calibration: .*import-calibration .*--format {READS_AS[kind]}",
    ):
        read_calibration(files[kind])


@pytest.mark.parametrize(
    "content,message",
    [
        (b'{"cameras": []}', "not valid TOML: it is JSON"),
        (b"\x00\x00\x00\x18ftypmp42\xff\xfe", "not a text file|not valid TOML"),
        (b"study:\n  trials: {}\n", "not valid TOML"),
        (b'title = "nothing"\n[owner]\nname = "x"\n', "nor any calibration runlab reads"),
    ],
)
@pytest.mark.parametrize("fmt", list(READERS))
def test_files_that_are_no_calibration_are_named(tmp_path, content, message, fmt):
    path = tmp_path / "file.toml"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=message):
        READERS[fmt](path)


def test_malformed_camera_table_names_table_and_key(tmp_path, files):
    doc = toml.load(files["caliscope-config"])
    doc["cam_1"]["rotation"] = [[1.0, 0.0], [0.0, 1.0]]
    path = tmp_path / "config.toml"
    path.write_text(toml.dumps(doc))
    with pytest.raises(FormatError, match=r"\[cam_1\] rotation has 4 values, expected 9"):
        read_caliscope_config(path)
    del doc["cam_1"]["rotation"]
    doc["cam_1"]["rotation"] = [0.1, 0.2, 0.3]  # a Rodrigues vector in a caliscope file
    path.write_text(toml.dumps(doc))
    with pytest.raises(FormatError, match=r"\[cam_1\] rotation has 3 values, expected 9"):
        read_caliscope_config(path)


def test_caliscope_2023_config_matches_its_camera_array(tmp_path):
    """The same calibration in both caliscope layouts reads to the same cameras (cam_<id>)."""
    calib = _calibration()
    write_caliscope_2023_config(tmp_path / "config.toml", calib)
    write_caliscope_camera_array(tmp_path / "camera_array.toml", calib)
    a, b = (
        read_caliscope_config(tmp_path / "config.toml"),
        read_any_calibration(tmp_path / "camera_array.toml"),
    )
    assert a.names == b.names == ["cam_0", "cam_1", "cam_2"]
    _same_cameras(a, b)


@pytest.mark.skipif(not QUALISYS.exists(), reason="../shared/data not present")
def test_real_files_of_other_tools(tmp_path):
    pose2sim = READERS["pose2sim"](QUALISYS)
    assert pose2sim.names == ["cam_01", "cam_02", "cam_03", "cam_04"]
    assert pose2sim.cameras[0].size == (1088, 1920)
    caliscope = READERS["caliscope"](CALISCOPE_ARRAY)
    assert caliscope.names == [f"cam_{i}" for i in range(4)]
    np.testing.assert_allclose(caliscope.cameras[0].matrix[0, 0], 903.550124089999)
    with pytest.raises(FormatError, match="looks like a Pose2Sim calibration.*--format pose2sim"):
        READERS["caliscope-config"](QUALISYS)
    with pytest.raises(
        FormatError, match="looks like a caliscope camera_array.toml.*--format caliscope"
    ):
        READERS["pose2sim"](CALISCOPE_ARRAY)


def test_cli_import_of_the_wrong_kind_is_one_line_not_a_traceback(files, tmp_path, capsys):
    """The issue's case: a caliscope 2023 config.toml given to --format pose2sim ended in
    `ValueError: cannot reshape array of size 9 into shape (3,)`."""
    out = tmp_path / "calibration.toml"
    rc = main(
        [
            "import-calibration",
            str(files["caliscope-config"]),
            "--format",
            "pose2sim",
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert "looks like a caliscope config.toml (2023)" in err and "--format caliscope-config" in err
    assert "Traceback" not in err
    rc = main(
        [
            "import-calibration",
            str(files["caliscope-config"]),
            "--format",
            "caliscope-config",
            "--names",
            "a,b,c",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    got = read_calibration(out)
    assert got.names == ["a", "b", "c"]
    _same_cameras(got, _calibration())
    rc = main(["import-calibration", str(files["pose2sim"]), "--format", "auto", "--out", str(out)])
    assert rc == 0 and read_calibration(out).names == _calibration().names
