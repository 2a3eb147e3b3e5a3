#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds, creates the default model, runs every test project.
# Prints one closing line "N passed, N failed, N skipped" summed over the projects.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/ensure-model.sh
# One style (.editorconfig): whitespace, usings and the style rules at severity warning; prints what to fix.
if ! dotnet format SanReid.sln --verify-no-changes --no-restore -v q; then
  echo "test: the code is not formatted as .editorconfig says; run: dotnet format SanReid.sln" >&2
  exit 1
fi
log=$(mktemp)
set +e
dotnet test SanReid.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# VSTest's per-assembly summary: "Passed!  - Failed:     0, Passed:    12, Skipped:     1, Total:    13, ..."
read -r passed failed skipped < <(awk -F'[,:]' '/ - Failed: /{
    for (i = 1; i <= NF; i++) { gsub(/ /, "", $i) }
    for (i = 1; i < NF; i++) { if ($i ~ /Failed$/) f += $(i+1); if ($i == "Passed") p += $(i+1); if ($i == "Skipped") s += $(i+1) }
  } END { print p+0, f+0, s+0 }' "$log")
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [[ $rc -eq 0 && $passed -eq 0 ]]; then echo "test: no test ran" >&2; exit 1; fi
exit "$rc"
