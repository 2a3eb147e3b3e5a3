#!/usr/bin/env bash
# Creates the encoders the service can serve, when they are absent or older than what makes them:
#  - models/sanreid-resnet18-imagenet.onnx (+ .card.json): the ImageNet ResNet-18 shipped in the NuGet package
#    Microsoft.ML.DnnImageFeaturizer.ResNet18, imported into the TorchSharp SA-Enc and exported through the Trainer's
#    ONNX exporter (with its parity check). It is NOT trained for re-ID: see models/README.md. The Api tests use it.
#  - models/sanreid-resnet18-synth-int8.onnx: the default model quantized to int8 (sanreid-train quantize), see below.
#  - models/<stem>.onnx for every committed models/<stem>.fp16.safetensors (compact trained weights, with
#    models/<stem>.card-facts.json): `default-model --weights`, a few seconds, no download.
# Which one the Api serves is SanReid:Model:Path (src/Api/appsettings.json). Expects scripts/setup.sh to have built
# the solution.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p obj
exec 9>obj/.ensure-model.lock
flock 9
TRAIN=(dotnet run --project src/Trainer -c Release --no-build --)

# True when $1 (a model card) is missing or older than the code that makes models, or than any further file given.
stale() {
  local card=$1; shift
  [[ ! -f "$card" ]] && return 0
  [[ -n "$(find src/Trainer/Model src/Trainer/Weights src/Trainer/Export src/Trainer/Cli/DefaultModelCommand.cs \
      -newer "$card" -name '*.cs' -print -quit)" ]] && return 0
  local f
  for f in "$@"; do [[ "$f" -nt "$card" ]] && return 0; done
  return 1
}

MODEL=models/sanreid-resnet18-imagenet.onnx
if [[ ! -f "$MODEL" ]] || stale "${MODEL%.onnx}.card.json"; then
  echo "ensure-model: creating $MODEL"
  "${TRAIN[@]}" default-model --out "$MODEL"
fi

shopt -s nullglob
for weights in models/*.fp16.safetensors; do
  stem=${weights%.fp16.safetensors}
  if [[ ! -f "$stem.card-facts.json" ]]; then
    echo "ensure-model: $weights has no $stem.card-facts.json (sanreid-train compact writes it); skipped" >&2
    continue
  fi
  if [[ ! -f "$stem.onnx" ]] || stale "$stem.card.json" "$weights" "$stem.card-facts.json"; then
    echo "ensure-model: creating $stem.onnx from $weights"
    "${TRAIN[@]}" default-model --weights "$weights" --out "$stem.onnx"
  fi
done

# The default model's int8 twin (docs/quantization.md): `quantize` calibrates on synthetic people (made once under
# data/calibration/, never the real crops it is checked on) and writes the model only when it agrees with fp32.
DEFAULT=models/sanreid-resnet18-synth.onnx
INT8=${DEFAULT%.onnx}-int8.onnx
CALIBRATION=data/calibration/synth-reid-50ids-seed7
if [[ -f "$DEFAULT" ]] && stale "${INT8%.onnx}.card.json" "$DEFAULT"; then
  if [[ ! -d "$CALIBRATION/bounding_box_train" ]]; then
    echo "ensure-model: synthesising calibration crops in $CALIBRATION"
    rm -rf "$CALIBRATION"
    "${TRAIN[@]}" synth reid --out "$CALIBRATION" --train-ids 50 --test-ids 5 --seed 7 >/dev/null
  fi
  echo "ensure-model: creating $INT8 (int8, calibrated on $CALIBRATION)"
  "${TRAIN[@]}" quantize --model "$DEFAULT" --calibration "$CALIBRATION" --out "$INT8"
fi
