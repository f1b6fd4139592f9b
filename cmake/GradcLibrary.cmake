# gradc_add_library(NAME DEPS...): one static library per source folder, named
# gradc_NAME with the alias gradc::NAME, built from every .cpp in that folder.
function(gradc_add_library name)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT srcs)
    # A folder whose sources are not written yet still yields a target.
    set(srcs ${CMAKE_CURRENT_BINARY_DIR}/empty.cpp)
    file(WRITE ${srcs} "")
  endif()
  add_library(gradc_${name} STATIC ${srcs})
  add_library(gradc::${name} ALIAS gradc_${name})
  target_include_directories(gradc_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
  set_target_properties(gradc_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(ARGN)
    target_link_libraries(gradc_${name} PUBLIC ${ARGN})
  endif()
  # Installed, the headers keep their folder layout under include/gradc/
  # (so "ir/Graph.h" still resolves), and the library is exported as
  # gradc::NAME, the same name as in this tree (cmake/GradcInstall.cmake).
  set_target_properties(gradc_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(gradc_${name} PUBLIC
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/gradc>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gradc/${name}
    FILES_MATCHING PATTERN "*.h" PATTERN "*.inc" PATTERN "*.def")
  set_property(GLOBAL APPEND PROPERTY GRADC_INSTALLED_LIBRARIES gradc_${name})
endfunction()
