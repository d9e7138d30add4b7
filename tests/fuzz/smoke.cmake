# The fuzz targets as a smoke test: scripts/ci/fuzz.sh builds them with clang in
# build/fuzz/, replays tests/fuzz/regressions/ and fuzzes each target for 3 s.
add_test(NAME fuzz_smoke COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/ci/fuzz.sh 3 --build-dir ${CMAKE_BINARY_DIR}/fuzz)
set_tests_properties(fuzz_smoke PROPERTIES TIMEOUT 600 LABELS fuzz)
