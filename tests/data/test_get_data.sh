#!/usr/bin/env bash
# Checks scripts/get_data.sh's failure paths without a network: a download that fails (pointed at a
# URL that cannot exist) must say which file to put where, and an archive whose MD5 is wrong must be
# refused. Run from the repository root: bash tests/data/test_get_data.sh
set -uo pipefail

script=scripts/get_data.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

expect() {  # expect NAME WANTED_RC PATTERN -- command...
  local name=$1 want_rc=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$want_rc" ] || ! grep -qF -- "$pattern" <<<"$out"; then
    echo "FAIL $name: rc $rc (wanted $want_rc), output:"
    echo "$out" | sed 's/^/  /'
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

expect "usage" 2 "usage:" -- bash "$script" cifar1000 "$tmp/x"

expect "offline download" 1 "$tmp/c10/cifar-10-binary.tar.gz" -- \
  env CIFAR_BASE_URL=file:///nonexistent-bcl-mirror bash "$script" cifar10 "$tmp/c10"
[ -e "$tmp/c10/cifar-10-binary.tar.gz.part" ] && { echo "FAIL offline download left a .part file"; failures=$((failures + 1)); }

mkdir -p "$tmp/c100"
echo "not the archive" > "$tmp/c100/cifar-100-binary.tar.gz"
expect "MD5 mismatch" 1 "MD5 mismatch" -- bash "$script" cifar100 "$tmp/c100"
[ -e "$tmp/c100/train.bin" ] && { echo "FAIL MD5 mismatch extracted files"; failures=$((failures + 1)); }

mkdir -p "$tmp/done"
for f in train.bin test.bin fine_label_names.txt coarse_label_names.txt; do touch "$tmp/done/$f"; done
expect "already there" 0 "already in" -- bash "$script" cifar100 "$tmp/done"

[ "$failures" -eq 0 ] && echo "get_data.sh: all checks passed" || echo "get_data.sh: $failures failed"
exit $((failures > 0))
