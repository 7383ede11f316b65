# GPU backend library, included by ../CMakeLists.txt for MSV_BACKEND=cuda or hip. Expects MSV_FAMILIES and
# MSV_API_SOURCES from there. The same .cu sources build with nvcc (libmambaserve_cuda.so) and with the HIP
# toolchain (libmambaserve_hip.so); common/vendor.h maps the CUDA names when MSV_HIP is defined.
#
#   cmake -S src/Native -B build/cuda -DMSV_BACKEND=cuda [-DMSV_CUDA_ARCHITECTURES="80;90"]
#   cmake -S src/Native -B build/hip  -DMSV_BACKEND=hip  [-DMSV_HIP_ARCHITECTURES="gfx90a;gfx942;gfx1100"]
#
# HIP: CMake's HIP language when a ROCm clang is found; otherwise configure with -DCMAKE_CXX_COMPILER=hipcc and
# the kernels are compiled as C++ with `-x hip`. Debian 12's ROCm 5.2 needs the hipcc route: CMake 3.25 looks for
# hip-lang-config.cmake under /usr/lib/cmake, where Debian installs it under /usr/lib/x86_64-linux-gnu/cmake.

# A family without GPU kernels (its <family>_{fp32,fp16,bf16}.cu absent) is answered by gpu/gpu_backend.cpp alone.
set(MSV_GPU_SOURCES)
foreach(family IN LISTS MSV_FAMILIES)
  foreach(dt fp32 fp16 bf16)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${family}/${family}_${dt}.cu)
      list(APPEND MSV_GPU_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/${family}/${family}_${dt}.cu)
    endif()
  endforeach()
endforeach()
set(MSV_GPU_HOST_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/gpu/gpu_backend.cpp)
# The model on the device (issue 9): model/model_gpu*.cu kernels and model/model_gpu*.cpp host code, over the
# vendor BLAS (common/blas.h).
file(GLOB MSV_MODEL_GPU_KERNELS ${CMAKE_CURRENT_SOURCE_DIR}/model/model_gpu*.cu)
file(GLOB MSV_MODEL_GPU_HOST ${CMAKE_CURRENT_SOURCE_DIR}/model/model_gpu*.cpp)
list(APPEND MSV_GPU_SOURCES ${MSV_MODEL_GPU_KERNELS})
list(APPEND MSV_GPU_HOST_SOURCES ${MSV_MODEL_GPU_HOST})

if(MSV_BACKEND STREQUAL "cuda")
  set(MSV_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures (CMAKE_CUDA_ARCHITECTURES form)")
  set(CMAKE_CUDA_ARCHITECTURES ${MSV_CUDA_ARCHITECTURES})
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  set(MSV_GPU_LIBRARY mambaserve_cuda)
  add_library(mambaserve_cuda SHARED ${MSV_API_SOURCES} ${MSV_GPU_HOST_SOURCES} ${MSV_GPU_SOURCES})
  set_target_properties(mambaserve_cuda PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON
                        CUDA_VISIBILITY_PRESET hidden CUDA_RUNTIME_LIBRARY Static)
  # Line info costs nothing at run time and lets compute-sanitizer / ncu point at source lines.
  target_compile_options(mambaserve_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-lineinfo -Xptxas=-warn-spills>)
  # cuBLAS for the projections of many rows; the toolkit's include directories for the host sources too.
  target_link_libraries(mambaserve_cuda PRIVATE CUDA::cublas)
elseif(MSV_BACKEND STREQUAL "hip")
  set(MSV_HIP_ARCHITECTURES "gfx90a;gfx942;gfx1100" CACHE STRING "AMD GPU targets (--offload-arch)")
  set(MSV_GPU_LIBRARY mambaserve_hip)
  include(CheckLanguage)
  if(NOT CMAKE_CXX_COMPILER MATCHES "hipcc")
    check_language(HIP)
  endif()
  if(CMAKE_HIP_COMPILER)
    set(CMAKE_HIP_ARCHITECTURES ${MSV_HIP_ARCHITECTURES})
    enable_language(HIP)
    set_source_files_properties(${MSV_GPU_SOURCES} PROPERTIES LANGUAGE HIP)
    add_library(mambaserve_hip SHARED ${MSV_API_SOURCES} ${MSV_GPU_HOST_SOURCES} ${MSV_GPU_SOURCES})
    set_target_properties(mambaserve_hip PROPERTIES HIP_STANDARD 17 HIP_VISIBILITY_PRESET hidden)
  elseif(CMAKE_CXX_COMPILER MATCHES "hipcc")
    set(msv_offload)
    foreach(arch IN LISTS MSV_HIP_ARCHITECTURES)
      list(APPEND msv_offload --offload-arch=${arch})
    endforeach()
    set_source_files_properties(${MSV_GPU_SOURCES} PROPERTIES LANGUAGE CXX COMPILE_OPTIONS "-x;hip;${msv_offload}")
    # hipcc compiles every .cpp as HIP (host and device) unless told otherwise; the reference and API sources are
    # plain host C++ (and x86-only constructs there, such as function multiversioning, fail for the GPU target).
    target_compile_options(mambaserve_ref PRIVATE -x c++)
    set_source_files_properties(${MSV_API_SOURCES} ${MSV_GPU_HOST_SOURCES} PROPERTIES COMPILE_OPTIONS "-x;c++")
    add_library(mambaserve_hip SHARED ${MSV_API_SOURCES} ${MSV_GPU_HOST_SOURCES} ${MSV_GPU_SOURCES})
    target_link_options(mambaserve_hip PRIVATE ${msv_offload})
  else()
    message(FATAL_ERROR "MSV_BACKEND=hip needs CMake's HIP language (a ROCm clang) or -DCMAKE_CXX_COMPILER=hipcc")
  endif()
  target_compile_definitions(mambaserve_hip PUBLIC MSV_HIP=1)
  # hipBLAS (over rocBLAS) for the projections of many rows: its CMake package where ROCm installs one, else the
  # library and header found directly (Debian's packages).
  find_package(hipblas CONFIG QUIET)
  if(TARGET roc::hipblas)
    target_link_libraries(mambaserve_hip PRIVATE roc::hipblas)
  else()
    find_library(MSV_HIPBLAS_LIBRARY hipblas REQUIRED)
    find_path(MSV_HIPBLAS_INCLUDE NAMES hipblas/hipblas.h hipblas.h)
    target_link_libraries(mambaserve_hip PRIVATE ${MSV_HIPBLAS_LIBRARY})
    if(MSV_HIPBLAS_INCLUDE)
      target_include_directories(mambaserve_hip PRIVATE ${MSV_HIPBLAS_INCLUDE})
    endif()
  endif()
endif()

target_include_directories(${MSV_GPU_LIBRARY} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR})
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang" AND NOT APPLE)
  # A missing definition fails the link, not the first P/Invoke.
  target_link_options(${MSV_GPU_LIBRARY} PRIVATE -Wl,--no-undefined)
endif()
