#!/usr/bin/env bash
# Packs what `bench/gpu_check.sh` needs on a GPU machine that reaches no package registry:
#   .gpu/deno.xz                         the Deno binary this checkout uses (xz, ~31 MB)
#   .gpu/cache/cifar10-jpeg-5k/          a 5,120-train / 1,000-test subset of the CIFAR-10 JPEG
#                                        copy, decoded into the kit's dataset cache (data.bin.xz)
#   .gpu/gpu_bench.bundle.js             cli/bench.ts with every npm dependency in one file
#   .gl/*.deb                            the Vulkan/EGL loaders (Debian), unpacked there
# Usage (from the repository root, with the CIFAR-10 JPEG copy in KIT_DATA_DIR):
#   bash bench/gpu_bundle.sh
# then run `bash bench/gpu_check.sh` on the GPU machine with .gpu and .gl beside the checkout.
# Both folders are build outputs: keep them out of git (.git/info/exclude).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data_dir="${KIT_DATA_DIR:?set KIT_DATA_DIR to the folder holding cifar10-jpeg.tar.gz}"
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
deno_bin="$PWD/.tools/node_modules/deno/deno"
[ -x "$deno_bin" ] || { echo "no Deno in .tools/ (run ./kit --version first)" >&2; exit 1; }
rm -rf .gpu && mkdir -p .gpu/cache .gl

echo "[gpu bundle] deno binary"
xz -T0 -6 -c "$deno_bin" >.gpu/deno.xz

echo "[gpu bundle] cli/bench.ts with its npm dependencies"
# The bundle sits in cli/ on the GPU machine so that its import.meta.url paths
# (../bench/torch_step.py, ../bench/simclr_twin.py) resolve as they do from cli/bench.ts.
deno bundle --platform deno --packages bundle -o .gpu/gpu_bench.bundle.js cli/bench.ts

echo "[gpu bundle] CIFAR-10 (JPEG copy) subset: 512 train and 100 test images per class"
tmp=$(mktemp -d)
python3 - "$data_dir/cifar10-jpeg.tar.gz" "$tmp/cifar10-jpeg-5k.tar.gz" <<'EOF'
import sys, tarfile
src = tarfile.open(sys.argv[1], "r:gz")
dst = tarfile.open(sys.argv[2], "w:gz", format=tarfile.USTAR_FORMAT)
for m in src:
    parts = m.name.split("/")
    if m.isdir():
        dst.addfile(m)
        continue
    split, index = parts[1], int(parts[3].split(".")[0])
    if index < (512 if split == "train" else 100):
        dst.addfile(m, src.extractfile(m))
dst.close()
EOF
KIT_CACHE_DIR="$PWD/.gpu/cache" deno task data import cifar10-jpeg-5k "$tmp/cifar10-jpeg-5k.tar.gz" \
  --display-name "CIFAR-10 (JPEG copy), 5,120-image subset"
xz -T0 -6 .gpu/cache/cifar10-jpeg-5k/data.bin
rm -rf "$tmp"

echo "[gpu bundle] Vulkan and EGL loaders"
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial
# shellcheck disable=SC2086
apt-get $o update -qq
# shellcheck disable=SC2086
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh .gpu .gl
