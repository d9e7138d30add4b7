# Checks on the LibTorch that find_package(Torch) found, and one line saying which.

# Torch_DIR is where its TorchConfig.cmake was found: say so, for a build against a
# LibTorch that is not the system's.
message(STATUS "LibTorch ${Torch_VERSION} (${Torch_DIR})")

# LibTorch builds made with the pre-C++11 string ABI (pip's torch before 2.7, the
# "Pre-cxx11 ABI" libtorch download) cannot share std::string with Debian's OpenCV,
# spdlog and fmt: the plugin would fail to link with undefined symbols. Say so here.
if("${TORCH_CXX_FLAGS}" MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR "LibTorch at ${Torch_DIR} was built with the pre-C++11 ABI "
    "(_GLIBCXX_USE_CXX11_ABI=0), and smartcrop links this system's OpenCV, spdlog and fmt, built "
    "with the C++11 ABI. Use a LibTorch built with the C++11 ABI (the 'cxx11 ABI' libtorch "
    "download, pip's torch 2.7 or later), or build with -DSMARTCROP_WITH_DINO=OFF.")
endif()

# TorchConfig.cmake finds its libraries through Caffe2's config, searched in the system
# folders before its own: with -DTorch_DIR alone, another LibTorch's headers would be
# compiled against the system LibTorch's libraries. -DCMAKE_PREFIX_PATH finds both.
get_filename_component(_smartcrop_torch_configs "${Torch_DIR}" DIRECTORY)
get_filename_component(_smartcrop_caffe2_configs "${Caffe2_DIR}" DIRECTORY)
if(Caffe2_DIR AND NOT _smartcrop_torch_configs STREQUAL _smartcrop_caffe2_configs)
  message(FATAL_ERROR "LibTorch's CMake files from ${Torch_DIR} found Caffe2's (its libraries) in "
    "${Caffe2_DIR}, another LibTorch. Give the LibTorch's prefix instead: "
    "-DCMAKE_PREFIX_PATH=<the folder holding its lib/ and include/>, or add -DCaffe2_DIR="
    "${_smartcrop_torch_configs}/Caffe2.")
endif()
