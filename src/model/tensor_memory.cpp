#include "tensor_memory.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <type_traits>

#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>

namespace smartcrop {

namespace {

constexpr std::size_t kLarge = std::size_t{1} << 20;     // tensors from here on go to the pool
constexpr std::size_t kHugePage = std::size_t{2} << 20;  // x86-64 transparent huge page
constexpr std::size_t kMaxCached = std::size_t{1} << 30;  // free blocks kept beyond this are unmapped
constexpr std::size_t kHeader = 64;  // keeps the data 64-byte aligned, as Torch's own allocator does
constexpr std::uint64_t kSmall = 0x736d616c6c;  // "small"
constexpr std::uint64_t kPooled = 0x706f6f6c;   // "pool"

struct Block {
  void* base = nullptr;  // 2 MB aligned, `size` bytes
  std::size_t size = 0;
  std::uint64_t freed_at = 0;  // tick of the last release, for least-recently-used eviction
};

// Every allocation starts with this, kHeader bytes before the data Torch sees.
struct Header {
  std::uint64_t kind;
  Block* block;  // kPooled only
};

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

class Pool {
 public:
  void* take(std::size_t bytes) {
    const std::size_t want = round_up(bytes + kHeader, kHugePage);
    Block* block = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // The smallest kept block that fits, unless it would waste more than a quarter.
      auto it = free_.lower_bound(want);
      if (it != free_.end() && it->first <= want + want / 4) {
        block = it->second;
        free_.erase(it);
        stats_.cached_bytes -= block->size;
        ++stats_.reuses;
      }
    }
    if (block == nullptr) block = map_block(want);
    auto* header = static_cast<Header*>(block->base);
    header->kind = kPooled;
    header->block = block;
    return static_cast<char*>(block->base) + kHeader;
  }

  void give_back(Block* block) {
    std::lock_guard<std::mutex> lock(mutex_);
    block->freed_at = ++tick_;
    free_.emplace(block->size, block);
    stats_.cached_bytes += block->size;
    while (stats_.cached_bytes > kMaxCached) {
      auto oldest = free_.begin();
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if (it->second->freed_at < oldest->second->freed_at) oldest = it;
      }
      Block* victim = oldest->second;
      free_.erase(oldest);
      stats_.cached_bytes -= victim->size;
      stats_.mapped_bytes -= victim->size;
      ::munmap(victim->base, victim->size);
      delete victim;
    }
  }

  TensorMemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  Block* map_block(std::size_t size) {
    // Map one huge page more than needed and trim, so the block starts on a 2 MB boundary.
    const std::size_t span = size + kHugePage;
    void* raw = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = round_up(start, kHugePage);
    if (aligned > start) ::munmap(raw, aligned - start);
    const std::uintptr_t end = start + span;
    if (end > aligned + size) ::munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
    void* base = reinterpret_cast<void*>(aligned);
    ::madvise(base, size, MADV_HUGEPAGE);  // a hint: without THP this is plain 4 KB pages
    auto* block = new Block{base, size, 0};
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.mapped_bytes += size;
    ++stats_.maps;
    return block;
  }

  std::mutex mutex_;
  std::multimap<std::size_t, Block*> free_;  // by size
  std::uint64_t tick_ = 0;
  TensorMemoryStats stats_;
};

// Never destroyed: tensors may be freed during static destruction.
Pool& pool() {
  static Pool* instance = new Pool;
  return *instance;
}

void release(void* data) {
  if (data == nullptr) return;
  auto* header = reinterpret_cast<Header*>(static_cast<char*>(data) - kHeader);
  if (header->kind == kPooled) {
    pool().give_back(header->block);
  } else {
    std::free(header);
  }
}

// Test seam (issue 25): SMARTCROP_TEST_ALLOCATION_LIMIT_MB=N refuses every tensor larger
// than N MB, as a GPU out of memory refuses it, so that the batcher's split-and-retry
// runs on the CPU (tests/cli/test_out_of_memory.py, scripts/gpu/device_run.sh --rehearse).
std::size_t allocation_limit() {
  static const std::size_t limit = [] {
    const char* text = std::getenv("SMARTCROP_TEST_ALLOCATION_LIMIT_MB");
    return text != nullptr ? static_cast<std::size_t>(std::strtoull(text, nullptr, 10)) << 20 : std::size_t{0};
  }();
  return limit;
}

c10::DataPtr allocate_tensor_memory(std::size_t bytes) {
  const std::size_t limit = allocation_limit();
  TORCH_CHECK_WITH(OutOfMemoryError, limit == 0 || bytes <= limit, "out of memory: ", bytes,
                   " bytes refused (test seam SMARTCROP_TEST_ALLOCATION_LIMIT_MB=", limit >> 20, ")");
  void* data = nullptr;
  if (bytes >= kLarge) {
    data = pool().take(bytes);
  } else {
    void* raw = nullptr;
    if (::posix_memalign(&raw, kHeader, bytes + kHeader) != 0) throw std::bad_alloc();
    static_cast<Header*>(raw)->kind = kSmall;
    data = static_cast<char*>(raw) + kHeader;
  }
  return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
}

// c10::Allocator changed in LibTorch 2.x: `allocate` lost its const and `copy_data`
// became pure virtual (1.13: `allocate(size_t) const`, no copy_data; 2.6:
// `allocate(size_t)`, `copy_data(...) const = 0`). The 2.x releases in between are not
// at hand to pin the version of each change, so the override follows the signature
// this LibTorch's header declares rather than a guessed TORCH_VERSION_MINOR.
constexpr bool kConstAllocate = std::is_same<decltype(&c10::Allocator::allocate),
                                             c10::DataPtr (c10::Allocator::*)(std::size_t) const>::value;

// Partial specialisations, so that only the one chosen is compiled (`override` checked).
template <bool const_allocate, typename Base = c10::Allocator>
struct AllocatorOverride;

template <typename Base>
struct AllocatorOverride<true, Base> : Base {
  c10::DataPtr allocate(std::size_t bytes) const override { return allocate_tensor_memory(bytes); }
};

template <typename Base>
struct AllocatorOverride<false, Base> : Base {
  c10::DataPtr allocate(std::size_t bytes) override { return allocate_tensor_memory(bytes); }
};

class ReusingAllocator final : public AllocatorOverride<kConstAllocate> {
 public:
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
  // Overrides the pure virtual of LibTorch 2.x (Allocator::clone copies with it);
  // an unused extra member on 1.x.
  void copy_data(void* dest, const void* src, std::size_t count) const {  // NOLINT(modernize-use-override)
    if (count > 0) std::memcpy(dest, src, count);
  }
};
static_assert(!std::is_abstract<ReusingAllocator>::value,
              "c10::Allocator has a pure virtual function ReusingAllocator does not override");

}  // namespace

void use_reusing_tensor_allocator() {
  // For measuring what the allocator saves (docs/PERFORMANCE.md): LibTorch's own.
  const char* choice = std::getenv("SMARTCROP_TENSOR_ALLOCATOR");
  if (choice != nullptr && std::string(choice) == "torch") return;
  static std::once_flag once;
  std::call_once(once, [] {
    static ReusingAllocator allocator;
    c10::SetCPUAllocator(&allocator, /*priority=*/1);
  });
}

TensorMemoryStats tensor_memory_stats() { return pool().stats(); }

}  // namespace smartcrop
