#!/usr/bin/env bash
# Downloads the binary version of CIFAR-10 or CIFAR-100 into DIR, for `--data cifar10:DIR` or
# `cifar100:DIR`.
#
#   scripts/get_data.sh cifar10|cifar100 DIR
#
# The official archive is downloaded with curl (CIFAR_BASE_URL overrides where from), checked
# against its published MD5 and only the expected files are extracted into DIR. An archive already
# in DIR is checked and used without downloading, which is the way in on a machine with no network.
set -euo pipefail

usage() { echo "usage: $0 cifar10|cifar100 DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
kind=$1
dir=$2
base_url=${CIFAR_BASE_URL:-https://www.cs.toronto.edu/~kriz}

case "$kind" in
  cifar10)
    archive=cifar-10-binary.tar.gz
    md5=c32a1d4ab5d03f1284b67883e8d87530
    folder=cifar-10-batches-bin
    files=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin
           test_batch.bin batches.meta.txt)
    ;;
  cifar100)
    archive=cifar-100-binary.tar.gz
    md5=03b5dce01913d631647c71ecec9e9cb8
    folder=cifar-100-binary
    files=(train.bin test.bin fine_label_names.txt coarse_label_names.txt)
    ;;
  *) usage ;;
esac

have_all=1
for f in "${files[@]}"; do [ -f "$dir/$f" ] || have_all=0; done
if [ "$have_all" = 1 ]; then
  echo "get_data: $kind is already in $dir"
  exit 0
fi

mkdir -p "$dir"
if [ ! -f "$dir/$archive" ]; then
  echo "get_data: downloading $base_url/$archive"
  if ! curl -fL --connect-timeout 20 --retry 2 -o "$dir/$archive.part" "$base_url/$archive"; then
    rm -f "$dir/$archive.part"
    cat >&2 <<EOF
get_data: could not download $base_url/$archive (no network?).
Do it by hand: on a machine with internet access download
  $base_url/$archive
(its MD5 must be $md5) and put it at
  $dir/$archive
then run this script again, which checks and extracts it. Or unpack it yourself into $dir
(tar -xzf $archive -C $dir), so that $dir/$folder/ holds
  ${files[*]}
EOF
    exit 1
  fi
  mv "$dir/$archive.part" "$dir/$archive"
fi

actual=$(md5sum "$dir/$archive" | cut -d' ' -f1)
if [ "$actual" != "$md5" ]; then
  echo "get_data: MD5 mismatch for $dir/$archive: got $actual, expected $md5." >&2
  echo "The file is damaged or not the official archive: delete it and run this script again." >&2
  exit 1
fi

# Only the expected members, whatever else the archive holds; then moved up out of its folder.
tmp=$(mktemp -d "$dir/.extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
members=()
for f in "${files[@]}"; do members+=("$folder/$f"); done
tar -xzf "$dir/$archive" -C "$tmp" "${members[@]}"
for f in "${files[@]}"; do mv "$tmp/$folder/$f" "$dir/$f"; done
rm -f "$dir/$archive"
echo "get_data: $kind ready in $dir (${files[*]})"
