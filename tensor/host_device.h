// BCL_HOST_DEVICE marks a function that CUDA kernels call as well as host code: __host__
// __device__ under nvcc, nothing for the host compiler.
#pragma once

#ifdef __CUDACC__
#define BCL_HOST_DEVICE __host__ __device__
#else
#define BCL_HOST_DEVICE
#endif
