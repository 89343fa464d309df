# BCL: a from-scratch deep-learning framework for long-tailed recognition.
#
#   make               library, apps and tests into build/ (CPU, optimised, OpenMP)
#   make CUDA=1        also compiles the .cu kernels with nvcc and links cuBLAS/cuDNN (in build-cuda/)
#   make test          builds and runs the doctest suite (build/run_tests)
#   make demo          the main job: ResNet-32, ce vs bs, on the embedded CIFAR-10-LT subset
#   make deps          installs the Debian packages the build needs (only what is missing)
#   make SANITIZE=1 test   the suite under ASan and UBSan (in build-sanitize/)
#   make lint          cppcheck over the sources;  make format / make format-check

CXX      ?= g++
CUDA     ?= 0
SANITIZE ?= 0
WERROR   ?= 0
BUILD    ?= build
# Each configuration keeps its own objects: the Makefile does not track flags.
ifeq ($(SANITIZE),1)
  BUILD := build-sanitize
endif
ifeq ($(CUDA),1)
  BUILD := $(BUILD)-cuda
endif
comma := ,

DEB_PACKAGES := doctest-dev libstb-dev libopenblas-openmp-dev libcli11-dev nlohmann-json3-dev zlib1g-dev

# Instruction sets. Kernels for sets beyond AVX2 live in files of their own, compiled for that set
# alone (AVX512_FLAGS below), and are reached only through the dispatch tables, which pick a
# variant after host_isa() has found the set on the running CPU (tensor/dispatch.h). The generic
# code is still built for the build machine (-march=native) by default: the portable target,
# `make ARCH_FLAGS=-march=x86-64-v3` (AVX2, FMA, BMI1/2, F16C, MOVBE; one binary for the AVX2 and
# the AVX-512 machines), measured 5-7% slower on the AVX-512 machine while it has no AVX-512
# kernels (docs/performance.md, "Runtime CPU dispatch"), and becomes the default once they exist.
# Other architectures (aarch64) get the compiler's default target.
ifneq ($(filter x86_64-%,$(shell $(CXX) -dumpmachine)),)
  ARCH_FLAGS       ?= -march=native
  AVX512_FLAGS     ?= -mavx512f -mavx512bw -mavx512vl -mavx512dq
  AVX512BF16_FLAGS ?= $(AVX512_FLAGS) -mavx512bf16
else
  ARCH_FLAGS       ?=
  AVX512_FLAGS     :=
  AVX512BF16_FLAGS :=
endif

CXXFLAGS := -std=c++17 -O3 $(ARCH_FLAGS) -fopenmp -Wall -Wextra -MMD -MP -I. -fPIC
LDFLAGS  := -fopenmp
LDLIBS   := -lopenblas -lz -lpthread -lm
ifeq ($(WERROR),1)
  CXXFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
  CXXFLAGS := $(filter-out -O3,$(CXXFLAGS)) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS  += -fsanitize=address,undefined
endif

# OpenBLAS, its OpenMP build: it shares our OpenMP thread pool and runs single-threaded when
# called inside a parallel region. The pthread build (Debian's default libopenblas.so) runs its
# own pool, and its threads fight ours for the two cores (tens of times slower here).
# Both can be given on the command line (scripts/device_check.sh does, on a machine without the
# Debian packages); EXTRA_INC and EXTRA_LIB add folders of headers and libraries the same way.
BLAS_DIR ?= $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp))
BLAS_INC ?= $(firstword $(wildcard /usr/include/x86_64-linux-gnu/openblas-openmp /usr/include/aarch64-linux-gnu/openblas-openmp /usr/include/openblas))
ifneq ($(BLAS_INC),)
  CXXFLAGS += -I$(BLAS_INC)
endif
ifneq ($(BLAS_DIR),)
  LDLIBS := -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) $(LDLIBS)
endif
EXTRA_INC ?=
EXTRA_LIB ?=
ifneq ($(EXTRA_INC),)
  CXXFLAGS += -isystem $(EXTRA_INC)
endif
ifneq ($(EXTRA_LIB),)
  LDLIBS := -L$(EXTRA_LIB) -Wl,-rpath,$(EXTRA_LIB) $(LDLIBS)
endif

LIB_DIRS := tensor tensor/kernels autograd nn data losses
LIB_SRCS := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.cpp))
APP_SRCS := $(wildcard apps/*.cpp)
# The training layer (train/: the loop, evaluation, metrics, report, run files) is its own archive.
TRAIN_LIB_SRCS := $(wildcard train/*.cpp)
TEST_SRCS := $(shell find tests -name '*.cpp' 2>/dev/null)

# ---- CUDA: nvcc from PATH, the toolkit's folder from nvcc ------------------------------------
NVCC := $(shell command -v nvcc 2>/dev/null)
CUDA_HOME ?= $(if $(NVCC),$(patsubst %/bin/nvcc,%,$(realpath $(NVCC))),)
CU_SRCS :=
ifeq ($(CUDA),1)
  ifeq ($(NVCC),)
    $(error CUDA=1 but nvcc is not on the PATH)
  endif
  CUDNN_INC ?= $(firstword $(dir $(wildcard $(CUDA_HOME)/include/cudnn.h /usr/local/include/cudnn.h /usr/include/cudnn.h /usr/include/x86_64-linux-gnu/cudnn.h)))
  CUDNN_LIB ?= $(firstword $(dir $(wildcard $(CUDA_HOME)/lib64/libcudnn.so /usr/local/lib/libcudnn.so /usr/lib/x86_64-linux-gnu/libcudnn.so $(CUDNN_LIB_DIR)/libcudnn.so*)))
  CU_SRCS   := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.cu))
  CXXFLAGS  += -DBCL_CUDA -I$(CUDA_HOME)/include $(if $(CUDNN_INC),-I$(CUDNN_INC))
  NVCCFLAGS := -std=c++17 -O3 -I. -I$(CUDA_HOME)/include $(if $(CUDNN_INC),-I$(CUDNN_INC)) -DBCL_CUDA \
               $(if $(EXTRA_INC),-isystem $(EXTRA_INC)) \
               -Xcompiler -fPIC,-Wall,-Wextra --expt-relaxed-constexpr -MMD -MP \
               -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90
  LDLIBS    += -L$(CUDA_HOME)/lib64 $(if $(CUDNN_LIB),-L$(CUDNN_LIB)) -lcudnn -lcublas -lcudart \
               -Wl,-rpath,$(CUDA_HOME)/lib64 $(if $(CUDNN_LIB),-Wl$(comma)-rpath$(comma)$(CUDNN_LIB))
endif

LIB_OBJS  := $(LIB_SRCS:%.cpp=$(BUILD)/obj/%.o) $(CU_SRCS:%.cu=$(BUILD)/obj/%.cu.o)
# The augmentation code (data/augment_draws.h, augment_pixels.h) writes fma() where a fused
# multiply-add is meant and rounds every other product on its own, so its files must not let the
# compiler contract a * b + c: then the CPU loader, the batched CPU kernels and the CUDA kernels
# round alike at any optimisation level. Every file that calls those headers' functions is listed,
# so that no copy of an inline function compiled with contraction can stand in for them at link.
AUGMENT_OBJS := $(addprefix $(BUILD)/obj/,$(patsubst %.cpp,%.o,$(wildcard data/augment*.cpp \
                data/color_ops.cpp data/auto_augment.cpp data/image_ops.cpp data/gpu_views.cpp \
                tests/data/test_augment*.cpp tests/data/test_gpu*.cpp tests/data/test_cuda_augment*.cpp)))
$(AUGMENT_OBJS): CXXFLAGS += -ffp-contract=off
$(BUILD)/obj/data/augment_batch.cu.o: NVCCFLAGS += --fmad=false
APP_BINS  := $(APP_SRCS:apps/%.cpp=$(BUILD)/%)
TEST_OBJS := $(TEST_SRCS:%.cpp=$(BUILD)/obj/%.o)
LIB       := $(BUILD)/libbcl.a
TRAIN_LIB := $(BUILD)/libbcltrain.a
TRAIN_LIB_OBJS := $(TRAIN_LIB_SRCS:%.cpp=$(BUILD)/obj/%.o)
# Kernels register themselves in static initialisers: link the whole archive.
LINK_LIB  := -Wl,--whole-archive $(LIB) -Wl,--no-whole-archive

.PHONY: all test demo deps lint format format-check clean info
all: info $(LIB) $(APP_BINS) $(BUILD)/run_tests

info:
	@echo "bcl build: CUDA=$(if $(filter 1,$(CUDA)),on ($(CUDA_HOME)),off$(if $(NVCC), (nvcc found; make CUDA=1 to use it),))" \
	      "cuDNN=$(if $(filter 1,$(CUDA)),$(if $(CUDNN_LIB),$(CUDNN_LIB),not found),-)" \
	      "OpenMP=on BLAS=OpenBLAS$(if $(BLAS_DIR), (OpenMP build: $(BLAS_DIR)), (system default; make deps installs the OpenMP build)) SANITIZE=$(SANITIZE)"

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

# ---- Files for one instruction set: name_avx512.cpp (Isa::AVX512: F, BW, VL, DQ) and
# name_avx512bf16.cpp (Isa::AVX512_BF16: those and BF16) get that set's flags on top of ARCH_FLAGS.
# The hazard is the linker's: inline functions and template instances (std::fill, a header's
# helper, Buffer<float>) are emitted in every file that uses them as weak symbols, and the linker
# keeps one copy for all callers. If it kept the copy from an AVX-512 file, generic code on an
# AVX2 machine would run AVX-512 instructions (SIGILL), depending on link order. So, the rule:
#   - such a file defines no weak symbol: its own code sits in an anonymous namespace, its entry
#     points are plain functions declared in a header without inline code, and whatever it takes
#     from headers must be inlined away. The recipe checks the object with nm and fails the build,
#     listing them, if it defines any weak or unique symbol (except DW.ref.*, the exception
#     personality's address: the same data in every file);
#   - it registers nothing: static initialisers run on every CPU at start-up, before any dispatch.
#     A generic file registers its entry points into the tables at the file's Isa.
# Per-function target attributes would avoid the linker hazard, but g++ 12 does not extend them to
# lambdas and templates called from the function (it then refuses to inline intrinsics there);
# per-file flags keep the kernels plain C++. On other architectures these flags are empty: such
# files must compile to nothing there (#ifdef __AVX512F__).
define compile_for_isa
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(1) -c $< -o $@
	@weak=$$(nm -C --defined-only $@ | awk '$$2 ~ /^[VvWwu]$$/ && $$3 !~ /^DW.ref./'); \
	if [ -n "$$weak" ]; then \
	  echo "$@: defines weak symbols, which the linker could hand to generic callers (see the Makefile):"; \
	  echo "$$weak"; rm -f $@; exit 1; fi
endef
$(BUILD)/obj/%_avx512.o: %_avx512.cpp
	$(call compile_for_isa,$(AVX512_FLAGS))
$(BUILD)/obj/%_avx512bf16.o: %_avx512bf16.cpp
	$(call compile_for_isa,$(AVX512BF16_FLAGS))

$(BUILD)/obj/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(TRAIN_LIB): $(TRAIN_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%: apps/%.cpp $(LIB) $(TRAIN_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $< -o $@ $(LDFLAGS) $(TRAIN_LIB) $(LINK_LIB) $(LDLIBS)

$(BUILD)/run_tests: $(TEST_OBJS) $(LIB) $(TRAIN_LIB)
	$(CXX) $(TEST_OBJS) -o $@ $(LDFLAGS) $(TRAIN_LIB) $(LINK_LIB) $(LDLIBS)

# The sub-makes use every core unless the caller gave its own -j.
JOBS := $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc))

test: deps
	@$(MAKE) --no-print-directory $(JOBS) all
	$(BUILD)/run_tests

# Only what the demo runs is built, so the first `make demo` on a fresh machine stays short.
demo: deps
	@$(MAKE) --no-print-directory $(JOBS) $(BUILD)/bcl-train $(BUILD)/bcl-report
	BUILD=$(BUILD) scripts/demo.sh

# Installs only what is missing, so a second run does nothing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

FORMAT_FILES = $(shell git ls-files '*.cpp' '*.h' '*.cu' '*.cuh' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

lint:
	cppcheck --quiet --error-exitcode=1 --std=c++17 --language=c++ -I. \
	  --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem --suppress=unknownMacro \
	  $(LIB_DIRS) train apps

clean:
	rm -rf build build-sanitize

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
