# SMARTCROP_SANITIZE=ON: the parts of the library that do not need LibTorch, and the
# C++ tests of them, built again with AddressSanitizer and UndefinedBehaviorSanitizer
# as `sanitized_tests` (label "sanitize"). scripts/test.sh --sanitize builds it in
# build-sanitize/ and runs it. Any report fails the test: UBSan does not recover.
set(SMARTCROP_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# Everything but the TorchScript model and the code that drives it.
set(SANITIZED_SOURCES)
foreach(source ${SMARTCROP_GEOMETRY_SOURCES} ${SMARTCROP_CORE_SOURCES} src/error.cpp src/saliency/backend.cpp
               src/saliency/precision.cpp src/install_layout.cpp)
  get_filename_component(source ${source} ABSOLUTE BASE_DIR ${CMAKE_SOURCE_DIR})
  list(APPEND SANITIZED_SOURCES ${source})
endforeach()
list(FILTER SANITIZED_SOURCES EXCLUDE REGEX
  "/src/(model/.*|saliency/(dino_backend|dino_plugin_loader|backend_factory)|batch/(pipeline|runner|requests|forward_bench))\\.cpp$")
add_library(smartcrop_sanitized STATIC ${SANITIZED_SOURCES})
target_include_directories(smartcrop_sanitized PUBLIC ${CMAKE_SOURCE_DIR}/include ${OpenCV_INCLUDE_DIRS}
  PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(smartcrop_sanitized PUBLIC ${OpenCV_LIBS} JPEG::JPEG PNG::PNG PkgConfig::WEBP ${CMAKE_DL_LIBS}
  spdlog::spdlog nlohmann_json::nlohmann_json exiv2lib)
target_compile_options(smartcrop_sanitized PUBLIC ${SMARTCROP_SANITIZE_FLAGS})
target_link_options(smartcrop_sanitized PUBLIC ${SMARTCROP_SANITIZE_FLAGS})

# The tests that load no model: geometry, inputs, naming, image io, early decode, render.
set(SANITIZED_TEST_SOURCES ${UNIT_TEST_SOURCES})
foreach(name batch_inputs batch_naming image_io early_decode comparison review_page steering_strip fine_grained
             area_resize)
  list(APPEND SANITIZED_TEST_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/core/${name}_test.cpp)
endforeach()
add_executable(sanitized_tests ${SANITIZED_TEST_SOURCES})
target_link_libraries(sanitized_tests PRIVATE smartcrop_sanitized GTest::gtest_main)
# The fine-grained and area-shrink tests reach headers beside their .cpp in src/saliency/.
target_include_directories(sanitized_tests PRIVATE ${CMAKE_SOURCE_DIR}/src)
gtest_discover_tests(sanitized_tests TEST_PREFIX "sanitize." DISCOVERY_TIMEOUT 60
  PROPERTIES LABELS sanitize ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
