// Names of the per-writer temp files (src/io/temp_files.hpp): unique, within the file
// name limit, and read back to the host and process that made them.
#include "io/temp_files.hpp"

#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace smartcrop {
namespace {

std::string file_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

TEST(TempFiles, EachWriteGetsItsOwnNameThatSaysWhoMadeIt) {
  const std::string a = unique_temp_path("out/2023/IMG_0042_16x9.jpg");
  const std::string b = unique_temp_path("out/2023/IMG_0042_16x9.jpg");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("out/2023/.IMG_0042_16x9.jpg~", 0), 0u) << a;
  TempOwner owner;
  ASSERT_TRUE(parse_temp_name(file_name(a), &owner));
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(owner.host, host);
  EXPECT_EQ(owner.pid, ::getpid());
}

TEST(TempFiles, ALongOutputNameGivesATempNameWithinTheLimit) {
  const std::string name = std::string(240, 'x') + "\xc3\xa9.jpg";  // 246 bytes, an é at the cut
  const std::string temp = file_name(unique_temp_path(name));
  EXPECT_LE(temp.size(), 255u);
  TempOwner owner;
  ASSERT_TRUE(parse_temp_name(temp, &owner));
  EXPECT_EQ(owner.pid, ::getpid());
  EXPECT_EQ(temp.find("\xc3~"), std::string::npos) << "a UTF-8 sequence was cut in two";
}

TEST(TempFiles, OnlyTheTempNamesOfSmartcropAreRecognised) {
  TempOwner owner;
  EXPECT_TRUE(parse_temp_name(".a~b.jpg~node-7.cluster~4242~0a1b2c3d.12.tmp-smartcrop", &owner));
  EXPECT_EQ(owner.host, "node-7.cluster");
  EXPECT_EQ(owner.pid, 4242);
  // The fixed name of earlier versions: smartcrop's, writer unknown.
  EXPECT_TRUE(parse_temp_name(".a.jpg.tmp-smartcrop", &owner));
  EXPECT_EQ(owner.host, "");
  EXPECT_TRUE(parse_temp_name(".a~x~12~not-a-nonce.tmp-smartcrop", &owner));
  EXPECT_EQ(owner.host, "");
  EXPECT_FALSE(parse_temp_name("a.jpg.tmp-smartcrop", &owner));
  EXPECT_FALSE(parse_temp_name(".a.jpg.tmp-other", &owner));
  EXPECT_FALSE(parse_temp_name(".tmp-smartcrop", &owner));
}

}  // namespace
}  // namespace smartcrop
