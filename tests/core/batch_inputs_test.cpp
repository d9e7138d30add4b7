// Collecting batch inputs: folders, hidden and unsupported files, shards.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include <unistd.h>

#include "smartcrop/batch_inputs.hpp"
#include "smartcrop/error.hpp"

namespace fs = std::filesystem;

namespace smartcrop {
namespace {

class CollectInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("smartcrop_inputs_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    for (const char* f : {"b.jpg", "a.PNG", "notes.txt", ".hidden.jpg", "sub/c.webp", "sub/deeper/d.tif",
                          ".git/e.jpg"}) {
      fs::create_directories((root_ / f).parent_path());
      std::ofstream(root_ / f) << "x";
    }
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(CollectInputs, FolderWithoutRecursionTakesTopLevelImagesOnly) {
  InputSpec spec;
  spec.paths = {root_.string()};
  const InputList list = collect_inputs(spec);
  ASSERT_EQ(list.files.size(), 2u);
  EXPECT_EQ(fs::path(list.files[0].path).filename(), "a.PNG");
  EXPECT_EQ(list.skipped_hidden, 2);  // .hidden.jpg and .git/
  EXPECT_EQ(list.skipped_unsupported, 1);
}

TEST_F(CollectInputs, RecursiveGivesRelativeFolders) {
  InputSpec spec;
  spec.paths = {root_.string()};
  spec.recursive = true;
  const InputList list = collect_inputs(spec);
  std::set<std::string> dirs;
  for (const auto& f : list.files) dirs.insert(f.relative_dir);
  EXPECT_EQ(list.files.size(), 4u);
  EXPECT_EQ(dirs, (std::set<std::string>{"", "sub", "sub/deeper"}));
}

TEST_F(CollectInputs, ShardsPartitionTheSortedList) {
  InputSpec spec;
  spec.paths = {root_.string()};
  spec.recursive = true;
  std::multiset<std::string> seen;
  for (int k = 1; k <= 3; ++k) {
    spec.shard = {k, 3};
    const InputList list = collect_inputs(spec);
    EXPECT_EQ(list.total, 4);
    for (const auto& f : list.files) seen.insert(f.path);
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 4u);
}

TEST_F(CollectInputs, NamedFilesAreKeptEvenIfMissingAndListsAreRead) {
  std::ofstream(root_ / "list.txt") << (root_ / "b.jpg").string() << "\r\n\n" << (root_ / "gone.jpg").string() << "\n";
  InputSpec spec;
  spec.paths = {(root_ / "notes.txt").string()};
  spec.list_file = (root_ / "list.txt").string();
  const InputList list = collect_inputs(spec);
  ASSERT_EQ(list.files.size(), 3u);
  EXPECT_EQ(fs::path(list.files[1].path).filename(), "gone.jpg");
  spec.list_file = (root_ / "missing.txt").string();
  EXPECT_THROW(collect_inputs(spec), Error);
}

TEST(ParseShard, AcceptsKOfN) {
  EXPECT_EQ(parse_shard("3/8").index, 3);
  EXPECT_EQ(parse_shard("3/8").count, 8);
  for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "1/3x"}) EXPECT_THROW(parse_shard(bad), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace smartcrop
