"""`models pull` over real HTTP from a server on 127.0.0.1: verified, staged, all or nothing.

The server serves a folder in the manifest layout (the real models from ../shared/models), so
the real download path runs: urllib, a temporary name, size and sha256 checked, then a rename.
No test here reaches any other address.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import tarfile
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualrec_audit.cli import main
from dualrec_audit.core.errors import ModelError
from dualrec_audit.models.registry import ModelStore, sha256_file

from .conftest import ROOT, bundled_models_folder, models_root

KWS = "kws-zh-3.3m"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """(folder served, its base URL) on 127.0.0.1, a free port."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _copy_model(name: str, dest: Path) -> None:
    src = models_root(name)
    for f in ModelStore().spec(name).files:
        (dest / f.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / f.path, dest / f.path)


def _manifest_with_urls(tmp_path: Path, base: str, name: str, *, archive: bool) -> Path:
    """The real manifest entry of ``name`` with its download pointed at the local server."""
    data = tomllib.loads((ROOT / "models" / "manifest.toml").read_text(encoding="utf-8"))
    (entry,) = [m for m in data["model"] if m["name"] == name]
    lines = ["[[model]]"]
    for key in ("name", "kind", "version", "licence", "source"):
        lines.append(f'{key} = "{entry[key]}"')
    if archive:
        lines.append(f'archive = {{ url = "{base}/model.tar.bz2", prefix = "pack/" }}')
    lines.append("files = [")
    for f in entry["files"]:
        url = "" if archive else f', url = "{base}/{f["path"]}"'
        lines.append(
            f'  {{ path = "{f["path"]}", size = {f["size"]}, sha256 = "{f["sha256"]}"{url} }},'
        )
    lines.append("]")
    path = tmp_path / "manifest.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_pull_from_a_mirror_downloads_and_verifies(served, tmp_path, isolated_models_env):
    folder, base = served
    _copy_model(KWS, folder)
    dest = tmp_path / "installed"
    assert main(["models", "pull", KWS, "--mirror", base, "--to", str(dest)]) == 0
    store = ModelStore(dest)
    located = store.locate(KWS)
    assert located.root == dest
    for f in store.spec(KWS).files:
        assert sha256_file(dest / f.path) == f.sha256
    assert not list(dest.glob(".dualrec-download-*"))  # the staging folder is gone


def test_one_changed_byte_is_rejected_and_nothing_is_installed(served, tmp_path, capsys):
    folder, base = served
    _copy_model(KWS, folder)
    spec = ModelStore().spec(KWS)
    joiner = folder / spec.files[2].path
    data = bytearray(joiner.read_bytes())
    data[len(data) // 2] ^= 0x01
    joiner.write_bytes(bytes(data))
    dest = tmp_path / "installed"
    assert main(["models", "pull", KWS, "--mirror", base, "--to", str(dest)]) == 2
    err = capsys.readouterr().err
    assert joiner.name in err and "sha256" in err and "Nothing was installed" in err
    assert not (dest / spec.subdir).exists()
    assert not [p for p in dest.rglob("*") if p.is_file()]


def test_a_failed_update_keeps_the_installed_model(served, tmp_path):
    """A model already installed stays whole when a newer download fails half-way."""
    folder, base = served
    dest = tmp_path / "installed"
    _copy_model(KWS, dest)
    store = ModelStore()
    spec = store.spec(KWS)
    _copy_model(KWS, folder)
    (folder / spec.files[0].path).unlink()  # the server lacks a file: HTTP 404
    with pytest.raises(ModelError, match="404") as exc:
        store.pull(KWS, dest, mirror=base)
    assert exc.value.code == "download_failed"
    assert ModelStore(dest).locate(KWS).root == dest  # the old copy, intact


def test_official_per_file_urls_are_followed(served, tmp_path, isolated_models_env):
    folder, base = served
    _copy_model("yunet", folder)
    manifest = _manifest_with_urls(tmp_path, base, "yunet", archive=False)
    dest = tmp_path / "installed"
    target = ModelStore(manifest=manifest).pull("yunet", dest)
    assert target == dest / "opencv" / "face_detection_yunet_2023mar.onnx"
    assert ModelStore(dest, manifest=manifest).locate("yunet").root == dest


def test_release_archives_are_unpacked_and_each_member_verified(served, tmp_path):
    folder, base = served
    src = models_root(KWS)
    spec = ModelStore().spec(KWS)
    with tarfile.open(folder / "model.tar.bz2", "w:bz2") as tar:
        for f in spec.files:
            tar.add(src / f.path, arcname=f"pack/{Path(f.path).name}")
        tar.add(src / spec.files[0].path, arcname="pack/not-needed.onnx")
    manifest = _manifest_with_urls(tmp_path, base, KWS, archive=True)
    dest = tmp_path / "installed"
    ModelStore(manifest=manifest).pull(KWS, dest)
    assert ModelStore(dest, manifest=manifest).locate(KWS).root == dest
    assert not (dest / spec.subdir / "not-needed.onnx").exists()
    # An archive whose member was changed is refused as a whole.
    with tarfile.open(folder / "model.tar.bz2", "w:bz2") as tar:
        for f in spec.files:
            path = src / f.path
            if f is spec.files[-1]:
                path = tmp_path / "tokens.txt"
                path.write_bytes((src / f.path).read_bytes() + b"x 999\n")
            tar.add(path, arcname=f"pack/{Path(f.path).name}")
    other = tmp_path / "other"
    with pytest.raises(ModelError, match=r"tokens\.txt"):
        ModelStore(manifest=manifest).pull(KWS, other)
    assert not (other / spec.subdir).exists()


def test_pull_needs_names_or_a_set(capsys):
    assert main(["models", "pull"]) == 2
    assert "--all or --bundled" in capsys.readouterr().err


def test_install_from_the_shared_folder_installs_only_what_is_asked(tmp_path):
    dest = tmp_path / "models"
    names = [n for n, s in ModelStore().specs.items() if s.bundled]
    src = bundled_models_folder(tmp_path / "stick")
    assert main(["models", "install", "--from", str(src), "--to", str(dest), "--bundled"]) == 0
    store = ModelStore(dest)
    for name in names:
        assert store.locate(name).root == dest
    assert not (dest / "whisper-test-random").exists()


def _bz2_manifest(tmp_path: Path, base: str, name: str) -> Path:
    """The real manifest entry of ``name`` with each file's download a .bz2 on the server."""
    path = _manifest_with_urls(tmp_path, base, name, archive=False)
    text = path.read_text(encoding="utf-8")
    for f in ModelStore().spec(name).files:
        text = text.replace(f'url = "{base}/{f.path}"', f'url = "{base}/{f.path}.bz2"')
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bz2_download_is_decompressed_and_its_file_verified(served, tmp_path):
    """As dlib.net publishes its models (dlib-face-id): the file compressed, the sha256 of the
    file itself pinned."""
    import bz2

    folder, base = served
    _copy_model("yunet", folder)
    (f,) = ModelStore().spec("yunet").files
    served_file = folder / f.path
    served_file.with_name(served_file.name + ".bz2").write_bytes(
        bz2.compress(served_file.read_bytes(), 1)
    )
    manifest = _bz2_manifest(tmp_path, base, "yunet")
    dest = tmp_path / "installed"
    ModelStore(manifest=manifest).pull("yunet", dest)
    assert sha256_file(dest / f.path) == f.sha256
    assert not list(dest.rglob("*.bz2")) and not list(dest.glob(".dualrec-download-*"))
    # Not bzip2 at all: a clear error, nothing installed.
    served_file.with_name(served_file.name + ".bz2").write_bytes(b"not bzip2")
    other = tmp_path / "other"
    with pytest.raises(ModelError, match="bzip2"):
        ModelStore(manifest=manifest).pull("yunet", other)
    assert not [p for p in other.rglob("*") if p.is_file()]


def test_the_dlib_models_point_at_the_official_bz2_downloads():
    spec = ModelStore().spec("dlib-face-id")
    assert spec.bundled and len(spec.files) == 2
    for f in spec.files:
        assert f.url == f"http://dlib.net/files/{Path(f.path).name}.bz2"
        assert f.sha256 and f.size
