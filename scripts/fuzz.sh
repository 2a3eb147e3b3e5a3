#!/usr/bin/env bash
# Fuzzes one SanReid target with SharpFuzz + AFL++ for N minutes (at the lowest CPU priority), then prints the figures.
#   scripts/fuzz.sh imaging 30     # SanReid.Imaging CropDecoder (every accepted format), seeds in fuzz/corpus/imaging
#   scripts/fuzz.sh forms 30       # the Api's multipart form reader, seeds in fuzz/corpus/forms
#   scripts/fuzz.sh imaging cmin   # minimise the fuzzer's queue (afl-cmin) into fuzz/corpus/imaging, to commit
#   scripts/fuzz.sh imaging seeds  # regenerate the seed files (one small file per accepted format) into fuzz/corpus/imaging
# Installs afl++ (Debian package) and the sharpfuzz tool (fuzz/dotnet-tools.json) when missing. Work files live in
# fuzz/out/TARGET (ignored): bin/ (the instrumented build) and findings/ (AFL's output; a later run resumes it).
# Crashes (exceptions that would be a 500, see the target's Program.cs) land in fuzz/out/TARGET/findings/default/crashes,
# hangs in .../hangs; replay one with: dotnet fuzz/out/TARGET/bin/TARGET.Fuzz.dll --run FILE
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh imaging|forms MINUTES|cmin|seeds}
action=${2:?usage: scripts/fuzz.sh imaging|forms MINUTES|cmin|seeds}
case "$target" in
  imaging) project=fuzz/Imaging.Fuzz; name=Imaging.Fuzz
           # SanReid.Imaging and the library that parses every header.
           instrument=(SanReid.Imaging.dll SixLabors.ImageSharp.dll); dict=()
           # 60 s: the target's child process warms up (decodes every seed once) within its first execution.
           timeout_ms=60000 ;;
  forms)   project=fuzz/Forms.Fuzz; name=Forms.Fuzz
           # The Api only: the framework's multipart parser ships ReadyToRun (mixed-mode), which sharpfuzz cannot
           # instrument; it still runs on every input, guided by the Api's branches and the multipart dictionary.
           instrument=(SanReid.Api.dll); dict=(-x fuzz/Forms.Fuzz/multipart.dict); timeout_ms=10000 ;;
  *) echo "fuzz: unknown target '$target' (imaging or forms)" >&2; exit 2 ;;
esac
out=fuzz/out/$target
corpus=fuzz/corpus/$target
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v afl-fuzz >/dev/null; then
  echo "fuzz: installing afl++"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
(cd fuzz && dotnet tool restore >/dev/null)

build() {
  echo "fuzz: building and instrumenting $name"
  rm -rf "$out/bin"
  nice -n 15 dotnet publish "$project" -c Release -nologo -v:q -clp:ErrorsOnly -o "$out/bin"
  for dll in "${instrument[@]}"; do
    (cd fuzz && dotnet sharpfuzz "../$out/bin/$dll" >/dev/null)
  done
}

# AFL++ runs `dotnet TARGET.dll`, which is not an instrumented ELF: skip that check. The machine is shared, so no core
# pinning, no CPU-governor check and no core_pattern requirement.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
run=("$(command -v dotnet)" "$out/bin/$name.dll")

case "$action" in
  seeds)
    build
    "${run[@]}" --seeds "$corpus"
    ls -l "$corpus" ;;
  cmin)
    [[ -d "$out/bin" ]] || build
    queue="$out/findings/default/queue"
    [[ -d "$queue" ]] || { echo "fuzz: no queue in $queue: fuzz first" >&2; exit 1; }
    rm -rf "$out/cmin"
    # The committed corpus and the queue together, reduced to the smallest set with the same coverage.
    mkdir -p "$out/cmin-in"; cp "$corpus"/* "$queue"/id:* "$out/cmin-in/" 2>/dev/null || true
    nice -n 19 afl-cmin -i "$out/cmin-in" -o "$out/cmin" -t "$timeout_ms" -m none -- "${run[@]}" >/dev/null
    # Named files (the seeds, crash-* regressions) stay as they are; then the smallest of the minimised set, short
    # stable names (AFL's carry ':' and a mutation history), while the corpus stays under 1.5 MB and 600 new files
    # (the imaging coverage is unstable, so afl-cmin keeps thousands).
    rm -rf "$out/cmin-in"; find "$corpus" -type f -name '*:*' -delete; find "$corpus" -type f -regextype posix-extended -regex '.*/[0-9a-f]{16}' -delete
    total=$(du -cb "$corpus"/* | tail -1 | cut -f1); n=0
    while read -r size f; do
      (( total + size > 1500000 || n >= 600 )) && break
      cp "$f" "$corpus/$(sha1sum "$f" | cut -c1-16)"; total=$((total + size)); n=$((n + 1))
    done < <(find "$out/cmin" -type f -printf '%s %p\n' | sort -n)
    echo "fuzz: $(ls "$corpus" | wc -l) files, $(du -sh "$corpus" | cut -f1) in $corpus" ;;
  *)
    [[ "$action" =~ ^[0-9]+$ ]] || { echo "fuzz: MINUTES must be a whole number" >&2; exit 2; }
    build
    mkdir -p "$out"
    # AFL_AUTORESUME: a second run continues the findings of the first (its queue, crashes and hangs) instead of refusing.
    AFL_AUTORESUME=1 nice -n 19 afl-fuzz -i "$corpus" -o "$out/findings" -t "$timeout_ms" -m none -V $((action * 60)) "${dict[@]}" \
      -- "${run[@]}" > "$out/afl.log" 2>&1 || { tail -30 "$out/afl.log" >&2; exit 1; }
    stats="$out/findings/default/fuzzer_stats"
    echo "fuzz: $target, $action minutes; totals of $stats (all runs so far):"
    grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg|stability)\b' "$stats"
    echo "crashes: $(ls "$out/findings/default/crashes" 2>/dev/null | grep -c '^id' || true), hangs: $(ls "$out/findings/default/hangs" 2>/dev/null | grep -c '^id' || true)" ;;
esac
