#!/usr/bin/env bash
# Measures what the start-up of a one-photo run used to pay, one cost at a time (not
# a test; docs/PERFORMANCE.md, "Start-up"): empty programs linking the engine's
# libraries, with OpenCV's imgcodecs added, with LibTorch added; OpenCV's first
# BGR->Lab call against smartcrop's own; the engine with OpenCV's OpenCL disabled.
# Alternating rounds with scripts/bench/ab_time.py.
#   scripts/bench/startup_costs.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
rounds=${2:-10}
work=$(mktemp -d /tmp/smartcrop-startup-costs.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo 'int main() { return 0; }' > empty.cpp
engine_libs="-lopencv_core -lopencv_imgproc -lopencv_saliency -lspdlog -lfmt -ljpeg -lpng16 -lwebp"
g++ -O2 empty.cpp -o empty_engine_libs -Wl,--no-as-needed $engine_libs
g++ -O2 empty.cpp -o empty_with_imgcodecs -Wl,--no-as-needed $engine_libs -lopencv_imgcodecs
g++ -O2 empty.cpp -o empty_with_libtorch -Wl,--no-as-needed $engine_libs -ltorch_cpu -lc10 -ltorch

# The Lab conversion as builtin_saliency.cpp has it, against cv::cvtColor, on the
# 160x120 image border_contrast converts for an 800x600 photo.
{
  echo '#include <array>'; echo '#include <cmath>'; echo '#include <opencv2/imgproc.hpp>'
  sed -n '/^cv::Mat bgr_to_lab8/,/^}/p' "$root/src/saliency/builtin_saliency.cpp"
  echo 'int main() { cv::Mat a(120, 160, CV_8UC3); cv::randu(a, cv::Scalar::all(0), cv::Scalar::all(256)); return bgr_to_lab8(a).empty(); }'
} > lab_own.cpp
cat > lab_opencv.cpp <<'CPP'
#include <opencv2/imgproc.hpp>
int main() { cv::Mat a(120, 160, CV_8UC3), lab; cv::randu(a, cv::Scalar::all(0), cv::Scalar::all(256)); cv::cvtColor(a, lab, cv::COLOR_BGR2Lab); return lab.empty(); }
CPP
for name in lab_own lab_opencv; do g++ -O2 $name.cpp -o $name -I/usr/include/opencv4 -lopencv_imgproc -lopencv_core; done

/usr/bin/python3 -c "
import sys; sys.path.insert(0, '$root/tests/cli')
import cv2; from conftest import subject_photo
cv2.imwrite('photo.jpg', subject_photo(800, 600, 300, 250, 80))"
run="$build/smartcrop photo.jpg --ratio 16:9 -o out.jpg --overwrite --backend saliency -q"
echo "libraries: engine $(ldd "$build/smartcrop-engine" | wc -l), empty_engine_libs $(ldd empty_engine_libs | wc -l)," \
     "with imgcodecs $(ldd empty_with_imgcodecs | wc -l), with libtorch $(ldd empty_with_libtorch | wc -l)"
/usr/bin/python3 "$root/scripts/bench/ab_time.py" --rounds "$rounds" --cwd "$work" \
  "empty program, the engine's libraries=./empty_engine_libs" \
  "empty program, + OpenCV imgcodecs=./empty_with_imgcodecs" \
  "empty program, + LibTorch=./empty_with_libtorch" \
  "first BGR->Lab, smartcrop's=./lab_own" \
  "first BGR->Lab, OpenCV cvtColor=./lab_opencv" \
  "model-free single photo=$run" \
  "model-free single photo, OpenCV OpenCL disabled by its variable=OPENCV_OPENCL_RUNTIME=disabled $run"
