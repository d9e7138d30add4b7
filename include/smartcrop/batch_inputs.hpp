#pragma once
// Which photos a batch run processes: files, folders, lists, and one shard of them.

#include <string>
#include <string_view>
#include <vector>

namespace smartcrop {

struct Shard {
  int index = 1;  // 1..count
  int count = 1;
};

struct InputSpec {
  std::vector<std::string> paths;  // files or folders, as given on the command line
  std::string list_file;           // --from: one path per line; "-" reads stdin; "" none
  bool recursive = false;          // descend into subfolders of folder inputs
  Shard shard;                     // --shard K/N
};

struct InputFile {
  std::string path;          // as given or as found (folder/name)
  std::string relative_dir;  // for files found in a folder: their subfolder relative to it ("" at top)
};

struct InputList {
  std::vector<InputFile> files;  // sorted by path, duplicates removed, this shard only
  // With --shard, the files of every shard (the same list in each task), so that two
  // photos of different shards cannot be given one output name unnoticed; else empty.
  std::vector<InputFile> all_shards;
  int total = 0;                 // files in all shards together
  int skipped_hidden = 0;        // hidden files and folders met in folder inputs
  int skipped_unsupported = 0;   // files in folder inputs without an image extension
  int folders_given = 0;         // folder inputs (and folder lines of --from)
};

// Parses "K/N" with 1 <= K <= N. Throws std::invalid_argument naming the text.
Shard parse_shard(std::string_view text);

// Returns true if `path` has an extension smartcrop reads (jpg, jpeg, png, webp,
// tif, tiff, bmp; any case). Used to filter folder contents; named files are
// always tried.
bool has_image_extension(const std::string& path);

// Collects the inputs of `spec`: named files are kept even when missing (they fail
// later, each with its own error); folders contribute their images. The list is
// sorted and de-duplicated, then cut to the shard: file i (0-based) belongs to
// shard (i mod N) + 1. Throws smartcrop::Error if the --from list cannot be read
// or a folder cannot be listed.
InputList collect_inputs(const InputSpec& spec);

}  // namespace smartcrop
