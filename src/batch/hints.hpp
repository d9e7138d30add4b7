#pragma once
// --hints: a per-photo focus point and/or keep-region for a batch, from a CSV file
// with a header (path,focus,keep) or JSON lines. Private to src/batch.

#include <string>
#include <vector>

#include "photo_job.hpp"

namespace smartcrop {

struct HintRow {
  int line = 0;
  std::string path;   // as written ("" when the row is too broken to say)
  SteeringSpec spec;
  std::string error;  // why the row cannot be used ("" if it can)
};

// Reads every row of the hints file at `path` ("-" = stdin). A row that cannot be
// parsed is kept with its error. Throws smartcrop::Error for a file that cannot be
// read or a CSV header that names no "path" column or an unknown column.
std::vector<HintRow> read_hints(const std::string& path);

// Gives each plan its row (matched by path, after resolving ./, .. and symlinks).
// Returns the errors, "NAME line N: reason", of rows that match no plan; with
// `sharded`, rows for photos outside this shard are skipped, not errors.
std::vector<std::string> attach_hints(const std::string& name, const std::vector<HintRow>& rows,
                                      std::vector<PhotoPlan>& plans, bool sharded);

// Reads the hints file `path` and attaches it to `plans`; logs "error: NAME line
// N: reason" for each row that matches no photo and returns how many there were.
// Throws smartcrop::Error when the file cannot be used at all.
int load_hints(const std::string& path, std::vector<PhotoPlan>& plans, bool sharded);

}  // namespace smartcrop
