#pragma once
// Points where the race tests stop a writer (tests/e2e/test_concurrent_writers.py), so
// that two runs meet on one output the same way every time instead of by luck. Both are
// off unless their environment variable is set; a user never sets them.

namespace smartcrop {

enum class SeamPoint {
  MidWrite,    // half of an output's bytes are in its temp file
  BeforeLink,  // the temp file is complete, not yet linked or renamed to its name
};

// When $SMARTCROP_TEST_HOLD is "mid-write:FIFO" or "before-link:FIFO" and this process
// reaches that point for the first time, opens FIFO for reading and waits until the test
// closes its end. Returns at once otherwise.
void hold_for_tests(SeamPoint point);

// Returns true when $SMARTCROP_TEST_NAMED_TEMPS is "1": write through named temp files,
// as on a file system without O_TMPFILE (NFS), where shared output folders usually live.
bool named_temps_for_tests();

}  // namespace smartcrop
