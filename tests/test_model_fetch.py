"""`runlab models` / `fetch-model`: the model-zoo table and downloads from a local HTTP server
on 127.0.0.1 (the real upstream hosts are unreachable here): right file, wrong file, broken
transfer then resume (HTTP Range), server gone, bad URLs, a cache folder that cannot be written."""

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.io.download import (
    CacheError,
    ChecksumError,
    DownloadError,
    check_url,
    fetch,
    user_cache_dir,
)
from pipeline.pose2d import model_zoo
from pipeline.pose2d.model_zoo import MODELS, config_lines, fetch_model

PAYLOAD = bytes(range(256)) * 4096 + b"tail"  # 1 MiB + 4 bytes: spans several chunks
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class Server:
    """Serves `files` (name -> bytes) with HTTP Range support. `cut_after`: the next response
    announces the full length but the connection closes after that many body bytes."""

    def __init__(self):
        self.files, self.cut_after, self.requests = {}, None, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                server.requests.append((self.path, self.headers.get("Range")))
                if name not in server.files:
                    self.send_error(404)
                    return
                data, start = server.files[name], 0
                m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if m:
                    start = int(m.group(1))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_after is not None:
                    body, server.cut_after = body[: server.cut_after], None
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/models"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()


def test_table_matches_the_installed_mmpose_metafile():
    """Every pose URL is the one mmpose's own model-zoo metafile publishes for that config, the
    person detector's is mmpose's own default (default_det_models.py); the 8-hex prefix is the
    one in the file name; every config ships with mmpose."""
    pytest.importorskip("mmpose")
    import yaml

    from pipeline.pose2d import mmcv_compat
    from pipeline.pose2d.checkpoints import shipped_config_dir

    mmcv_compat.install()  # mmpose.apis imports mmcv.ops
    from mmpose.apis.inferencers.utils.default_det_models import default_det_models

    mim = shipped_config_dir().parent
    meta = yaml.safe_load((mim / model_zoo.METAFILE).read_text())
    published = {m["Config"]: m["Weights"] for m in meta["Models"]}
    human = default_det_models["human"]
    published[str(Path(human["model"]).relative_to(mim))] = human["weights"]
    assert {m.name for m in MODELS} >= {"rtmpose-t", "rtmpose-s", "rtmpose-m", "rtmpose-l"}
    for m in MODELS:
        assert (mim / m.config).is_file(), m.config
        assert published[m.config] == m.url, m.name
        assert f"-{m.sha256_prefix}" in m.filename and re.fullmatch(r"[0-9a-f]{8}", m.sha256_prefix)
        assert m.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", m.sha256)
        if m.kind == "pose":
            assert f"{m.input_size[1]}x{m.input_size[0]}" in m.config and m.keypoints == 26


def test_right_file_then_cached(server, tmp_path):
    server.files["a.pth"] = PAYLOAD
    dest = tmp_path / "cache" / "a.pth"
    path, digest = fetch(f"{server.base}/a.pth", dest, prefix=DIGEST[:8], show_progress=False)
    assert path == dest and digest == DIGEST and dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "cache" / "a.pth.part").exists()
    server.requests.clear()
    assert fetch(f"{server.base}/a.pth", dest, sha256=DIGEST.upper(), show_progress=False) == (
        dest,
        DIGEST,
    )
    assert server.requests == []  # verified from the cache


def test_wrong_file_is_deleted_and_named(server, tmp_path):
    server.files["a.pth"] = PAYLOAD[:-1] + b"X"
    dest = tmp_path / "a.pth"
    with pytest.raises(ChecksumError) as e:
        fetch(f"{server.base}/a.pth", dest, sha256=DIGEST, show_progress=False)
    assert DIGEST in str(e.value) and "a.pth" in str(e.value)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a .part
    with pytest.raises(ChecksumError):  # prefix check: same refusal
        fetch(f"{server.base}/a.pth", dest, prefix=DIGEST[:8], show_progress=False)


def test_broken_transfer_resumes_with_a_range_request(server, tmp_path):
    server.files["a.pth"] = PAYLOAD
    server.cut_after = 300_000
    dest = tmp_path / "a.pth"
    with pytest.raises(DownloadError, match="broke after 300000 of 1048580 bytes"):
        fetch(f"{server.base}/a.pth", dest, sha256=DIGEST, show_progress=False)
    assert not dest.exists() and (tmp_path / "a.pth.part").stat().st_size == 300_000
    path, digest = fetch(f"{server.base}/a.pth", dest, sha256=DIGEST, show_progress=False)
    assert digest == DIGEST and path.read_bytes() == PAYLOAD
    assert server.requests[-1][1] == "bytes=300000-"  # only the rest was asked for


def test_server_gone_keeps_nothing_and_names_the_url(tmp_path):
    s = Server()
    url = f"{s.base}/a.pth"
    s.stop()
    with pytest.raises(DownloadError, match="cannot reach the server") as e:
        fetch(url, tmp_path / "a.pth", sha256=DIGEST, show_progress=False)
    assert url in str(e.value) and not (tmp_path / "a.pth").exists()


def test_missing_file_on_server(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(f"{server.base}/nope.pth", tmp_path / "nope.pth", sha256=DIGEST, show_progress=False)


@pytest.mark.parametrize(
    "url", ["ftp://host/x", "file:///etc/passwd", "http://", "https://h/a b", "/tmp/x"]
)
def test_only_http_urls(url, tmp_path):
    with pytest.raises(DownloadError, match="not an http"):
        fetch(url, tmp_path / "x", sha256=DIGEST)
    assert check_url("https://mirror.lab.example/pose/") == "https://mirror.lab.example/pose/"


def test_cache_folder_not_writable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheError, match=f"cache folder {blocker}/models is not writable"):
        fetch("http://127.0.0.1:9/a.pth", blocker / "models" / "a.pth", sha256=DIGEST)
    import os

    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        with pytest.raises(CacheError, match="RUNLAB_CACHE"):
            fetch("http://127.0.0.1:9/a.pth", ro / "a.pth", sha256=DIGEST)


def test_fetch_model_through_a_mirror_and_the_cli(server, tmp_path, monkeypatch, capsys):
    """A lab's mirror holding the rtmpose-m file name: the table's prefix check fails for our
    stand-in bytes unless the lab gives the full hash (--sha256), which then is what counts."""
    from pipeline import cli

    model = model_zoo.get("rtmpose-m")
    server.files[model.filename] = PAYLOAD
    monkeypatch.setenv("RUNLAB_CACHE", str(tmp_path / "rc"))
    assert user_cache_dir() == tmp_path / "rc"
    assert cli.main(["fetch-model", "rtmpose-m", "--mirror", server.base + "/"]) == 2
    assert "expected 4d3e73dd..." in capsys.readouterr().err
    assert cli.main(["fetch-model", "rtmpose-m", "--mirror", server.base, "--sha256", DIGEST]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "rc" / "models" / model.filename
    assert path.read_bytes() == PAYLOAD and server.requests[-1][0] == f"/models/{model.filename}"
    assert f"detector.rtmpose.checkpoint={path}" in out and f"checkpoint_sha256={DIGEST}" in out
    assert "detector.rtmpose.model=rtmpose-m" in out and "full sha256" in out


def test_config_lines_compose(tmp_path):
    from scenes import REPO

    from pipeline.config import compose

    line = config_lines("rtmpose-s", tmp_path / "w.pth", "a" * 64)
    overrides = [t for t in line.replace("\\\n", " ").split() if "=" in t]
    cfg = compose(REPO / "conf", overrides)
    assert (
        cfg.detector.rtmpose.model == "rtmpose-s"
        and cfg.detector.rtmpose.checkpoint_sha256 == "a" * 64
    )
    assert cfg.detector.rtmpose.checkpoint == str(tmp_path / "w.pth")


def test_unknown_model_and_bad_hash_are_named():
    from pipeline.core.errors import RunlabError

    with pytest.raises(RunlabError, match="runlab models"):
        fetch_model("rtmpose-q")
    with pytest.raises(RunlabError, match="not a SHA-256"):
        fetch_model("rtmpose-m", sha256="abc")


def test_models_listing_on_the_command_line(capsys):
    from pipeline import cli

    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    for name in ("rtmpose-t", "rtmpose-s", "rtmpose-m", "rtmpose-l"):
        assert f"\n{name} " in out
    assert "rtmpose-m_simcc-body7_pt-body7-halpe26_700e-256x192-4d3e73dd_20230605.pth" in out
    assert "4d3e73dd... (only these 8 hex published" in out


def test_person_detector_config_lines_compose(tmp_path):
    from scenes import REPO

    from pipeline.config import PersonBoxes, compose

    line = config_lines("rtmdet-m-person", tmp_path / "d.pth", "b" * 64)
    overrides = ["detector=rtmpose"] + [t for t in line.replace("\\\n", " ").split() if "=" in t]
    r = compose(REPO / "conf", overrides).detector.rtmpose
    assert r.person_boxes is PersonBoxes.mmdet and r.mmdet_model == "rtmdet-m-person"
    assert r.mmdet_checkpoint == str(tmp_path / "d.pth") and r.mmdet_checkpoint_sha256 == "b" * 64
