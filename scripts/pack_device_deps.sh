#!/usr/bin/env bash
# Packs what scripts/device_check.sh needs on a machine with no Debian packages and no network (the
# project's GPU machines) into .device/, which git ignores and the device tool carries:
#   .device/deps.tar.xz        include/ (doctest, stb_image, CLI11, nlohmann-json, zlib, OpenBLAS's
#                              cblas.h) and lib/ (the OpenMP OpenBLAS and what it loads, libz)
#   .device/cifar10-jpg.tar.gz the CIFAR-10 JPEGs from ../shared/data, if they are there
# Run it here after `make deps`.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/include/stb" "$stage/lib" .device
cp -r /usr/include/doctest /usr/include/CLI /usr/include/nlohmann "$stage/include/"
cp /usr/include/stb/stb_image.h /usr/include/stb/stb_image_write.h "$stage/include/stb/"
cp /usr/include/zlib.h /usr/include/zconf.h "$stage/include/"
blas_inc=$(ls -d /usr/include/x86_64-linux-gnu/openblas-openmp)
cp "$blas_inc"/*.h "$stage/include/"
blas_lib=$(ls -d /usr/lib/x86_64-linux-gnu/openblas-openmp)
cp -L "$blas_lib/libopenblas.so.0" "$stage/lib/"
ln -s libopenblas.so.0 "$stage/lib/libopenblas.so"
for so in libgfortran.so.5 libquadmath.so.0 libz.so.1; do cp -L "/lib/x86_64-linux-gnu/$so" "$stage/lib/"; done
ln -s libz.so.1 "$stage/lib/libz.so"
tar -C "$stage" -cJf .device/deps.tar.xz include lib
[ -f ../shared/data/cifar10-jpg.tar.gz ] && cp ../shared/data/cifar10-jpg.tar.gz .device/
ls -la .device
