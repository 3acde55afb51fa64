#!/usr/bin/env bash
# The GPU benchmark on a machine with an NVIDIA GPU, PyTorch (CUDA) and no package registry:
# the kit on Deno's WebGPU (tfjs-backend-webgpu, Vulkan) against PyTorch on CUDA, same card.
#   1. one training step: deno task bench --backend webgpu --torch-device cuda
#   2. the whole SimCLR training run: deno task bench --e2e --backend webgpu --torch-device cuda
#   3. the per-kernel profile of one kit step on webgpu
# Needs what `bash bench/gpu_bundle.sh` packs into .gpu/ and .gl/. Writes gpu.json (the step),
# gpu-e2e.json (the whole run), gpu-profile.json and their logs to $OUT (default results/bench/).
# Usage, from the repository root:
#   OUT=/tmp/gpu GPU_CHECK_STEP_REPS=3 GPU_CHECK_E2E_REPS=1 bash bench/gpu_check.sh
#                                      # what results/bench/gpu*.json were measured with
#   GPU_CHECK_SMOKE=1 bash bench/gpu_check.sh   # tiny sizes, torch on cpu: tries the script
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${OUT:-results/bench}"
mkdir -p "$out"
t0=$(date +%s)
say() { echo "[gpu check $(($(date +%s) - t0)) s] $*"; }
unxz_to() { xz -dc "$1" >"$2" 2>/dev/null || python3 -c \
  "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; }

if [ -z "${GPU_CHECK_SMOKE:-}" ]; then
  # Vulkan loader (Deno's WebGPU runs on Vulkan); the NVIDIA driver brings its ICD.
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
fi
deno=/tmp/kit-deno
unxz_to .gpu/deno.xz "$deno" && chmod +x "$deno" || { say "cannot unpack .gpu/deno.xz"; exit 1; }
[ -f .gpu/cache/cifar10-jpeg-5k/data.bin ] ||
  unxz_to .gpu/cache/cifar10-jpeg-5k/data.bin.xz .gpu/cache/cifar10-jpeg-5k/data.bin
cp .gpu/gpu_bench.bundle.js cli/gpu_bench.bundle.js
export DENO_DIR=/tmp/kit-deno-dir KIT_CACHE_DIR="$PWD/.gpu/cache" XDG_RUNTIME_DIR=/tmp NO_COLOR=1
export PYTHONUNBUFFERED=1
"${KIT_TORCH_PYTHON:-python3}" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
  torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
say "WebGPU adapter:"
timeout 60 "$deno" eval 'const a = await navigator.gpu.requestAdapter();
  const i = a?.info;
  console.log(i ? [i.vendor, i.architecture, i.device, i.description].join(" | ") : "none")'
bench=("$deno" run -A --no-lock --no-config --cached-only cli/gpu_bench.bundle.js)

if [ -n "${GPU_CHECK_SMOKE:-}" ]; then
  step=(--torch-device cpu --batch 8 --reps 1 --warmup 1)
  e2e=(--torch-device cpu --widths 16 --train-size 16 --batch-size 8 --epochs 1 --reps 1)
else
  step=(--torch-device cuda --batch 128 --reps "${GPU_CHECK_STEP_REPS:-5}" --warmup 3)
  e2e=(--torch-device cuda --widths 16,32 --train-size 5120 --epochs 2 --reps "${GPU_CHECK_E2E_REPS:-2}")
fi
say "1. one training step (ResNet-10 width 32, 2 x 128 views)"
timeout "${GPU_CHECK_STEP_S:-180}" "${bench[@]}" --backend webgpu "${step[@]}" --no-profile \
  --out "$out/gpu.json" 2>&1 | tee "$out/gpu.log"
say "2. the whole training run (SimCLR, CIFAR-10 JPEG 5k subset, batch 256)"
timeout "${GPU_CHECK_E2E_S:-300}" "${bench[@]}" --e2e --backend webgpu --dataset cifar10-jpeg-5k \
  "${e2e[@]}" --out "$out/gpu-e2e.json" 2>&1 | tee "$out/gpu-e2e.log"
say "3. per-kernel profile of one kit step on webgpu"
timeout "${GPU_CHECK_PROFILE_S:-90}" "${bench[@]}" --backend webgpu --no-torch --reps 1 --warmup 1 \
  ${GPU_CHECK_SMOKE:+--batch 8} --out "$out/gpu-profile.json" 2>&1 | tail -40 | tee "$out/gpu-profile.log"
say "done"
