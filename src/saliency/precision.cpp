#include "smartcrop/precision.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace smartcrop {

namespace {

// The first CPU's flags in /proc/cpuinfo (they speak for all); empty if unreadable.
std::set<std::string> cpuinfo_flags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::string flag;
    while (words >> flag) flags.insert(flag);
    break;
  }
  return flags;
}

// Returns 1 or 0 if /proc/cpuinfo could be read, -1 if not.
int cpuinfo_has_bf16() {
  const std::set<std::string> flags = cpuinfo_flags();
  if (flags.empty()) return -1;
  return flags.count("avx512_bf16") + flags.count("amx_bf16") > 0 ? 1 : 0;
}

bool cpuid_has_bf16() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  // Leaf 7 subleaf 1: EAX bit 5 is AVX512_BF16. Leaf 7 subleaf 0: EDX bit 22 is AMX-BF16.
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 5))) return true;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (edx & (1u << 22))) return true;
#endif
  return false;
}

}  // namespace

std::string precision_name(Precision precision) {
  switch (precision) {
    case Precision::Auto: return "auto";
    case Precision::Fp32: return "fp32";
    case Precision::Bf16: return "bf16";
    case Precision::Fp16: return "fp16";
    case Precision::Tf32: return "tf32";
  }
  return "?";
}

bool cpu_has_native_bf16() {
  // /proc/cpuinfo first: the kernel clears flags it cannot support (AVX-512 state).
  static const bool native = [] {
    const int from_proc = cpuinfo_has_bf16();
    return from_proc >= 0 ? from_proc == 1 : cpuid_has_bf16();
  }();
  return native;
}

bool cpu_has_avx512() {
  static const bool has = [] {
    const std::set<std::string> flags = cpuinfo_flags();
    for (const char* flag : {"avx512f", "avx512bw", "avx512vl", "avx512dq", "fma"}) {
      if (flags.count(flag) == 0) return false;
    }
    return true;
  }();
  return has;
}

Precision resolve_precision(Precision requested) {
  if (requested != Precision::Auto) return requested;
  return cpu_has_native_bf16() ? Precision::Bf16 : Precision::Fp32;
}

// Debian's libtorch 1.13 carries AVX-512 builds of its own kernels (softmax, GELU,
// LayerNorm, casts; the matrix products are oneDNN's and choose for themselves) but
// runs the AVX2 ones unless ATEN_CPU_CAPABILITY says otherwise: its cpuinfo does not
// see AVX-512 on the development machine's Zen 5. With AVX-512 the fp32 forward took
// 4% less time there, bf16 the same (docs/PERFORMANCE.md). Torch reads the variable at
// its first kernel call, so this must run before any; a user's own setting is kept.
void prefer_avx512_kernels() {
  if (std::getenv("ATEN_CPU_CAPABILITY") == nullptr && cpu_has_avx512()) setenv("ATEN_CPU_CAPABILITY", "avx512", 0);
}

int available_cores() {
  // The cores this process may run on (cgroup/taskset aware), not the machine's.
  cpu_set_t set;
  const int cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                                 : static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, cores);
}

}  // namespace smartcrop
