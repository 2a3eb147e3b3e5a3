#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, creates the default model, and serves the re-ID API on
# http://localhost:8080 (Swagger UI at /swagger). Extra arguments go to the Api, e.g.
#   scripts/serve.sh --SanReid:Model:Path=/abs/path/my-encoder.onnx
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/ensure-model.sh
# OpenBLAS 0.3.21 mis-detects some virtual CPUs as "Prescott" and runs FAISS's sgemm ~5x slower (DESIGN.md).
# Choose the kernel from the CPU flags, unless the environment already chose one.
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
  if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
  elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://0.0.0.0:8080}"
echo "serve: listening on $ASPNETCORE_URLS (Swagger UI at /swagger)"
exec dotnet run --project src/Api -c Release --no-build --no-launch-profile -- "$@"
