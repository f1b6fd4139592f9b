//===- tests/robust/FuzzFindingsTest.cpp - Inputs the fuzzers found -------===//
//
// Minimal reproducers of what fuzzing found in files outside the
// robustness work, kept as tests; disabled ones name the file and the fix.
//
//===----------------------------------------------------------------------===//
#include "ir/Error.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

using namespace gradc;

namespace {

std::string parseError(const std::string &text, const std::string &file) {
  try {
    auto g = parseGraph(text, file);
    verifyGraph(*g);
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

// ir_fuzzer: an attribute of the wrong kind read through ir/Attr.cpp's
// getBool/getInt/... threw "attribute 'no_grad' must be true or false"
// without the file and line. ir/Parser.cpp now checks the kind of the
// attribute it interprets itself (no_grad) where it has a location.
TEST(FuzzFindings, IRAttributeOfTheWrongKindIsLocated) {
  std::string msg = parseError("graph \"g\" {\n"
                               "  %x = input() : f32[2]\n"
                               "  %y = neg(%x) {no_grad = 1} : f32[2]\n"
                               "  output \"y\" = %y\n"
                               "}\n",
                               "ng.gir");
  EXPECT_NE(msg.find("ng.gir:3:17:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no_grad"), std::string::npos) << msg;
}

} // namespace
