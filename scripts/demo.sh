#!/usr/bin/env bash
# make demo: ResNet-32 on the embedded long-tailed CIFAR-10 subset (data/embedded/cifar10-lt-mini,
# 740 training images, from 300 down to 3 per class, 100 test images per class), trained with
# balanced softmax (bs) and with balanced contrastive learning (bcl: balanced softmax on one view,
# plus the BCL loss on two more views; alpha 2, beta 0.6, temperature 0.1), then compared.
# Outputs go to runs/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
EPOCHS=${EPOCHS:-8}
OUT=${OUT:-runs/demo}
common=(--data folder:data/embedded/cifar10-lt-mini --normalize cifar10 --model resnet32 --epochs "$EPOCHS"
        --batch-size 64 --lr 0.05 --wd 5e-4 --warmup-epochs 1 --schedule cosine --seed 0)
for method in bs bcl; do
  echo "== $method =="
  "$BUILD/bcl-train" "${common[@]}" --method "$method" --out "$OUT/$method"
done
echo
"$BUILD/bcl-report" --title "make demo: bs vs bcl on the embedded CIFAR-10-LT subset" \
  --run "bs=$OUT/bs" --run "bcl=$OUT/bcl" --out "$OUT/report.html"
