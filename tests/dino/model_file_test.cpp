#include "model/model_file.hpp"

#include <gtest/gtest.h>

#include "model/attention_model.hpp"
#include "smartcrop/error.hpp"

using namespace smartcrop;

namespace {

std::string model_path(const char* name) { return std::string(SMARTCROP_TEST_MODEL_DIR) + "/" + name; }

}  // namespace

TEST(ModelFile, AFileNeedingANewerLibTorchIsRefusedInOneLineWithBothVersions) {
  // tests/export_test_models.py: the tiny model with min_torch "99.0" and torch_version "99.1.0".
  const std::string path = model_path("needs_torch_99.pt");
  try {
    AttentionModel::load(path);
    FAIL() << "loaded a model that says it needs torch 99.0";
  } catch (const Error& e) {
    EXPECT_EQ(e.path(), path);
    const std::string runtime = to_string(runtime_torch_version());
    EXPECT_EQ(e.reason(), "this model file needs LibTorch >= 99.0 and this smartcrop's DINO plugin runs LibTorch " +
                              runtime + "; re-export it with scripts/export_model.py under torch " + runtime +
                              " (the file was written by torch 99.1), or build smartcrop against a newer LibTorch "
                              "(README: \"Another LibTorch\")");
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "error must be one line";
  }
}

TEST(ModelFile, TheExportersFilesSayWhichLibTorchTheyNeedAndThisOneRunsThem) {
  const std::string metadata = read_model_metadata_text(model_path("tiny_random.pt"));
  ASSERT_NE(metadata.find("\"min_torch\""), std::string::npos) << metadata;
  EXPECT_NO_THROW(check_runtime_can_run("tiny_random.pt", metadata));
  EXPECT_NO_THROW(AttentionModel::load(model_path("tiny_random.pt")));
}

TEST(ModelFile, AFileWithoutMinTorchOrMetadataIsLeftToTorch) {
  EXPECT_NO_THROW(check_runtime_can_run("old.pt", R"({"format": 1, "torch_version": "1.13.1"})"));
  EXPECT_NO_THROW(check_runtime_can_run("none.pt", ""));
  EXPECT_THROW(check_runtime_can_run("bad.pt", R"({"min_torch": "new"})"), Error);
  EXPECT_EQ(read_model_metadata_text("/nonexistent/model.pt"), "");
}

TEST(ModelFile, ALoadFailureOfANewerWritersFileNamesBothVersions) {
  const std::string runtime = to_string(runtime_torch_version());
  const std::string hint = newer_writer_hint(R"({"torch_version": "99.0.1+cpu"})");
  EXPECT_NE(hint.find("runs LibTorch " + runtime), std::string::npos) << hint;
  EXPECT_NE(hint.find("written by torch 99.0"), std::string::npos) << hint;
  EXPECT_EQ(newer_writer_hint(R"({"torch_version": "1.0.0"})"), "");
  EXPECT_EQ(newer_writer_hint(""), "");
}

TEST(ModelFile, VersionsCompareByMajorThenMinor) {
  ASSERT_TRUE(parse_torch_version("2.6.0+cpu").has_value());
  EXPECT_EQ(to_string(*parse_torch_version("2.6.0+cpu")), "2.6");
  EXPECT_EQ(to_string(*parse_torch_version("1.13")), "1.13");
  EXPECT_FALSE(parse_torch_version("latest").has_value());
  EXPECT_TRUE(older_than({1, 13}, {2, 0}));
  EXPECT_TRUE(older_than({2, 5}, {2, 10}));
  EXPECT_FALSE(older_than({2, 6}, {2, 6}));
  EXPECT_FALSE(older_than({2, 0}, {1, 13}));
}
