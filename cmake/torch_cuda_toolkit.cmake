# Before find_package(Torch): a LibTorch built with CUDA (pip's torch with CUDA, Debian 13's
# libtorch-cuda-dev) has CMake files that need the CUDA toolkit, its compiler nvcc among it.
# Without it Caffe2's config stops inside find_package with "Your installed Caffe2 version
# uses CUDA but I cannot find the CUDA libraries", which names neither the LibTorch nor what
# to install. Find the Caffe2 config find_package would read, and stop first, in one line.

# The Caffe2Config.cmake that find_package(Torch) would load: -DCaffe2_DIR, beside
# -DTorch_DIR, under each -DCMAKE_PREFIX_PATH (pip's torch.utils.cmake_prefix_path is
# .../torch/share/cmake), then the system's folders.
function(smartcrop_caffe2_config out)
  set(folders)
  if(Caffe2_DIR)
    list(APPEND folders "${Caffe2_DIR}")
  endif()
  if(Torch_DIR)
    list(APPEND folders "${Torch_DIR}/../Caffe2")
  endif()
  string(REPLACE ":" ";" env_prefixes "$ENV{CMAKE_PREFIX_PATH}")
  foreach(prefix IN LISTS CMAKE_PREFIX_PATH env_prefixes CMAKE_SYSTEM_PREFIX_PATH)
    foreach(suffix Caffe2 share/cmake/Caffe2 lib/cmake/Caffe2 lib/${CMAKE_LIBRARY_ARCHITECTURE}/cmake/Caffe2
                   lib64/cmake/Caffe2)
      list(APPEND folders "${prefix}/${suffix}")
    endforeach()
  endforeach()
  foreach(folder IN LISTS folders)
    if(EXISTS "${folder}/Caffe2Config.cmake")
      set(${out} "${folder}/Caffe2Config.cmake" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

smartcrop_caffe2_config(_smartcrop_caffe2_config)
if(_smartcrop_caffe2_config)
  file(STRINGS "${_smartcrop_caffe2_config}" _smartcrop_uses_cuda REGEX "set\\(CAFFE2_USE_CUDA ON\\)")
  if(_smartcrop_uses_cuda)
    # Where CMake's FindCUDAToolkit and FindCUDA look: CUDACXX or CMAKE_CUDA_COMPILER (the
    # compiler itself), the toolkit roots, /usr/local/cuda, then PATH.
    foreach(compiler "$ENV{CUDACXX}" "${CMAKE_CUDA_COMPILER}")
      if(NOT SMARTCROP_NVCC AND compiler AND EXISTS "${compiler}")
        set(SMARTCROP_NVCC "${compiler}" CACHE FILEPATH "nvcc, for a CUDA LibTorch's CMake files")
      endif()
    endforeach()
    find_program(SMARTCROP_NVCC nvcc
      HINTS "${CUDAToolkit_ROOT}/bin" "$ENV{CUDAToolkit_ROOT}/bin" "${CUDA_TOOLKIT_ROOT_DIR}/bin" "$ENV{CUDA_HOME}/bin"
            "$ENV{CUDA_PATH}/bin" /usr/local/cuda/bin)
    if(NOT SMARTCROP_NVCC)
      get_filename_component(_smartcrop_caffe2_dir "${_smartcrop_caffe2_config}" DIRECTORY)
      message(FATAL_ERROR "smartcrop: the LibTorch whose CMake files are in ${_smartcrop_caffe2_dir} was built "
        "with CUDA, and they need the CUDA toolkit's compiler nvcc, which was not found: install the Debian "
        "package nvidia-cuda-toolkit (non-free), or NVIDIA's CUDA toolkit with its bin/ on PATH "
        "(or -DCUDAToolkit_ROOT=<its folder>); or build against a CPU LibTorch, or with -DSMARTCROP_WITH_DINO=OFF.")
    endif()
    message(STATUS "LibTorch with CUDA: nvcc ${SMARTCROP_NVCC}")
  endif()
endif()
