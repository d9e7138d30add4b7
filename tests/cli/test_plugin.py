"""The DINO backend as a plugin (libsmartcrop_dino.so): the engine links no Torch, a
model-free run never loads the plugin, a DINO run loads it once, a missing or broken
plugin is one line and exit 2, and the installed layout finds it. The dynamic loader's
own log (LD_DEBUG=files, one line per library it opens) says what a run loaded."""
import re
import shutil
import subprocess

import pytest

from conftest import BIN, ENGINE, MODELS, PLUGIN, WITH_DINO, run


def needed(binary):
    dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)


def loaded(stderr):
    """The libraries the dynamic loader opened, from LD_DEBUG=files output."""
    return re.findall(r"file=(\S+) \[0\];\s+(?:needed|dynamically loaded) by \S+ \[0\]$", stderr, re.MULTILINE)


def run_traced(*args, binary=BIN):
    done = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={"LD_DEBUG": "files", "PATH": "/usr/bin:/bin"})
    libraries = loaded(done.stderr)
    assert any("libopencv_core" in lib for lib in libraries), "LD_DEBUG gave no loader log"
    return done, libraries


def test_engine_links_no_torch_and_only_the_opencv_it_calls():
    libs = needed(ENGINE)
    assert not [lib for lib in libs if lib.startswith(("libtorch", "libc10"))], libs
    opencv = sorted(lib.split(".so")[0] for lib in libs if lib.startswith("libopencv"))
    # imgcodecs (and with it GDAL, GDCM, OpenEXR) only in libsmartcrop_imgcodecs.so.
    assert opencv == ["libopencv_core", "libopencv_imgproc", "libopencv_saliency"], opencv
    assert len(libs) <= 15, libs


@pytest.mark.parametrize("backend", ["saliency", "center"])
def test_model_free_run_never_loads_the_plugin_or_torch(photo, tmp_path, tiny_model, backend):
    done, libraries = run_traced(photo(), "--backend", backend, "--model", tiny_model, "--ratio", "16:9",
                                 "-o", tmp_path / "out.jpg", "-v")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.jpg").exists()
    assert not [lib for lib in libraries if "smartcrop_dino" in lib or "libtorch" in lib or "libc10" in lib]
    assert "loaded plugin" not in done.stderr


def test_version_loads_no_torch():
    done, libraries = run_traced("--version")
    assert done.returncode == 0 and done.stdout.startswith("smartcrop ")
    assert not [lib for lib in libraries if "smartcrop_dino" in lib or "libtorch" in lib]


@pytest.mark.dino
def test_dino_batch_loads_the_plugin_once(photo, tmp_path, tiny_model):
    inputs = [photo(f"p{i}.jpg", 320, 240) for i in range(3)]
    done, libraries = run_traced(*inputs, "--backend", "dino", "--model", tiny_model, "--input-size", "64",
                                 "--workers", "2", "-o", tmp_path / "out", "-v")
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "out").iterdir())) == 3
    assert [lib for lib in libraries if lib.endswith("libsmartcrop_dino.so")] == [str(PLUGIN.resolve())]
    assert any("libtorch_cpu" in lib for lib in libraries)
    assert len([line for line in done.stderr.splitlines() if "loaded plugin" in line and "smartcrop_dino" in line]) == 1


def lonely_engine(tmp_path):
    """The launcher and the engine copied to a folder of their own, without the plugin."""
    folder = tmp_path / "bin"
    folder.mkdir()
    shutil.copy(BIN, folder / "smartcrop")
    shutil.copy(ENGINE, folder / "smartcrop-engine")
    # Still the build tree's engine (it finds the window model in the source tree), minus the plugin.
    shutil.copy(BIN.parent / "smartcrop_source_dir.txt", folder)
    return folder


def one_error_line(done):
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


@pytest.mark.dino
def test_missing_plugin_is_one_line_naming_it_and_what_to_install(photo, tmp_path, tiny_model):
    folder = lonely_engine(tmp_path)
    for backend in ("dino", "auto"):  # auto finds the model, so it wants DINO too
        done = subprocess.run([str(folder / "smartcrop"), photo(), "--backend", backend, "--model", str(tiny_model),
                               "-o", str(tmp_path / "out.jpg")], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        line = one_error_line(done)
        assert line.startswith(f"error: {folder / 'libsmartcrop_dino.so'}: plugin not found; "), line
        assert "SMARTCROP_WITH_DINO=ON" in line and "cmake --install" in line, line
        assert not (tmp_path / "out.jpg").exists()
    # The built-in saliency needs no plugin.
    done = subprocess.run([str(folder / "smartcrop"), photo(), "--backend", "saliency", "-o",
                           str(tmp_path / "out.jpg")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.dino
@pytest.mark.parametrize("backend", ["dino", "auto"])
def test_a_model_needing_a_newer_libtorch_is_one_line_with_both_versions(photo, tmp_path, backend):
    # tests/export_test_models.py: the tiny model, its metadata saying min_torch 99.0, written by 99.1.0.
    model = MODELS / "needs_torch_99.pt"
    done = run(photo(), "--backend", backend, "--model", model, "-o", tmp_path / "out.jpg")
    assert done.returncode == 2, done.stderr
    line = one_error_line(done)
    assert re.fullmatch(
        rf"error: {re.escape(str(model))}: this model file needs LibTorch >= 99\.0 and this smartcrop's DINO "
        r"plugin runs LibTorch (\d+\.\d+); re-export it with scripts/export_model\.py under torch \1 \(the file "
        r"was written by torch 99\.1\), or build smartcrop against a newer LibTorch \(README: \"Another LibTorch\"\)"
        r" \(given by --model\)", line), line
    assert not (tmp_path / "out.jpg").exists()


@pytest.mark.dino
def test_broken_plugin_is_one_line_naming_it(photo, tmp_path, tiny_model):
    folder = lonely_engine(tmp_path)
    (folder / "libsmartcrop_dino.so").write_bytes(b"\x7fELF but not really a shared library")
    done = subprocess.run([str(folder / "smartcrop"), photo(), "--backend", "dino", "--model", str(tiny_model),
                           "--print-box"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    line = one_error_line(done)
    assert line.startswith(f"error: {folder / 'libsmartcrop_dino.so'}: cannot load the plugin ("), line
    assert done.stdout == ""


@pytest.mark.dino
# Names no machine has (a developer's may well have libcudnn.so.9), with the real ones' prefixes.
@pytest.mark.parametrize("library, advice", [
    ("libcudnn_smartcrop_test.so.9", "install cuDNN (Debian: the non-free package nvidia-cudnn"),
    ("libcublas_smartcrop_test.so.12", "install the CUDA libraries of the LibTorch the plugin was built against"),
    ("libtorch_cpu_smartcrop_test.so.2.6", "install LibTorch: apt-get install libtorch-dev"),
])
def test_a_library_the_plugin_needs_missing_is_one_line_naming_it(photo, tmp_path, tiny_model, library, advice):
    # A plugin built against a CUDA LibTorch needs cuDNN (libcudnn.so.9) and the CUDA libraries to
    # load at all, even for --device cpu (issue 25): here a stand-in plugin that needs `library`,
    # which is there when it is linked and gone when it runs.
    folder = lonely_engine(tmp_path)
    stub = tmp_path / "stub"
    stub.mkdir()
    source = tmp_path / "empty.cpp"
    source.write_text("extern \"C\" int smartcrop_stub() { return 0; }\n")
    subprocess.run(["g++", "-shared", "-fPIC", "-o", str(stub / library), f"-Wl,-soname,{library}", str(source)],
                   check=True)
    subprocess.run(["g++", "-shared", "-fPIC", "-o", str(folder / "libsmartcrop_dino.so"), str(source),
                    f"-L{stub}", "-Wl,--no-as-needed", f"-l:{library}"], check=True)
    assert library in needed(folder / "libsmartcrop_dino.so")
    shutil.rmtree(stub)
    done = subprocess.run([str(folder / "smartcrop"), photo(), "--backend", "dino", "--model", str(tiny_model),
                           "--device", "cpu", "-o", str(tmp_path / "out.jpg")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    line = one_error_line(done)
    assert line.startswith(f"error: {folder / 'libsmartcrop_dino.so'}: cannot load the plugin: {library} is missing "
                           "(needed by the plugin or by the LibTorch it was built against); "), line
    assert advice in line and line.endswith("--backend saliency needs no plugin"), line
    assert not (tmp_path / "out.jpg").exists()


@pytest.mark.dino
def test_a_library_that_is_not_the_plugin_is_refused(photo, tmp_path, tiny_model):
    folder = lonely_engine(tmp_path)
    ldd = subprocess.run(["ldd", str(ENGINE)], capture_output=True, text=True, check=True).stdout
    libfmt = re.search(r"libfmt\S* => (\S+)", ldd).group(1)
    shutil.copy(libfmt, folder / "libsmartcrop_dino.so")
    done = subprocess.run([str(folder / "smartcrop"), photo(), "--backend", "dino", "--model", str(tiny_model),
                           "--print-box"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "not a smartcrop plugin (no smartcrop_dino_plugin)" in one_error_line(done)


@pytest.mark.dino
def test_installed_engine_loads_the_installed_plugin(photo, tmp_path, tiny_model):
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", str(BIN.parent), "--prefix", str(prefix)], check=True,
                   capture_output=True, timeout=300)
    installed = prefix / "libexec" / "smartcrop" / "libsmartcrop_dino.so"
    assert installed.exists()
    done, libraries = run_traced(photo(), "--backend", "dino", "--model", tiny_model, "--input-size", "64",
                                 "--print-box", "-v", binary=prefix / "bin" / "smartcrop")
    assert done.returncode == 0, done.stderr
    assert [lib for lib in libraries if lib.endswith("libsmartcrop_dino.so")] == [str(installed.resolve())]
    assert len(done.stdout.split()) == 4


@pytest.mark.nodino
def test_build_without_dino_says_so(photo, tmp_path, tiny_model):
    assert not PLUGIN.exists()
    done = run(photo(), "--backend", "dino", "--model", tiny_model, "-o", tmp_path / "out.jpg")
    assert done.returncode == 2
    assert "this build has no DINO support" in one_error_line(done)
    assert not (tmp_path / "out.jpg").exists()
    # A model the user names must load, with auto too: here it cannot.
    done = run(photo(), "--model", tiny_model, "-o", tmp_path / "out.jpg")
    assert done.returncode == 2, done.stderr
    assert "this build has no DINO support" in one_error_line(done)
    assert not (tmp_path / "out.jpg").exists()
    # Without a model the built-in saliency crops.
    done = run(photo(), "--backend", "saliency", "-o", tmp_path / "out.jpg")
    assert done.returncode == 0, done.stderr


@pytest.mark.nodino
def test_build_without_dino_installs_no_plugin(tmp_path):
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", str(BIN.parent), "--prefix", str(prefix)], check=True,
                   capture_output=True, timeout=300)
    assert (prefix / "libexec" / "smartcrop" / "smartcrop-engine").exists()
    assert (prefix / "libexec" / "smartcrop" / "libsmartcrop_imgcodecs.so").exists()
    assert not list(prefix.rglob("libsmartcrop_dino*"))
    assert not WITH_DINO


def test_jpeg_png_webp_need_no_opencv_imgcodecs(photo, tmp_path):
    import cv2
    png = tmp_path / "photo.png"
    cv2.imwrite(str(png), cv2.imread(str(photo())))
    done, libraries = run_traced(photo(), png, "--backend", "saliency", "--ratio", "1:1", "-o", tmp_path / "out",
                                 "--name", "{stem}.{ext}_{ratio}.webp")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["photo.jpg_1x1.webp", "photo.png_1x1.webp"]
    assert not [lib for lib in libraries if "imgcodecs" in lib or "libgdal" in lib], libraries


def test_tiff_and_bmp_go_through_the_imgcodecs_plugin(photo, tmp_path):
    import cv2
    pixels = cv2.imread(str(photo()))
    cv2.imwrite(str(tmp_path / "scan.tif"), pixels)
    cv2.imwrite(str(tmp_path / "old.bmp"), pixels)
    done, libraries = run_traced(tmp_path / "scan.tif", tmp_path / "old.bmp", "--backend", "saliency", "--ratio",
                                 "1:1", "-o", tmp_path / "out", "--name", "{stem}_{ratio}.tif")
    assert done.returncode == 0, done.stderr
    assert [lib for lib in libraries if lib.endswith("libsmartcrop_imgcodecs.so")] == [
        str((BIN.parent / "libsmartcrop_imgcodecs.so").resolve())]
    assert cv2.imread(str(tmp_path / "out" / "scan_1x1.tif")).shape[:2] == (800, 800)
    # Without the plugin only those photos fail, each with one line; JPEG still works.
    folder = lonely_engine(tmp_path)
    done = subprocess.run([str(folder / "smartcrop"), tmp_path / "scan.tif", photo(), "--backend", "saliency",
                           "--ratio", "1:1", "-o", tmp_path / "out2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(tmp_path / "scan.tif") in errors[0], done.stderr
    assert "libsmartcrop_imgcodecs.so: plugin not found" in errors[0], errors[0]
    assert len(list((tmp_path / "out2").iterdir())) == 1
