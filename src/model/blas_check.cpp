#include <dlfcn.h>

#include <fstream>
#include <string>

#include "attention_model.hpp"

namespace smartcrop {

bool using_reference_blas() {
  // OpenBLAS exports openblas_get_config; BLIS and MKL export their own markers.
  for (const char* symbol : {"openblas_get_config", "bli_info_get_version_str", "mkl_get_max_threads"}) {
    if (dlsym(RTLD_DEFAULT, symbol) != nullptr) return false;
  }
  // Otherwise look at what libblas.so.3 resolved to: Debian's reference BLAS lives in .../blas/.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  bool any_blas = false;
  while (std::getline(maps, line)) {
    if (line.find("libblas.so") == std::string::npos && line.find("libopenblas") == std::string::npos) continue;
    any_blas = true;
    if (line.find("openblas") != std::string::npos || line.find("blis") != std::string::npos) return false;
  }
  return any_blas;
}

}  // namespace smartcrop
