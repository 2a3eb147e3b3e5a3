#!/usr/bin/env bash
# Installs what SanReid needs on a fresh Debian 12 (or Ubuntu) machine that has only the .NET SDK:
# Debian packages for the FAISS shim (libfaiss-dev, BLAS/LAPACK, OpenMP, cmake, g++), PostgreSQL 15 (tests of the
# PostgreSQL gallery) and Chromium with its WebDriver (browser tests of the search page), then restores and builds
# the solution (the Index project builds its native shim with cmake as part of `dotnet build`).
# Safe to run again: every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# postgresql-15: the PostgreSQL gallery backend's tests start throwaway clusters with its initdb and pg_ctl.
# chromium + chromium-driver: the search page's browser tests (tests/Api.Tests/SearchPageBrowserTests) drive them headless.
APT_PACKAGES=(libfaiss-dev libopenblas-dev liblapack-dev libomp-dev cmake g++ make postgresql-15 chromium chromium-driver)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "setup: building SanReid.sln (Release)"
# Both quick-start commands build the same tree: a lock keeps two of them from building at once.
mkdir -p obj
exec 9>obj/.setup.lock
flock 9
dotnet build SanReid.sln -c Release -nologo -clp:ErrorsOnly -v:q
