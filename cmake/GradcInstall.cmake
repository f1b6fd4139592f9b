# What `cmake --install` puts where, and the CMake package that lets other
# projects use it: find_package(gradc) gives the imported targets gradc::gradc
# (the CLI), gradc::ir ... gradc::runtime (the C++ API, static), gradc::capi
# (libgradc.so, the C API), gradc::aot (what generated code links against)
# and the function gradc_add_graph() (cmake/GradcAddGraph.cmake).
include(CMakePackageConfigHelpers)

# Generated code calls CBLAS and libm; an ahead-of-time build links this.
add_library(gradc_aot INTERFACE)
add_library(gradc::aot ALIAS gradc_aot)
set_target_properties(gradc_aot PROPERTIES EXPORT_NAME aot)
target_link_libraries(gradc_aot INTERFACE ${BLAS_LIBRARIES} m)

# The same name as the installed package gives the CLI, for gradc_add_graph().
add_executable(gradc::gradc ALIAS gradc)

get_property(gradc_libraries GLOBAL PROPERTY GRADC_INSTALLED_LIBRARIES)
install(TARGETS gradc ${gradc_libraries} gradc_capi gradc_aot
  EXPORT gradcTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/gradc
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(GRADC_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gradc)
install(EXPORT gradcTargets NAMESPACE gradc:: DESTINATION ${GRADC_CMAKE_INSTALL_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/gradcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gradcConfig.cmake
  INSTALL_DESTINATION ${GRADC_CMAKE_INSTALL_DIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gradcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/gradcConfig.cmake
  ${PROJECT_BINARY_DIR}/gradcConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/GradcAddGraph.cmake
  DESTINATION ${GRADC_CMAKE_INSTALL_DIR})
