// TorchScript's graph-optimiser switch is per thread (issue 25): a forward must run the
// plain, unoptimised plan whichever thread calls it, the batcher's and every worker's,
// not only the thread that loaded the model.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include <opencv2/core.hpp>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include "model/attention_model.hpp"

using namespace smartcrop;

namespace {

std::string model_path(const char* name) { return std::string(SMARTCROP_TEST_MODEL_DIR) + "/" + name; }

// The graph the calling thread's last TorchScript call ran, as text.
std::string graph_of_a_forward_on_a_new_thread(AttentionModel& model, const ModelInput& input, int calls) {
  std::string graph;
  std::thread([&] {
    for (int i = 0; i < calls; ++i) model.forward(input);
    if (auto last = torch::jit::lastExecutedOptimizedGraph()) graph = last->toString();
  }).join();
  return graph;
}

}  // namespace

TEST(GraphExecutor, ForwardsOnAnyThreadRunTheUnoptimisedPlan) {
  // A model loaded here, on this thread; forwards on two threads that never touched Torch.
  auto model = AttentionModel::load(model_path("tiny_random.pt"), Precision::Fp32, "cpu");
  cv::Mat photo(200, 300, CV_8UC3, cv::Scalar(90, 120, 200));
  const ModelInput input = prepare_model_input(photo, 64, 16);
  for (int calls : {1, 3}) {
    const std::string graph = graph_of_a_forward_on_a_new_thread(*model, input, calls);
    ASSERT_FALSE(graph.empty());
    // The profiling executor's first call instruments the graph (prim::profile) and later
    // ones run it inlined and specialised; the unoptimised plan keeps the method calls.
    EXPECT_EQ(graph.find("prim::profile"), std::string::npos) << "call " << calls << ":\n" << graph;
    EXPECT_NE(graph.find("prim::CallMethod"), std::string::npos) << "call " << calls << ":\n" << graph;
  }
}
