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
