#pragma once
// Where each crop of a batch goes: the --name template and the checks made before
// any work starts (two crops on one name, a crop on an input).

#include <string>
#include <string_view>
#include <vector>

#include "smartcrop/batch_inputs.hpp"
#include "smartcrop/ratio.hpp"

namespace smartcrop {

// {dir} is the input's subfolder in a recursive run ("" otherwise), so the default
// mirrors the input tree and reduces to "{stem}_{ratio}.{ext}" for plain files.
inline constexpr const char* kDefaultNameTemplate = "{dir}/{stem}_{ratio}.{ext}";

// Throws std::invalid_argument naming the problem if `name_template` has an unknown
// or unclosed placeholder, is absolute or empty, has a ".." part, or does not end in
// a file name (each part judged with {dir} empty).
void check_name_template(std::string_view name_template);

// Returns the template filled for `input` and `ratio_label`: {stem} file name
// without extension, {ext} its extension without the dot ("png" if smartcrop cannot
// write that format), {ratio} the ratio label ("16x9"), {dir} the relative folder.
std::string expand_name(std::string_view name_template, const InputFile& input, const std::string& ratio_label);

// Returns outputs[i][r], the path of input i's crop at ratio r: `output` itself when
// it is a file, else output/expand_name(...). All empty when `output` is "".
std::vector<std::vector<std::string>> plan_output_paths(const std::vector<InputFile>& inputs,
                                                        const std::vector<AspectRatio>& ratios,
                                                        const std::string& output, bool output_is_folder,
                                                        std::string_view name_template);

struct NamingConflict {
  std::string path;    // the output path
  std::string reason;  // e.g. "both a/x.jpg and b/x.jpg would be written here"
};

// Returns every output that two crops would share or that is one of the inputs.
std::vector<NamingConflict> find_naming_conflicts(const std::vector<InputFile>& inputs,
                                                  const std::vector<std::vector<std::string>>& outputs);

}  // namespace smartcrop
