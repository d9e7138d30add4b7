// --device and the GPU's errors, decided on the CPU with stand-in facts (issue 25): auto
// with GPUs it cannot use falls back to the CPU with a warning saying why; cuda with such a
// GPU is an error saying why; only an error that means "no bf16" picks fp16; Torch's
// out-of-memory errors are told apart from the rest.
#include <gtest/gtest.h>

#include "model/torch_device.hpp"
#include "smartcrop/error.hpp"

using namespace smartcrop;

namespace {

CudaFacts gpus(int visible, std::string problem) {
  CudaFacts facts;
  facts.has_cuda = true;
  facts.visible = visible;
  facts.problem = [problem](const c10::Device&) { return problem; };
  return facts;
}

const char* kTooOld = "CUDA error: no kernel image is available for execution on the device";

}  // namespace

TEST(DeviceChoice, AutoTakesAGpuThatRunsAProduct) {
  const DeviceChoice choice = choose_device("auto", gpus(2, ""));
  EXPECT_TRUE(choice.device.is_cuda());
  EXPECT_EQ(choice.device.index(), 0);
  EXPECT_NE(choice.line.find("has CUDA and sees 2 GPU(s)"), std::string::npos) << choice.line;
  EXPECT_TRUE(choice.warning.empty());
}

TEST(DeviceChoice, AutoWithGpusItCannotUseFallsBackToTheCpuSayingWhy) {
  const DeviceChoice choice = choose_device("auto", gpus(1, kTooOld));
  EXPECT_TRUE(choice.device.is_cpu());
  EXPECT_NE(choice.line.find("device: cpu (--device auto: cuda:0 cannot be used)"), std::string::npos) << choice.line;
  EXPECT_NE(choice.warning.find("sees 1 GPU(s) but cannot use cuda:0 (" + std::string(kTooOld) +
                                "): running on the CPU"),
            std::string::npos)
      << choice.warning;
}

TEST(DeviceChoice, CudaWithAGpuItCannotUseIsAnErrorSayingWhy) {
  try {
    choose_device("cuda:1", gpus(2, kTooOld));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), "");
    EXPECT_NE(e.reason().find("--device cuda:1: this LibTorch ("), std::string::npos) << e.reason();
    EXPECT_NE(e.reason().find("cannot run on cuda:1 (" + std::string(kTooOld) + "); use --device cpu"),
              std::string::npos)
        << e.reason();
  }
}

TEST(DeviceChoice, NoCudaAndNoGpuAreErrorsForCudaAndTheCpuForAuto) {
  CudaFacts none;
  none.problem = [](const c10::Device&) { return std::string(); };
  EXPECT_TRUE(choose_device("auto", none).device.is_cpu());
  EXPECT_THROW(choose_device("cuda", none), Error);
  EXPECT_TRUE(choose_device("auto", gpus(0, "")).device.is_cpu());
  EXPECT_THROW(choose_device("cuda:0", gpus(0, "")), Error);
  EXPECT_THROW(choose_device("cuda:2", gpus(2, "")), Error);
}

TEST(DeviceChoice, TheGpuDefaultIsTf32AndAnAskedForPrecisionIsKept) {
  // fp16 becomes the default only once a GPU run keeps every box within 16 px of fp32.
  const c10::Device gpu("cuda:0");
  EXPECT_EQ(gpu_precision(Precision::Auto, gpu), Precision::Tf32);
  EXPECT_EQ(gpu_precision(Precision::Fp16, gpu), Precision::Fp16);
  EXPECT_EQ(gpu_precision(Precision::Fp32, gpu), Precision::Fp32);
}

TEST(DeviceChoice, OnlyAMissingBf16MeansNoBf16) {
  EXPECT_TRUE(says_no_bf16("\"addmm_cuda\" not implemented for 'BFloat16'"));
  EXPECT_TRUE(says_no_bf16("CUDA error: CUBLAS_STATUS_NOT_SUPPORTED when calling `cublasGemmEx( handle, opa, ...)`"));
  EXPECT_FALSE(says_no_bf16("CUDA error: initialization error"));
  EXPECT_FALSE(says_no_bf16("CUDA out of memory. Tried to allocate 2.00 MiB"));
  EXPECT_FALSE(says_no_bf16("CUDA error: an illegal memory access was encountered"));
}

TEST(DeviceChoice, OutOfMemoryIsToldApartFromOtherErrors) {
  EXPECT_TRUE(says_out_of_memory("CUDA out of memory. Tried to allocate 9.00 GiB (GPU 0; 79.11 GiB total capacity)"));
  EXPECT_TRUE(says_out_of_memory("CUDA error: out of memory"));
  EXPECT_TRUE(says_out_of_memory("DefaultCPUAllocator: not enough memory: you tried to allocate 123 bytes."));
  EXPECT_TRUE(says_out_of_memory("std::bad_alloc"));
  EXPECT_FALSE(says_out_of_memory("CUDA error: device-side assert triggered"));
  EXPECT_FALSE(says_out_of_memory("expected an image tensor [B, 3, H, W]"));
}

TEST(DeviceChoice, TheErrorLineOfATorchScriptFailureIsTheErrorItself) {
  const std::string wrapped =
      "The following operation failed in the TorchScript interpreter.\nTraceback of TorchScript, serialized code "
      "(most recent call last):\n  File \"code/__torch__.py\", line 21, in forward\n    x = torch.matmul(a, b)\n"
      "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB\n";
  EXPECT_EQ(torch_error_line(wrapped), "CUDA out of memory. Tried to allocate 2.00 GiB");
  EXPECT_EQ(torch_error_line("\n  plain message\nmore"), "plain message");
  const std::string other_class =
      "The following operation failed in the TorchScript interpreter.\nTraceback of TorchScript (most recent call "
      "last):\n  File \"<string>\", line 3\n    return x @ y\ntorch.OutOfMemoryError: CUDA out of memory. Tried to "
      "allocate 4.00 GiB. GPU 0 has a total capacity of 79.19 GiB\n";
  EXPECT_EQ(torch_error_line(other_class), "CUDA out of memory. Tried to allocate 4.00 GiB. GPU 0 has a total capacity "
                                           "of 79.19 GiB");
}
