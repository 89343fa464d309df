#!/usr/bin/env bash
# Makes the embedded default dataset, data/embedded/cifar10-lt-mini: a small long-tailed subset of
# CIFAR-10, copied as the original JPEG files from the JPEG copy of CIFAR-10 in shared/data.
#
#   scripts/make_embedded_subset.sh [cifar10-jpg.tar.gz] [output folder]
#
# Train: class i of the 10 (alphabetical = CIFAR-10 label order) keeps
# floor(300 * (1/100)^(i/9)) images, the LDAM-DRW exponential profile at imbalance ratio 100:
# 300, 179, 107, 64, 38, 23, 13, 8, 5, 3 (740 images). Test: 100 images of every class.
# The images are the first ones of each class folder in name order, so a rerun gives the same files.
# `folder:data/embedded/cifar10-lt-mini` reads the result; with --imbalance 1 it stays as it is.
set -euo pipefail

src=${1:-../shared/data/cifar10-jpg.tar.gz}
out=${2:-data/embedded/cifar10-lt-mini}
n_max=300
ratio=100
n_test=100

[ -f "$src" ] || { echo "make_embedded_subset: $src not found" >&2; exit 1; }
export LC_ALL=C  # byte order for sort, whatever the locale
names=$(mktemp)
chosen=$(mktemp)
trap 'rm -f "$names" "$chosen"' EXIT
tar -tzf "$src" | grep -E '^(train|test)/[^/]+/[^/]+\.jpg$' | sort > "$names"

mapfile -t classes < <(cut -d/ -f2 "$names" | sort -u)
[ "${#classes[@]}" -eq 10 ] || { echo "make_embedded_subset: expected 10 classes in $src" >&2; exit 1; }

for i in "${!classes[@]}"; do
  class=${classes[$i]}
  # awk's ^ is C's pow and %d truncates: the same double arithmetic as LDAM's int(n * f**(i/(C-1))).
  n_train=$(awk -v n="$n_max" -v r="$ratio" -v i="$i" 'BEGIN { printf "%d", n * (1 / r) ^ (i / 9) }')
  for split in train test; do
    n=$([ "$split" = train ] && echo "$n_train" || echo "$n_test")
    have=$(grep -c "^$split/$class/" "$names" || true)
    [ "$have" -ge "$n" ] || { echo "make_embedded_subset: $split/$class has only $have images" >&2; exit 1; }
    grep "^$split/$class/" "$names" | awk -v n="$n" 'NR <= n' >> "$chosen"
  done
  echo "$class: $n_train train, $n_test test"
done

# The archive's layout, {train,test}/<class>/NNNN.jpg, is the image-folder layout: extract into place.
rm -rf "$out"
mkdir -p "$out"
tar -xzf "$src" -C "$out" -T "$chosen"
echo "wrote $out: $(find "$out" -name '*.jpg' | wc -l) images, $(du -sh --apparent-size "$out" | cut -f1) (apparent size)"
