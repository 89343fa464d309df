// The CUDA runtime glue: device discovery, the caching allocator of Device::CUDA, and copies
// between host and device through a pinned staging buffer.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "tensor/kernels/cuda_context.h"
#include "tensor/kernels/cuda_runtime.h"
#include "tensor/storage.h"

namespace bcl {
namespace cuda {
namespace {

// ---- The caching allocator ---------------------------------------------------------------------
//
// Freed blocks are kept in free lists keyed by their rounded size and handed out again for
// requests that round to the same size; only a size never seen before (or one whose blocks are all
// in use) calls cudaMalloc. A training step allocates the same sizes every time, so from the second
// step on there is no cudaMalloc and no cudaFree (which synchronises the whole device).
//
// Rounding: below 1 MiB to a multiple of 512 B, from 1 MiB on to a multiple of 2 MiB. Exact-size
// buckets (rather than powers of two) waste at most 511 B per small block and under 2 MiB per large
// one, i.e. a few per cent for the 10-100 MiB activations of a real batch where powers of two
// would waste up to half; the coarse 2 MiB step still lets nearby sizes (e.g. the smaller last
// batch of an epoch, or im2col buffers of similar layers) share blocks. Blocks are never split or
// merged, which keeps the bookkeeping a map of vectors.
//
// Reuse needs no events: every kernel, library call and copy runs on the one stream
// cuda::stream(), in the order the host issued it. A block freed by the host may still be read by
// queued work, but whoever gets it next can only use it through work queued after that, which
// the stream runs after the earlier work has finished.
constexpr size_t kSmallUnit = 512;
constexpr size_t kLargeFrom = size_t(1) << 20;
constexpr size_t kLargeUnit = size_t(2) << 20;

size_t round_size(size_t nbytes) {
  const size_t unit = nbytes < kLargeFrom ? kSmallUnit : kLargeUnit;
  return (nbytes + unit - 1) / unit * unit;
}

class CachingAllocator : public Allocator {
 public:
  // Zero bytes get no block (kernels never touch an empty tensor's data).
  void* allocate(size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    const size_t size = round_size(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    void* p = nullptr;
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      stats_.bytes_cached -= static_cast<int64_t>(size);
      ++stats_.cache_hits;
    } else {
      p = cuda_malloc(nbytes, size);
      ++stats_.cuda_mallocs;
    }
    stats_.bytes_in_use += static_cast<int64_t>(size);
    stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
    return p;
  }

  // Called from ~Storage, so it must not throw: a block that cannot be cached is freed instead.
  void deallocate(void* ptr, size_t nbytes) override {
    if (ptr == nullptr) return;
    const size_t size = round_size(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.bytes_in_use -= static_cast<int64_t>(size);
    try {
      free_[size].push_back(ptr);
      stats_.bytes_cached += static_cast<int64_t>(size);
    } catch (...) {
      quiet_free(ptr);
    }
  }

  CudaAllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_locked();
  }

 private:
  // cudaMalloc; when the GPU is full, the cached blocks are given back and it is tried once more.
  void* cuda_malloc(size_t nbytes, size_t size) {
    void* p = nullptr;
    cudaError_t status = cudaMalloc(&p, size);
    bool released = false;
    if (status == cudaErrorMemoryAllocation && stats_.bytes_cached > 0) {
      cudaGetLastError();  // clears the error, so that no later launch check reports it
      release_locked();
      released = true;
      status = cudaMalloc(&p, size);
    }
    if (status == cudaSuccess) return p;
    cudaGetLastError();
    std::string gpu_memory;
    size_t free_bytes = 0, total_bytes = 0;
    if (status == cudaErrorMemoryAllocation) {
      if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
        gpu_memory = detail::cat("; the GPU has ", free_bytes, " of ", total_bytes, " bytes free");
      } else {
        cudaGetLastError();
      }
    }
    BCL_CHECK(false, "CUDA error: cudaMalloc of ", nbytes, " bytes (", size,
              " rounded) failed: ", cudaGetErrorString(status), " (", cudaGetErrorName(status),
              "); ", stats_.bytes_in_use, " bytes in use by tensors",
              released ? ", cache released and retried" : "", gpu_memory);
    return nullptr;
  }

  // The cached blocks may still be read by queued work (see above): cudaFree synchronises the
  // device anyway, but waiting for the stream first makes that explicit.
  void release_locked() {
    if (free_.empty()) return;
    BCL_CUDA_CHECK(cudaStreamSynchronize(stream()));
    for (auto& [size, blocks] : free_) {
      while (!blocks.empty()) {
        BCL_CUDA_CHECK(cudaFree(blocks.back()));
        blocks.pop_back();
        stats_.bytes_cached -= static_cast<int64_t>(size);
        ++stats_.cuda_frees;
      }
    }
    free_.clear();
  }

  // At process exit the runtime may already be torn down when the last tensors die; that is
  // harmless and stays silent.
  static void quiet_free(void* ptr) {
    const cudaError_t status = cudaFree(ptr);
    if (status != cudaSuccess && status != cudaErrorCudartUnloading) {
      std::fprintf(stderr, "bcl: cudaFree failed: %s\n", cudaGetErrorString(status));
    }
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // rounded size -> free blocks
  CudaAllocatorStats stats_;
};

CachingAllocator& caching_allocator() {
  // Never destroyed: tensors held in static variables may be freed after static destructors ran.
  static CachingAllocator* allocator = new CachingAllocator;
  return *allocator;
}

// Installed during static initialisation; no CUDA call happens here, so a binary built with CUDA=1
// still starts on a machine without a GPU (allocating on Device::CUDA then fails with CUDA's
// error).
const bool cuda_allocator_installed = [] {
  set_allocator(Device::CUDA, &caching_allocator());
  return true;
}();

// ---- Host <-> device copies ---------------------------------------------------------------------
//
// DMA needs page-locked host memory: from pageable memory the driver copies through its own pinned
// buffer and the call blocks. So bytes to or from the host pass through one pinned staging buffer
// (cudaMallocHost), grown as needed up to kStagingCap and reused; larger copies go in chunks.
// Host to device returns once the last chunk is queued: the host may free its source at once
// (the bytes are in the staging buffer), and the event `in_flight_` marks when the buffer may be
// written again. Device to host waits for the stream before reading the buffer.
constexpr size_t kStagingCap = size_t(64) << 20;
constexpr size_t kStagingMin = size_t(1) << 20;

class Staging {
 public:
  void to_device(char* dst, const char* src, size_t nbytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t done = 0; done < nbytes;) {
      const size_t chunk = std::min(nbytes - done, kStagingCap);
      char* stage = reserve(chunk);
      if (stage == nullptr) {
        unstaged(dst + done, src + done, chunk, cudaMemcpyHostToDevice);
      } else {
        std::memcpy(stage, src + done, chunk);
        BCL_CUDA_CHECK(cudaMemcpyAsync(dst + done, stage, chunk, cudaMemcpyHostToDevice, stream()));
        BCL_CUDA_CHECK(cudaEventRecord(in_flight_, stream()));
        pending_ = true;
      }
      done += chunk;
    }
  }

  void to_host(char* dst, const char* src, size_t nbytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t done = 0; done < nbytes;) {
      const size_t chunk = std::min(nbytes - done, kStagingCap);
      char* stage = reserve(chunk);
      if (stage == nullptr) {
        unstaged(dst + done, src + done, chunk, cudaMemcpyDeviceToHost);
      } else {
        BCL_CUDA_CHECK(cudaMemcpyAsync(stage, src + done, chunk, cudaMemcpyDeviceToHost, stream()));
        // Also waits for the kernels that wrote src, and reports any error they hit.
        BCL_CUDA_CHECK(cudaStreamSynchronize(stream()));
        std::memcpy(dst + done, stage, chunk);
      }
      done += chunk;
    }
  }

  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    wait();
    if (buffer_ != nullptr) BCL_CUDA_CHECK(cudaFreeHost(buffer_));
    buffer_ = nullptr;
    capacity_ = 0;
  }

  size_t capacity() {
    std::lock_guard<std::mutex> lock(mutex_);
    return capacity_;
  }

 private:
  // Waits until no queued copy reads the buffer.
  void wait() {
    if (!pending_) return;
    BCL_CUDA_CHECK(cudaEventSynchronize(in_flight_));
    pending_ = false;
  }

  // A buffer of at least n (<= kStagingCap) bytes that the host may write, or nullptr when no
  // pinned memory can be had (the copy then goes unstaged).
  char* reserve(size_t n) {
    if (in_flight_ == nullptr) {
      BCL_CUDA_CHECK(cudaEventCreateWithFlags(&in_flight_, cudaEventDisableTiming));
    }
    wait();
    if (n <= capacity_) return buffer_;
    // Doubling, so that a run of growing copies reallocates only a few times.
    const size_t want = std::max({n, kStagingMin, std::min(kStagingCap, 2 * capacity_)});
    if (buffer_ != nullptr) BCL_CUDA_CHECK(cudaFreeHost(buffer_));
    buffer_ = nullptr;
    capacity_ = 0;
    void* p = nullptr;
    if (cudaMallocHost(&p, want) != cudaSuccess) {
      cudaGetLastError();
      return nullptr;
    }
    buffer_ = static_cast<char*>(p);
    capacity_ = want;
    return buffer_;
  }

  // Without pinned memory: a plain copy on the stream, waited for, so that the host buffer may be
  // reused or read when it returns.
  static void unstaged(char* dst, const char* src, size_t n, cudaMemcpyKind kind) {
    BCL_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, kind, stream()));
    BCL_CUDA_CHECK(cudaStreamSynchronize(stream()));
  }

  std::mutex mutex_;
  char* buffer_ = nullptr;
  size_t capacity_ = 0;
  cudaEvent_t in_flight_ = nullptr;  // recorded after the last copy that reads buffer_
  bool pending_ = false;             // whether that copy may still be running
};

Staging& staging() {
  static Staging* s = new Staging;  // never destroyed, like the allocator
  return *s;
}

}  // namespace

int device_count() {
  // Asked once: the answer cannot change while the process runs. A machine without a driver or a
  // GPU makes cudaGetDeviceCount fail; that only means "no GPU", so the error is read and cleared
  // (cudaGetLastError resets it) instead of being thrown.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      n = 0;
    }
    return n;
  }();
  return count;
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (nbytes == 0) return;
  const bool to_gpu = dst_device == Device::CUDA, from_gpu = src_device == Device::CUDA;
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  if (to_gpu && from_gpu) {
    BCL_CUDA_CHECK(cudaMemcpyAsync(d, s, nbytes, cudaMemcpyDeviceToDevice, stream()));
  } else if (to_gpu) {
    staging().to_device(d, s, nbytes);
  } else if (from_gpu) {
    staging().to_host(d, s, nbytes);
  } else {
    std::memcpy(d, s, nbytes);
  }
}

CudaAllocatorStats allocator_stats() {
  CudaAllocatorStats stats = caching_allocator().stats();
  stats.staging_bytes = static_cast<int64_t>(staging().capacity());
  return stats;
}

void release_cache() {
  caching_allocator().release();
  staging().release();
}

}  // namespace cuda
}  // namespace bcl
