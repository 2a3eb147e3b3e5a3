#!/usr/bin/env bash
# Proof that SAN training learns, on synthetic data generated here (issue 4, "Proof that it learns").
# CPU-sized (2 shared cores): resnet18, ImageNet-initialised; SAN-PG at 64x32 (configs/proof.json), re-ID at 128x64
# (configs/proof-reid.json; the 64x64 pseudo textures are upsampled to 128x128 by the reader). Steps:
#   1. synth pit + synth reid (held-out test identities)   2. SAN-PG on PIT pairs: held-out L1 vs mean-texture L1
#   3. pseudo textures of the re-ID train set               4. eval ImageNet init, train baseline, train san, eval
#   5. export the trained encoders (parity checked)         6. eval ImageNet and trained encoders on ../shared/data/market-mini
# Usage: scripts/prove-san.sh [WORK_DIR]   (default /tmp/sanreid-proof). Sizes can be changed with the env variables below.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
W=${1:-/tmp/sanreid-proof}
PIT_TEXTURES=${PIT_TEXTURES:-150}
PIT_POSES=${PIT_POSES:-8}
TRAIN_IDS=${TRAIN_IDS:-80}
TEST_IDS=${TEST_IDS:-40}
EPOCHS=${EPOCHS:-10}
PG_EPOCHS=${PG_EPOCHS:-14}
PG_CONFIG=${PG_CONFIG:-$REPO/configs/proof.json}    # SAN-PG at 64x32
CONFIG=${CONFIG:-$REPO/configs/proof-reid.json}   # baseline and san at 128x64
MINI=${MINI:-$REPO/../shared/data/market-mini}
H=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['height'])" "$CONFIG")
WD=$((H / 2))
# libtorch spins its OpenMP threads; on a shared, oversubscribed CPU one thread ran SAN-PG 10x faster than two
# (14.3 vs 1.4 images/s at load average 12 on 2 cores). Override with OMP_NUM_THREADS=N on a machine of your own.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
dotnet build src/Trainer -c Release -nologo -v q >/dev/null
T="$REPO/src/Trainer/bin/Release/net10.0/sanreid-train"
mkdir -p "$W/results"
step() { echo; echo "== $(date +%T) $*"; }

[[ -d "$W/pit" ]] || { step "synth pit $PIT_TEXTURES x $PIT_POSES"; "$T" synth pit --out "$W/pit" --textures "$PIT_TEXTURES" --poses "$PIT_POSES" --seed 11; }
[[ -d "$W/reid" ]] || { step "synth reid $TRAIN_IDS train / $TEST_IDS test ids"; "$T" synth reid --out "$W/reid" --train-ids "$TRAIN_IDS" --test-ids "$TEST_IDS" --seed 12; }
[[ -f "$W/imagenet-r18.safetensors" ]] || { step "import-imagenet"; "$T" import-imagenet --out "$W/imagenet-r18.safetensors"; }

# Steps whose output exists are skipped (delete $W/pg or $W/reid-pseudo to redo them); training runs always restart.
if [[ ! -f "$W/pg/decoder.safetensors" ]]; then
  step "train-pg (SAN-PG, L1 only)"
  rm -rf "$W/pg" "$W/reid-pseudo"
  "$T" train-pg --config "$PG_CONFIG" --pairs "$W/pit" --init "$W/imagenet-r18.safetensors" --out "$W/pg" --epochs "$PG_EPOCHS"
fi
tail -n 1 "$W/pg/metrics.jsonl" > "$W/results/pg-last-epoch.json"

if [[ ! -d "$W/reid-pseudo" ]]; then
  step "textures (pseudo ground truth for the re-ID train set)"
  "$T" textures --pg "$W/pg" --data "$W/reid" --out "$W/reid-pseudo"
fi

step "eval ImageNet-initialised encoder on the synthetic test ids"
"$T" eval --weights "$W/imagenet-r18.safetensors" --data "$W/reid" --height $H --width $WD --json "$W/results/synth-imagenet.json"

rm -rf "$W/baseline" "$W/san"
step "train --mode baseline"
"$T" train --mode baseline --config "$CONFIG" --data "$W/reid" --init "$W/imagenet-r18.safetensors" --out "$W/baseline" --epochs "$EPOCHS"
step "train --mode san"
"$T" train --mode san --config "$CONFIG" --data "$W/reid" --textures "$W/reid-pseudo" --init "$W/imagenet-r18.safetensors" --out "$W/san" --epochs "$EPOCHS"

for run in baseline san; do
  step "eval $run (synthetic test ids, with and without flip TTA)"
  "$T" eval --weights "$W/$run/encoder.safetensors" --data "$W/reid" --height $H --width $WD --json "$W/results/synth-$run.json" --ranked-list "$W/results/synth-$run-ranked.png"
  "$T" eval --weights "$W/$run/encoder.safetensors" --data "$W/reid" --height $H --width $WD --flip --json "$W/results/synth-$run-flip.json"
  step "export $run (ONNX contract, parity on batches 1, 2, 7)"
  "$T" export --backbone resnet18 --weights "$W/$run/encoder.safetensors" --out "$W/results/sanreid-synth-$run.onnx" --trained-for-reid \
    --training-data "synthetic re-ID ($TRAIN_IDS ids, scripts/prove-san.sh), ${H}x${WD}" --scores "see $W/results/synth-$run.json"
done

if [[ -d "$MINI" ]]; then
  for size in "256 128" "$H $WD"; do
    set -- $size
    step "eval ImageNet init on market-mini at $1x$2"
    "$T" eval --weights "$W/imagenet-r18.safetensors" --data "$MINI" --height "$1" --width "$2" --json "$W/results/mini-imagenet-$1x$2.json"
  done
  for run in baseline san; do
    step "eval $run on market-mini at ${H}x${WD}"
    "$T" eval --weights "$W/$run/encoder.safetensors" --data "$MINI" --height $H --width $WD --json "$W/results/mini-$run-${H}x${WD}.json" --ranked-list "$W/results/mini-$run-ranked.png"
  done
else
  echo "market-mini not found at $MINI; skipped"
fi

step "summary"
python3 - "$W/results" <<'PY'
import json, sys, glob, os
d = sys.argv[1]
pg = json.load(open(os.path.join(d, "pg-last-epoch.json")))
print(f"SAN-PG held-out L1 {pg['eval']['heldOutL1']:.4f} vs mean-texture L1 {pg['eval']['meanTextureL1']:.4f}")
for f in sorted(glob.glob(os.path.join(d, "*.json"))):
    if f.endswith("pg-last-epoch.json") or f.endswith(".card.json"): continue
    r = json.load(open(f))
    print(f"{os.path.basename(f):32s} rank-1 {r['rank1']:.4f} rank-5 {r['rank5']:.4f} mAP {r['mAP']:.4f} mINP {r['mINP']:.4f} skipped {r['skippedQueries']}")
PY
