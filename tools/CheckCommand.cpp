//===- tools/CheckCommand.cpp - gradc check -------------------------------===//
#include "ir/Error.h"
#include "tools/Commands.h"

namespace gradc {

int checkCommand(int argc, char **argv) {
  (void)argc;
  (void)argv;
  throw Error("'gradc check' is not implemented yet");
}

} // namespace gradc
