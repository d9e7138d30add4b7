#!/bin/bash
# make_device_pkg.sh BUILD_DIR OUT.tar.xz: what device_run.sh needs on a GPU machine that has a
# CUDA torch (pip, with LibTorch's headers and CMake files), g++ and no Debian packages of ours:
# the engine built here (BUILD_DIR) with the libraries it loads (minus glibc and libstdc++; not
# those of libsmartcrop_imgcodecs.so, GDAL and all, which JPEGs never load), the
# headers the DINO plugin compiles against (OpenCV core/imgproc, fmt, nlohmann-json), the plugin's
# sources and the scripts, and up to 24 evaluation photos (../shared/eval, never committed). Keep
# OUT under the device tool's 64 MiB carry limit. Run from the repository root, e.g.
#   bash scripts/gpu/make_device_pkg.sh build .gpu/pkg.tar.xz
set -euo pipefail
B=$1 OUTF=$2
S=$(mktemp -d); trap 'rm -rf "$S"' EXIT
mkdir -p "$S/libs" "$S/hdr" "$S/proj"
cp "$B/smartcrop" "$B/smartcrop-engine" "$B/libsmartcrop_imgcodecs.so" "$S/"
for l in $(ldd "$B/smartcrop-engine" | awk '{print $3}' | grep / | xargs -n1 readlink -f | sort -u); do
  case $(basename "$l") in libc.so*|libm.so*|libstdc++*|libgcc_s*|ld-linux*|libpthread*|libdl.so*|librt.so*) ;; *) cp -L "$l" "$S/libs/";; esac
done
(cd "$S/libs" && for f in *; do s=$(objdump -p "$f" | awk '/SONAME/{print $2}'); [ -n "$s" ] && [ "$s" != "$f" ] && ln -sf "$f" "$s"; done
 for lib in opencv_core opencv_imgproc; do ln -sf "$(ls lib$lib.so.4* | head -1)" "lib$lib.so"; done
 ln -sf "$(ls libfmt.so.* | head -1)" libfmt.so)
D=$(mktemp -d); (cd "$D" && apt-get download -q libopencv-core-dev libopencv-imgproc-dev nlohmann-json3-dev libfmt-dev >/dev/null)
for d in "$D"/*.deb; do dpkg -x "$d" "$S/hdr"; done; rm -rf "$S/hdr/usr/share" "$D"
cp -r src include CMakeLists.txt "$S/proj/"
mkdir -p "$S/proj/scripts" && cp scripts/dino_vit.py scripts/export_model.py scripts/bench/bench_gpu.py scripts/gpu/*.py "$S/proj/scripts/"
# 24 photos of the evaluation set for the box comparison, where this machine has it: they travel
# in the ignored package, never in a commit (../shared/eval/README.md).
mkdir -p "$S/photos"
ls ../shared/eval/data/images/fcdb/*.jpg 2>/dev/null | awk 'NR % 40 == 1' | head -24 | xargs -r -I{} cp {} "$S/photos/"
echo "$(ls "$S/photos" | wc -l) evaluation photos in the package"
mkdir -p "$(dirname "$OUTF")"
tar -cJf "$OUTF" -C "$S" .
ls -la "$OUTF"
