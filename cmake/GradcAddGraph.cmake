# gradc_add_graph(TARGET GRAPH [CLASS NAME] [NAMESPACE NS] [OBJECT]
#                 [OUTPUT_DIR DIR])
#
# Compiles GRAPH (.json, .grad or .gir) ahead of time at build time and adds
# the result to TARGET: NAME.h (the typed class NS::NAME and the C entry
# points) on TARGET's include path, and NAME.cpp as a source, built by the
# project's own C++ compiler; with OBJECT, NAME.o compiled by gradc's own
# clang/LLVM instead of NAME.cpp. Editing GRAPH, or installing another
# gradc, reruns the compiler on the next build. TARGET links gradc::aot
# (BLAS and libm, which generated code calls).
#
#   CLASS       the C++ class and file name (default: GRAPH's file name
#               without extension, made a C identifier)
#   NAMESPACE   enclosing namespace, e.g. models::vision (default: none)
#   OUTPUT_DIR  where the files go (default: BINARY_DIR/gradc/TARGET)
#
# GRAPH is passed to gradc as written (relative paths: relative to the
# current source directory), and recorded in the generated comments; a
# relative path keeps the output the same across checkouts.
function(gradc_add_graph target graph)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "OBJECT" "CLASS;NAMESPACE;OUTPUT_DIR" "")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "gradc_add_graph: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "gradc_add_graph: '${target}' is not a target")
  endif()
  if(NOT TARGET gradc::gradc)
    message(FATAL_ERROR "gradc_add_graph: gradc::gradc is missing; use find_package(gradc)")
  endif()
  get_filename_component(graph_abs "${graph}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${graph_abs}")
    message(FATAL_ERROR "gradc_add_graph: no graph file '${graph_abs}'")
  endif()
  set(class "${ARG_CLASS}")
  if(NOT class)
    get_filename_component(stem "${graph}" NAME_WE)
    string(MAKE_C_IDENTIFIER "${stem}" class)
  endif()
  set(dir "${ARG_OUTPUT_DIR}")
  if(NOT dir)
    set(dir "${CMAKE_CURRENT_BINARY_DIR}/gradc/${target}")
  endif()

  set(header "${dir}/${class}.h")
  if(ARG_OBJECT)
    set(code "${dir}/${class}.o")
    set(emit "h,o")
  else()
    set(code "${dir}/${class}.cpp")
    set(emit "h,cpp")
  endif()
  set(args compile "${graph}" -o "${dir}" --emit ${emit} --class "${class}")
  if(ARG_NAMESPACE)
    list(APPEND args --namespace "${ARG_NAMESPACE}")
  endif()
  add_custom_command(
    OUTPUT "${header}" "${code}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${dir}"
    COMMAND gradc::gradc ${args}
    DEPENDS "${graph_abs}" "$<TARGET_FILE:gradc::gradc>"
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    COMMENT "gradc: compiling ${graph} to ${class}"
    VERBATIM)
  if(ARG_OBJECT)
    set_source_files_properties("${code}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  endif()
  target_sources(${target} PRIVATE "${header}" "${code}")
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${dir}>")
  target_link_libraries(${target} PUBLIC gradc::aot)
endfunction()
