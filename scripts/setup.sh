#!/usr/bin/env bash
# One command from a fresh Debian 12 or 13 machine to crops:
#   scripts/setup.sh [PHOTO...]
# installs the packages (apt), builds the tool (without the tests: scripts/test.sh
# builds those), exports the DINO model if it can be downloaded (otherwise smartcrop
# uses its built-in saliency), and crops the given photos, or a demo image it
# generates, to 16:9 into out/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/deps.sh
bash scripts/build.sh -DSMARTCROP_BUILD_TESTS=OFF

model=models/dino_vits16.pt
if [[ ! -f $model ]]; then
  echo "smartcrop: fetching the official DINO ViT-S/16 weights and exporting $model" >&2
  if ! /usr/bin/python3 scripts/export_model.py -o "$model"; then
    echo "smartcrop: no DINO model (offline?); cropping with the built-in saliency backend." >&2
    echo "           See models/README.md to install the model later." >&2
  fi
fi

mkdir -p out
photos=("$@")
if ((${#photos[@]} == 0)); then
  /usr/bin/python3 scripts/make_demo_image.py out/demo.jpg
  photos=(out/demo.jpg)
fi
./build/smartcrop "${photos[@]}" --ratio 16:9 -o out/ --compare out/ -v
echo "smartcrop: crops and comparison strips are in $root/out/" >&2
