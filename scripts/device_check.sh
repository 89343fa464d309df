#!/usr/bin/env bash
# One command for a GPU machine (an H200 in this project's device sessions), within 8 minutes:
#
#   scripts/device_check.sh            # everything; results under $OUT, or ./device-out
#   scripts/device_check.sh --cpu-only # the same steps without a GPU (how CI-less machines check it)
#   TEST_FILTER='cuda/*' EPOCHS=3 BCL_EPOCHS=5 scripts/device_check.sh   # a shorter check
#
# 1. builds with CUDA=1, finding cuBLAS and cuDNN where that machine keeps them: the toolkit's
#    folders, or the Python wheels nvidia-cublas / nvidia-cudnn-cu13 (their .so files are searched
#    for, and linked through a folder of unversioned links);
# 2. runs the test suite (every CUDA op against its CPU twin); the worst CUDA-vs-CPU error per op
#    goes to cuda_errors.json;
# 3. runs bcl-bench on ResNet-32 for ce and bcl at batch 256 beside the same step in the machine's
#    PyTorch eager (scripts/bench_gpu_vs_pytorch.py): fp32, and for bcl also bcl-bench's
#    --precision bf16 beside PyTorch's channels_last with bf16 autocast, its fastest eager
#    setting: bench.json;
# 4. trains ResNet-32 with ce on CIFAR-10-LT (R = 100) on the GPU, the CPU budget protocol's
#    recipe (20 epochs, batch 128, lr 0.1, cosine): train.json;
# 5. trains BCL with the paper recipe (configs/cifar10_lt_r100_bcl.toml: batch 256, lr 0.15, warmup
#    5, step decay at 80% and 90% of the epochs, autoaug-cutout CE view, sim-sim) for BCL_EPOCHS
#    epochs (default 40, cut at BCL_TIMEOUT = 240 s; the paper's 200 do not fit in 8 minutes),
#    evaluating every 10: train_bcl.json with overall, many, medium and few accuracy and the wall
#    time. The views are made on the GPU (--data-on-device); BCL_TRAIN_FLAGS= (empty) uses the
#    CPU data loader instead, and BCL_PRECISION=bf16 trains in mixed precision.
#
# A machine without the Debian packages the build needs (doctest, stb, CLI11, nlohmann-json,
# OpenBLAS, zlib) and without network takes them from .device/deps.tar.xz, which
# scripts/pack_device_deps.sh makes on a machine that has them. The CIFAR-10 JPEGs come from
# .device/cifar10-jpg.tar.gz or ../shared/data/cifar10-jpg.tar.gz; without them step 4 uses the
# embedded subset. summary.json holds each step's status and figures.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/device-out}
mkdir -p "$OUT"
CPU_ONLY=0
[ "${1:-}" = "--cpu-only" ] && CPU_ONLY=1
if [ $CPU_ONLY = 0 ] && ! nvidia-smi -L >/dev/null 2>&1; then
  echo "device_check: no GPU found (nvidia-smi -L failed): running --cpu-only"
  CPU_ONLY=1
fi
JOBS=$(nproc)
WORK=${TMPDIR:-/tmp}/bcl-device-check
mkdir -p "$WORK"
STATUS=()  # "step=ok|failed" lines for summary.json
note() { echo "== $* ($(date -u +%H:%M:%S))"; }
step_status() { STATUS+=("\"$1\": \"$2\""); }

note "machine"
{
  uname -a; nproc; free -g | head -2
  nvidia-smi 2>&1 | head -15
  command -v nvcc && nvcc --version | tail -2
  g++ --version | head -1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1
} 2>&1 | tee "$WORK/machine.txt"

# ---- 1. dependencies and build ------------------------------------------------------------------
note "dependencies"
MAKEVARS=()
missing=""
for h in doctest/doctest.h CLI/CLI.hpp nlohmann/json.hpp stb/stb_image.h zlib.h; do
  [ -f "/usr/include/$h" ] || missing="$missing $h"
done
ls /usr/include/cblas.h /usr/include/*/cblas.h /usr/include/*/*/cblas.h >/dev/null 2>&1 || missing="$missing cblas.h"
if [ -n "$missing" ]; then
  echo "missing:$missing"
  if [ -f .device/deps.tar.xz ]; then
    rm -rf "$WORK/deps" && mkdir -p "$WORK/deps" && tar -xJf .device/deps.tar.xz -C "$WORK/deps"
    MAKEVARS+=(EXTRA_INC="$WORK/deps/include" EXTRA_LIB="$WORK/deps/lib"
               BLAS_INC="$WORK/deps/include" BLAS_DIR="$WORK/deps/lib")
    # OpenBLAS's own dependencies (libgfortran) are not covered by the binaries' RUNPATH.
    export LD_LIBRARY_PATH="$WORK/deps/lib:${LD_LIBRARY_PATH:-}"
    echo "using the carried headers and OpenBLAS in .device/deps.tar.xz"
  else
    echo "the build's Debian packages are missing: run make deps, or carry .device/deps.tar.xz"
  fi
fi

BUILD_DIR=build
if command -v nvcc >/dev/null 2>&1; then
  BUILD_DIR=build-cuda
  CUDA_HOME=$(dirname "$(dirname "$(realpath "$(command -v nvcc)")")")
  # Python wheels keep the libraries as nvidia/<lib>/lib/lib*.so.N, with no unversioned name for
  # the linker: a folder of links gives it one.
  SITE=$(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)
  find_lib() {  # the first $1 (a glob) in the toolkit, then the wheels
    find "$CUDA_HOME/lib64/" "$CUDA_HOME/lib/" /usr/lib/x86_64-linux-gnu/ -maxdepth 1 -name "$1" 2>/dev/null | head -1 | grep . ||
      for s in $SITE; do find "$s/nvidia" -name "$1" 2>/dev/null; done | head -1
  }
  LINKS="$WORK/cuda-links"
  rm -rf "$LINKS" && mkdir -p "$LINKS"
  for lib in cudnn cublas cublasLt; do
    f=$(find_lib "lib$lib.so") || f=$(find_lib "lib$lib.so.*")
    if [ -n "$f" ]; then
      ln -sf "$f" "$LINKS/lib$lib.so"
      echo "lib$lib: $f"
      # the wheels' other cuDNN parts (libcudnn_ops, _cnn, ...) sit beside it: load them from there
      export LD_LIBRARY_PATH="$(dirname "$f"):${LD_LIBRARY_PATH:-}"
    else
      echo "lib$lib: not found"
    fi
  done
  CUDNN_H=$( (ls "$CUDA_HOME"/include/cudnn.h /usr/include/cudnn.h /usr/local/include/cudnn.h 2>/dev/null;
              for s in $SITE; do find "$s/nvidia" -name cudnn.h 2>/dev/null; done) | head -1)
  echo "cudnn.h: ${CUDNN_H:-not found}"
  MAKEVARS+=(CUDA=1 CUDA_HOME="$CUDA_HOME" CUDNN_LIB="$LINKS" ${CUDNN_H:+CUDNN_INC="$(dirname "$CUDNN_H")"})
fi
note "build ($BUILD_DIR, $JOBS jobs)"
if make -j"$JOBS" "${MAKEVARS[@]}" all > "$OUT/build.log" 2>&1; then
  step_status build ok
else
  step_status build failed
  tail -40 "$OUT/build.log"
fi
BIN=$ROOT/$BUILD_DIR
DEVICE=cuda
[ $CPU_ONLY = 1 ] && DEVICE=cpu

# ---- 2. the test suite ----------------------------------------------------------------------------
note "tests"
if [ -x "$BIN/run_tests" ]; then
  BCL_CUDA_ERRORS_JSON="$OUT/cuda_errors.json" timeout 240 "$BIN/run_tests" ${TEST_FILTER:+-tc="$TEST_FILTER"} \
    > "$OUT/tests.log" 2>&1
  rc=$?
  tail -4 "$OUT/tests.log"
  grep -B2 -A12 "ERROR:" "$OUT/tests.log" | head -150
  [ $rc = 0 ] && step_status tests ok || step_status tests "failed (exit $rc)"
else
  step_status tests "not built"
fi

# ---- 3. bcl-bench beside PyTorch --------------------------------------------------------------------
note "bench"
if [ $CPU_ONLY = 1 ]; then BATCH=32 STEPS=3 WARMUP=1; else BATCH=256 STEPS=30 WARMUP=5; fi
{
  echo "{"
  first=1
  for method in ce bcl; do
    [ $first = 1 ] || echo ","
    first=0
    b=$(timeout 120 "$BIN/bcl-bench" --device $DEVICE --model resnet32 --method $method \
          --batch-size $BATCH --epochs 1 --steps $STEPS --warmup $WARMUP 2>>"$OUT/bench.err" | tail -1)
    p=$(timeout 120 python3 scripts/bench_gpu_vs_pytorch.py --device $DEVICE --method $method \
          --batch-size $BATCH --steps $STEPS --warmup $WARMUP 2>>"$OUT/bench.err" | tail -1)
    echo "  \"$method\": {\"bcl\": ${b:-null}, \"pytorch\": ${p:-null}}"
  done
  # bcl's mixed precision (--precision bf16: bf16 convolutions, float32 elsewhere) beside
  # PyTorch's channels_last bf16 autocast.
  b=$(timeout 120 "$BIN/bcl-bench" --device $DEVICE --model resnet32 --method bcl --precision bf16 \
        --batch-size $BATCH --epochs 1 --steps $STEPS --warmup $WARMUP 2>>"$OUT/bench.err" | tail -1)
  echo ", \"bcl_bf16\": ${b:-null}"
  if [ $CPU_ONLY = 0 ]; then
    p=$(timeout 120 python3 scripts/bench_gpu_vs_pytorch.py --device $DEVICE --method bcl \
          --batch-size $BATCH --steps $STEPS --warmup $WARMUP --channels-last --bf16 2>>"$OUT/bench.err" | tail -1)
    echo ", \"bcl_pytorch_channels_last_bf16\": ${p:-null}"
  fi
  echo "}"
} > "$OUT/bench.json"
cat "$OUT/bench.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT/bench.json" 2>/dev/null &&
  step_status bench ok || step_status bench "failed (see bench.err)"

# ---- 4. a short CIFAR-10-LT run on the GPU -----------------------------------------------------------
note "train"
DATA=folder:data/embedded/cifar10-lt-mini
for tgz in .device/cifar10-jpg.tar.gz ../shared/data/cifar10-jpg.tar.gz; do
  if [ -f "$tgz" ]; then
    rm -rf "$WORK/cifar10-jpg" && mkdir -p "$WORK" && tar -xzf "$tgz" -C "$WORK" &&
      DATA=folder:$(dirname "$(find "$WORK" -maxdepth 3 -type d -name train | head -1)")
    break
  fi
done
if [ $CPU_ONLY = 1 ]; then EPOCHS=${EPOCHS:-1}; else EPOCHS=${EPOCHS:-20}; fi
[ "$DATA" = folder:data/embedded/cifar10-lt-mini ] && IMB=1 || IMB=100
rm -rf "$WORK/run-ce"
start=$(date +%s)
timeout 200 "$BIN/bcl-train" --device $DEVICE --data "$DATA" --imbalance $IMB --model resnet32 \
  --method ce --epochs "$EPOCHS" --batch-size 128 --lr 0.1 --wd 5e-4 --warmup-epochs 1 \
  --schedule cosine --eval-every "$EPOCHS" --workers "$JOBS" --out "$WORK/run-ce" > "$OUT/train.log" 2>&1
rc=$?
seconds=$(( $(date +%s) - start ))
tail -5 "$OUT/train.log"
if [ $rc = 0 ] && [ -f "$WORK/run-ce/metrics.json" ]; then
  python3 - "$WORK/run-ce/metrics.json" "$DATA" "$EPOCHS" "$seconds" "$DEVICE" > "$OUT/train.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
keep = {k: m[k] for k in ("overall", "many", "medium", "few", "train_seconds", "epochs") if k in m}
print(json.dumps({"data": sys.argv[2], "epochs": int(sys.argv[3]), "wall_seconds": int(sys.argv[4]),
                  "device": sys.argv[5], "metrics": keep}, indent=1))
EOF
  cat "$OUT/train.json"
  step_status train ok
else
  step_status train "failed (exit $rc)"
fi

# ---- 5. BCL with the paper recipe ----------------------------------------------------------------------
note "train bcl"
if [ $CPU_ONLY = 1 ]; then BCL_EPOCHS=${BCL_EPOCHS:-1}; else BCL_EPOCHS=${BCL_EPOCHS:-40}; fi
M1=$(( BCL_EPOCHS * 4 / 5 )); M2=$(( BCL_EPOCHS * 9 / 10 ))
[ $M1 -ge 1 ] || M1=1
MILESTONES="$M1,$M2"
[ $M2 -gt $M1 ] || MILESTONES=$M1
WARM=5; [ $WARM -lt $BCL_EPOCHS ] || WARM=0
EVERY=10; [ $EVERY -le $BCL_EPOCHS ] || EVERY=$BCL_EPOCHS
rm -rf "$WORK/run-bcl"
start=$(date +%s)
timeout ${BCL_TIMEOUT:-240} "$BIN/bcl-train" --config configs/cifar10_lt_r100_bcl.toml --device $DEVICE \
  --data "$DATA" --imbalance $IMB --epochs "$BCL_EPOCHS" --warmup-epochs $WARM \
  --milestones "$MILESTONES" --eval-every $EVERY --workers "$JOBS" ${BCL_TRAIN_FLAGS---data-on-device} \
  --precision "${BCL_PRECISION:-fp32}" \
  --out "$WORK/run-bcl" > "$OUT/train_bcl.log" 2>&1
rc=$?
seconds=$(( $(date +%s) - start ))
tail -5 "$OUT/train_bcl.log"
# A run cut by the timeout still reports its evaluations so far (log.jsonl).
python3 - "$WORK/run-bcl" "$DATA" "$BCL_EPOCHS" "$seconds" "$DEVICE" "$rc" > "$OUT/train_bcl.json" <<'EOF'
import json, os, sys
run, data, epochs, wall, device, rc = sys.argv[1:]
out = {"data": data, "recipe": "configs/cifar10_lt_r100_bcl.toml", "epochs": int(epochs),
       "precision": os.environ.get("BCL_PRECISION", "fp32"),
       "wall_seconds": int(wall), "device": device, "exit": int(rc)}
if os.path.exists(run + "/metrics.json"):
    m = json.load(open(run + "/metrics.json"))
    out["metrics"] = {k: m[k] for k in ("overall", "many", "medium", "few", "train_seconds")
                      if k in m}
    out["geometry"] = {k: v for k, v in m.get("geometry", {}).items() if not isinstance(v, list)}
if os.path.exists(run + "/log.jsonl"):
    rows = [json.loads(l) for l in open(run + "/log.jsonl") if l.strip()]
    out["epochs_done"] = len(rows)
    out["seconds_per_epoch"] = [round(r["seconds"], 2) for r in rows]
    out["evaluations"] = [{k: r[k] for k in ("epoch", "test_overall", "test_many", "test_medium",
                                              "test_few")}
                          for r in rows if r["test_overall"] is not None]
print(json.dumps(out, indent=1))
EOF
cat "$OUT/train_bcl.json"
[ $rc = 0 ] && step_status train_bcl ok || step_status train_bcl "failed (exit $rc)"

# ---- summary ----------------------------------------------------------------------------------------
{
  echo "{\"device\": \"$DEVICE\", \"build_dir\": \"$BUILD_DIR\","
  ( IFS=,; echo "${STATUS[*]}" )
  echo "}"
} > "$OUT/summary.json"
note "summary"
cat "$OUT/summary.json"
grep -q failed "$OUT/summary.json" && exit 1
exit 0
