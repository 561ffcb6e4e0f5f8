#!/usr/bin/env bash
# After train.py ends: export, convert into the app's model folder, parity fixtures, evaluation,
# model card. Run from the repository root.
set -euo pipefail
CKPT=${CKPT:-training/out/run/final.pt}
MODEL=resources/models/diffcoder-mini
PY=/usr/bin/python3
$PY training/export.py --ckpt "$CKPT" --out training/out/hf
npm run -s cli -- convert training/out/hf "$MODEL" --dtype fp32 --default-gen-length 128
$PY training/make_fixtures.py --model training/out/hf --out test/fixtures/parity.json
$PY training/evaluate.py --model training/out/hf --out training/out/eval
cp training/out/eval/loss_curve.png "$MODEL/loss_curve.png"
$PY training/write_model_card.py --model-dir "$MODEL"
du -sh "$MODEL"
