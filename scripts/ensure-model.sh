#!/usr/bin/env bash
# Creates the default encoder models/sanreid-resnet18-imagenet.onnx (+ .card.json) when it is absent:
# the ImageNet ResNet-18 shipped in the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18, imported into the
# TorchSharp SA-Enc and exported through the Trainer's ONNX exporter (with its parity check).
# It is NOT trained for re-ID: see models/README.md. Expects scripts/setup.sh to have built the solution.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=models/sanreid-resnet18-imagenet.onnx
mkdir -p obj
exec 9>obj/.ensure-model.lock
flock 9
CARD="${MODEL%.onnx}.card.json"
# Rebuilt when absent, or when the code that makes it (model, import, export, default-model) is newer than it.
if [[ -f "$MODEL" && -f "$CARD" ]] && [[ -z "$(find src/Trainer/Model src/Trainer/Weights src/Trainer/Export \
      src/Trainer/Cli/DefaultModelCommand.cs -newer "$CARD" -name '*.cs' -print -quit)" ]]; then
  exit 0
fi
echo "ensure-model: creating $MODEL"
dotnet run --project src/Trainer -c Release --no-build -- default-model --out "$MODEL"
