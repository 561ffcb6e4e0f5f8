#!/usr/bin/env bash
# GPU benchmark in one command (under 8 minutes): writes an 8B-shaped 2-layer checkpoint under a
# temporary folder, converts it to int4 and fp16, and prints ms/forward on every execution
# provider that starts (cuda, webgpu, dml, cpu) against the weight-bandwidth bound. Providers
# that are missing or fail to start are listed with the reason. Temporary files are removed at exit.
#
#   bash bench/gpu.sh [--layers 2] [--providers cuda,cpu] [--gpu-bandwidth GB/s] [--bus-width BITS] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv,noheader || true
fi
# A hard stop at 8 minutes; bench/gpu.ts itself skips remaining steps after --budget-s (450 s).
if command -v timeout >/dev/null 2>&1; then
  exec timeout --signal=TERM 480 npx tsx bench/gpu.ts "$@"
fi
exec npx tsx bench/gpu.ts "$@"
