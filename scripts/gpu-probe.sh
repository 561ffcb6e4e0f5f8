#!/usr/bin/env bash
# What this machine offers for GPU inference with onnxruntime-node, and which execution providers
# actually start a session (scripts/provider-check.ts on the built-in model). Read-only: it
# installs nothing and changes no setting. Each section says what it looked for and what it found.
#
#   scripts/gpu-probe.sh            # from anywhere; exit code 0 unless CPU inference itself fails
#
# docs/gpu.md explains what each provider needs and how the engine uses it.
set -u

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"

section() { printf '\n== %s\n' "$1"; }
have() { command -v "$1" >/dev/null 2>&1; }

# ldconfig is often outside a normal user's PATH.
ldconfig_bin="$(command -v ldconfig || echo /sbin/ldconfig)"
ld_cache="$("$ldconfig_bin" -p 2>/dev/null || true)"

# Where the dynamic loader would find a library: the ld cache, LD_LIBRARY_PATH, CUDA's usual home.
find_lib() {
  local name="$1" hit dir
  hit="$(printf '%s\n' "$ld_cache" | awk -v n="$name" '$1 ~ "^"n {print $NF; exit}')"
  if [ -n "$hit" ]; then echo "$hit"; return 0; fi
  IFS=: read -r -a dirs <<<"${LD_LIBRARY_PATH:-}"
  for dir in ${dirs[@]+"${dirs[@]}"} /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
    [ -n "$dir" ] || continue
    hit="$(ls "$dir"/"$name"* 2>/dev/null | head -n 1)"
    if [ -n "$hit" ]; then echo "$hit"; return 0; fi
  done
  return 1
}

report_lib() {
  local name="$1" why="$2" path
  if path="$(find_lib "$name")"; then printf '  %-22s %s\n' "$name" "$path"; else printf '  %-22s not found (%s)\n' "$name" "$why"; fi
}

section "system"
echo "  $(uname -srm)"
[ -r /etc/os-release ] && echo "  $(. /etc/os-release && echo "${PRETTY_NAME:-unknown}")"
echo "  cpus: $(nproc 2>/dev/null || echo '?'), memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null)"
echo "  node: $(node --version 2>/dev/null || echo 'not found'), onnxruntime-node: $(node -p "require('$root/node_modules/onnxruntime-node/package.json').version" 2>/dev/null || echo 'not installed')"

section "NVIDIA driver and GPUs (CUDA provider)"
if have nvidia-smi; then
  if out="$(nvidia-smi --query-gpu=index,name,driver_version,memory.total,memory.used,memory.free,compute_cap --format=csv,noheader 2>&1)"; then
    printf '%s\n' "$out" | sed 's/^/  GPU /'
    cuda_line="$(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -n 1)"
    echo "  driver supports ${cuda_line:-CUDA Version: unknown}"
  else
    echo "  nvidia-smi failed: $(printf '%s' "$out" | head -n 1)"
  fi
elif [ -r /proc/driver/nvidia/version ]; then
  echo "  nvidia-smi not found; kernel driver: $(head -n 1 /proc/driver/nvidia/version)"
else
  echo "  nvidia-smi not found and no /proc/driver/nvidia: no NVIDIA driver (CUDA cannot run)"
fi
ls /dev/nvidia[0-9]* >/dev/null 2>&1 && echo "  device nodes: $(ls /dev/nvidia[0-9]* | tr '\n' ' ')"

section "CUDA 12 runtime and cuDNN 9 (what ORT 1.30's CUDA provider links against)"
report_lib libcuda.so.1 "the driver's user-space library"
report_lib libcudart.so.12 "CUDA 12 runtime"
report_lib libcublas.so.12 "cuBLAS 12"
report_lib libcublasLt.so.12 "cuBLASLt 12"
report_lib libcufft.so.11 "cuFFT 11, from CUDA 12"
report_lib libcurand.so.10 "cuRAND 10, from CUDA 12"
report_lib libcudnn.so.9 "cuDNN 9"

section "onnxruntime-node provider libraries ($bin)"
if [ -d "$bin" ]; then
  for lib in libonnxruntime.so.1 libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so libonnxruntime_providers_tensorrt.so; do
    if [ -e "$bin/$lib" ]; then printf '  %-40s present\n' "$lib"; else printf '  %-40s absent\n' "$lib"; fi
  done
  if [ -e "$bin/libonnxruntime_providers_cuda.so" ] && have ldd; then
    missing="$(LD_LIBRARY_PATH="$bin:${LD_LIBRARY_PATH:-}" ldd "$bin/libonnxruntime_providers_cuda.so" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')"
    echo "  CUDA provider's unresolved dependencies: ${missing:-none}"
  elif [ ! -e "$bin/libonnxruntime_providers_cuda.so" ]; then
    echo "  (the CUDA provider is a separate download: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 where NuGet is reachable)"
  fi
else
  echo "  $bin not found: run npm install (linux x64 only)"
fi

section "Vulkan (WebGPU provider: Dawn on Vulkan)"
report_lib libvulkan.so.1 "the Vulkan loader, e.g. apt-get install libvulkan1"
icds=""
for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
  for f in "$d"/*.json; do [ -e "$f" ] && icds="$icds $f"; done
done
if [ -n "$icds" ]; then
  for f in $icds; do echo "  ICD $f"; done
else
  echo "  no Vulkan drivers (ICDs) in /usr/share/vulkan/icd.d, /etc/vulkan/icd.d or /usr/local/share/vulkan/icd.d"
fi
[ -n "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && echo "  VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-} VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
ls /dev/dri/renderD* >/dev/null 2>&1 && echo "  render nodes: $(ls /dev/dri/renderD* | tr '\n' ' ')"
if have vulkaninfo; then
  vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverName|apiVersion' | sed 's/^[[:space:]]*/  /' | head -n 12
fi

section "providers that start a session (scripts/provider-check.ts, one forward on the built-in model)"
tsx="$root/node_modules/.bin/tsx"
if [ ! -x "$tsx" ]; then
  echo "  $tsx not found: run npm install"
  exit 1
fi
(cd "$root" && "$tsx" scripts/provider-check.ts) | sed 's/^/  /'
exit "${PIPESTATUS[0]}"
