//===- tools/Commands.h - The gradc subcommands ----------------*- C++ -*-===//
#ifndef GRADC_TOOLS_COMMANDS_H
#define GRADC_TOOLS_COMMANDS_H

namespace gradc {

/// Each subcommand gets argv from its own name on (argv[0] is the
/// subcommand) and returns the process exit code. Errors are thrown as
/// gradc::Error and reported by main.
int runCommand(int argc, char **argv);
int dumpCommand(int argc, char **argv);
/// gradc opt: runs the passes named by --passes and prints the IR.
int optCommand(int argc, char **argv);
int compileCommand(int argc, char **argv);
int convertCommand(int argc, char **argv);
int checkCommand(int argc, char **argv);
int benchCommand(int argc, char **argv);
int importCommand(int argc, char **argv);
int jacobianCommand(int argc, char **argv);
int hessianCommand(int argc, char **argv);

} // namespace gradc

#endif // GRADC_TOOLS_COMMANDS_H
