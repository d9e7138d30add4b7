# Debian packages (scripts/package.sh runs CPack with this configuration):
#   smartcrop       launcher, engine, imgcodecs plugin, window model, man page
#   smartcrop-dino  the DINO plugin, which needs LibTorch
# Runtime dependencies come from dpkg-shlibdeps, so a package built on Debian 12
# asks for Debian 12's library packages (libtorch1.13, libopencv-core406, ...).

# The man page, made from `smartcrop --help` (help2man; scripts/deps.sh --package).
# Not part of `all`: building and testing need no help2man; package.sh builds it.
find_program(SMARTCROP_HELP2MAN help2man)
set(SMARTCROP_MAN_PAGE ${CMAKE_BINARY_DIR}/smartcrop.1.gz)
if(SMARTCROP_HELP2MAN)
  add_custom_command(OUTPUT ${SMARTCROP_MAN_PAGE}
    COMMAND ${SMARTCROP_HELP2MAN} --no-info --version-string=${PROJECT_VERSION}
            "--name=content-aware batch cropping of photos" --output=smartcrop.1 $<TARGET_FILE:smartcrop>
    COMMAND sed -i -f ${CMAKE_CURRENT_LIST_DIR}/man.sed smartcrop.1
    COMMAND gzip -9nf smartcrop.1
    DEPENDS smartcrop smartcrop-engine ${CMAKE_CURRENT_LIST_DIR}/man.sed
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
    COMMENT "man page smartcrop.1 from smartcrop --help")
  add_custom_target(smartcrop_man DEPENDS ${SMARTCROP_MAN_PAGE})
endif()
# OPTIONAL: `cmake --install` of a plain build has no man page and needs none.
install(FILES ${SMARTCROP_MAN_PAGE} DESTINATION share/man/man1 COMPONENT smartcrop OPTIONAL)

# The model command's man page, written by hand (argparse's help makes a poor one);
# tests/e2e/test_package.py checks that it names every option the command has.
if(SMARTCROP_WITH_DINO)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/smartcrop-model.1 ${CMAKE_BINARY_DIR}/packaging/smartcrop-model.1 @ONLY)
  set(SMARTCROP_MODEL_MAN_PAGE ${CMAKE_BINARY_DIR}/packaging/smartcrop-model.1.gz)
  add_custom_command(OUTPUT ${SMARTCROP_MODEL_MAN_PAGE}
    COMMAND gzip -9nkf smartcrop-model.1
    DEPENDS ${CMAKE_BINARY_DIR}/packaging/smartcrop-model.1
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/packaging)
  install(FILES ${SMARTCROP_MODEL_MAN_PAGE} DESTINATION share/man/man1 COMPONENT dino OPTIONAL)
endif()

set(SMARTCROP_PACKAGE_MAINTAINER "smartcrop maintainers <maintainers@smartcrop.invalid>"
    CACHE STRING "Maintainer field of the Debian packages")

# The packages' changelog, one entry for this version. They are native packages (the
# version has no Debian revision: upstream and packaging are one), whose changelog
# Debian policy (12.7) names changelog.gz; changelog.Debian.gz is for the packaging
# changes of a package made from someone else's source.
configure_file(${CMAKE_CURRENT_LIST_DIR}/changelog.in ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
set(SMARTCROP_CHANGELOG ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${SMARTCROP_CHANGELOG}
  COMMAND gzip -9nkf changelog
  DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/packaging)
# What scripts/package.sh builds besides the programs and smartcrop's man page.
add_custom_target(smartcrop_package_files DEPENDS ${SMARTCROP_CHANGELOG} ${SMARTCROP_MODEL_MAN_PAGE})

set(SMARTCROP_DEB_COMPONENTS smartcrop)
if(SMARTCROP_WITH_DINO)
  list(APPEND SMARTCROP_DEB_COMPONENTS dino)
endif()
foreach(component ${SMARTCROP_DEB_COMPONENTS})
  set(package smartcrop)
  if(component STREQUAL "dino")
    set(package smartcrop-dino)
  endif()
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/${package}.copyright DESTINATION share/doc/${package}
          RENAME copyright COMPONENT ${component})
  install(FILES ${SMARTCROP_CHANGELOG} DESTINATION share/doc/${package} COMPONENT ${component} OPTIONAL)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME smartcrop)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${SMARTCROP_PACKAGE_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL ${SMARTCROP_DEB_COMPONENTS})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_SMARTCROP_PACKAGE_NAME smartcrop)
set(CPACK_DEBIAN_SMARTCROP_PACKAGE_SUGGESTS smartcrop-dino)
set(CPACK_DEBIAN_SMARTCROP_DESCRIPTION "content-aware batch cropping of photos
smartcrop finds what a photo is about and cuts the largest window of the
aspect ratio you ask for around it, from the full-resolution original.
This package holds the command, its built-in saliency and centre backends,
and the fitted window model. The DINO backend is in smartcrop-dino.")

set(CPACK_DEBIAN_DINO_PACKAGE_NAME smartcrop-dino)
# python3 runs the model command smartcrop-model. PyTorch for Python (python3-torch) only
# fetch and export need: recommended, so that apt installs it by default and a machine that
# gets its model files from elsewhere can leave it out (README, "Debian packages").
set(CPACK_DEBIAN_DINO_PACKAGE_DEPENDS "smartcrop (= ${PROJECT_VERSION}), python3")
# LibTorch on Debian's reference BLAS is ~20x slower (the plugin warns); the OpenMP
# OpenBLAS takes over libblas.so.3 when installed (scripts/deps.sh says why OpenMP).
set(CPACK_DEBIAN_DINO_PACKAGE_RECOMMENDS "libopenblas0-openmp, python3-torch")
set(CPACK_DEBIAN_DINO_DESCRIPTION "DINO backend for smartcrop (LibTorch)
The plugin behind `smartcrop --backend dino`: the self-attention of a DINO
vision transformer (a TorchScript file, run with LibTorch on the CPU) tells
smartcrop where the subject is, and the command smartcrop-model, which
downloads the DINO authors' checkpoint and exports the model file
(smartcrop-model fetch), or exports it from a copied checkpoint, and says
which model smartcrop loads (smartcrop-model info).
")

include(CPack)
