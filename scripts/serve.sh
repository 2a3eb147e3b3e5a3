#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, creates the default model, and serves the re-ID API on
# http://localhost:8080 (Swagger UI at /swagger). Extra arguments go to the Api, e.g.
#   scripts/serve.sh --SanReid:Model:Path=/abs/path/my-encoder.onnx
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/ensure-model.sh
# Idle OpenMP threads spinning in FAISS take the cores from the threads doing the work: PASSIVE made FAISS batch
# search 3-6x faster on 2 cores (bench/IndexBench). Results do not change. Left alone if the environment set it.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# Local quick start: gallery writes without an API key, unless the environment says otherwise. A deployment sets
# SanReid__Auth__ApiKeys__0 (or KeySha256) and leaves this false (see src/Api/README.md, "API keys").
# A key configured in the environment or on the command line means writes need it: anonymous writes stay off then.
if [[ -z ${SanReid__Auth__AllowAnonymousWrites:-} ]]; then
  if env | grep -qE '^SanReid__Auth__(ApiKeys|KeySha256)' || [[ " $* " == *"SanReid:Auth:ApiKeys"* || " $* " == *"SanReid:Auth:KeySha256"* ]]; then
    export SanReid__Auth__AllowAnonymousWrites=false
  else
    export SanReid__Auth__AllowAnonymousWrites=true
  fi
fi
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://0.0.0.0:8080}"
if [[ " $* " == *" --urls "* || " $* " == *" --urls="* ]]; then
  echo "serve: listening where --urls says (Swagger UI at /swagger, metrics at /metrics); anonymous gallery writes: $SanReid__Auth__AllowAnonymousWrites"
else
  echo "serve: listening on $ASPNETCORE_URLS (Swagger UI at /swagger, metrics at /metrics); anonymous gallery writes: $SanReid__Auth__AllowAnonymousWrites"
fi
exec dotnet run --project src/Api -c Release --no-build --no-launch-profile -- "$@"
