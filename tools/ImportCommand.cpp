//===- tools/ImportCommand.cpp - gradc import (ONNX models) ---------------===//
//
// `gradc import MODEL.onnx -o OUT.json|.grad` reads ONNX with the `onnx`
// Python package: the ONNX reader is gradc/onnx_import.py of the Python
// package, run with the system interpreter. Why Python and not libonnx's
// C++ classes: ONNX's own parser, checker and shape inference are what that
// package is, the reader is then shared by gradc.import_onnx(), and the
// gradc binary needs neither protobuf to build nor PyTorch to run; only
// this command needs python3-onnx.
//
// The reader writes JSON into a temporary file beside OUT; this command
// then loads it with gradc's own frontend (so every op, shape and name is
// checked the same way as a hand-written graph) and writes OUT in the
// format of its extension, through a temporary file renamed into place: a
// failure never leaves a partial OUT.
//
//===----------------------------------------------------------------------===//
#include "frontend/JsonText.h"
#include "frontend/LoadGraph.h"
#include "ir/Error.h"
#include "tools/Args.h"
#include "tools/Commands.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace gradc {

static const char *kImportHelp =
    R"HELP(usage: gradc import MODEL.onnx -o OUT.json|OUT.grad
                    [--trainable NAME... | --trainable all] [--size NAME=N ...]

Converts an ONNX model (opsets 13 to 17) to a gradc graph, so that a forward
graph from any framework gets a compiled backward.
  -o OUT              the graph to write; .json or .grad (the DSL)
  --trainable NAMES   initializers that require grad (a list, or 'all' for
                      every floating-point initializer); others are inputs
                      with their values as init and no gradient
  --size NAME=N       the size of a symbolic dimension (dim_param) of a
                      graph input; repeatable
Graph inputs become inputs, initializers inputs with their values as init,
graph outputs keep their names. An operator gradc cannot express is an
error naming the node. Needs the Python package onnx (Debian: python3-onnx)
for the interpreter GRADC_PYTHON (default: the one gradc was built with).
)HELP";

/// Directory of the running executable ("" if unknown).
static std::string executableDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string p(buf, static_cast<size_t>(n));
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? "" : p.substr(0, slash);
}

static bool isFile(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// The ONNX reader: $GRADC_ONNX_IMPORTER, else beside the build tree's
/// bin/ (build/python/gradc), else in the installed Python package.
static std::string findImporter() {
  if (const char *e = std::getenv("GRADC_ONNX_IMPORTER"); e && *e) {
    if (!isFile(e))
      throw Error(std::string("GRADC_ONNX_IMPORTER: no file '") + e + "'");
    return e;
  }
  std::string dir = executableDir();
  std::string candidates[] = {
      dir + "/../python/gradc/onnx_import.py",
      dir + "/../" GRADC_PYTHON_INSTALL_DIR "/gradc/onnx_import.py"};
  for (const std::string &c : candidates)
    if (isFile(c)) return c;
  throw Error("cannot find the ONNX reader gradc/onnx_import.py (looked in " +
              candidates[0] + " and " + candidates[1] +
              "); set GRADC_ONNX_IMPORTER to its path");
}

/// A new empty temporary file beside `path`, for an atomic replace.
static std::string tempBeside(const std::string &path, const char *tag) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (dir.empty()) dir = "/";
  std::string tmpl = dir + "/.gradc-" + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = mkstemp(buf.data());
  if (fd < 0)
    throw Error::located(path + ": error: cannot create a file in '" + dir +
                "': " + std::strerror(errno));
  close(fd);
  return buf.data();
}

/// Runs argv[0] with argv (no shell) and returns its exit status.
static int runProgram(const std::vector<std::string> &args) {
  std::vector<char *> argv;
  for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  if (rc != 0)
    throw Error("cannot run the Python interpreter '" + args[0] +
                "': " + std::strerror(rc) + " (set GRADC_PYTHON)");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw Error(std::string("waiting for the ONNX reader: ") + std::strerror(errno));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/// Removes a file when it goes out of scope (unless released).
struct RemoveOnExit {
  std::string path;
  ~RemoveOnExit() {
    if (!path.empty()) std::remove(path.c_str());
  }
};

int importCommand(int argc, char **argv) {
  ArgSpec spec;
  spec.withValue = {"-o", "--size"};
  spec.multi = {"--trainable"};
  spec.switches = {"--help", "-h"};
  Args args = parseArgs(argc, argv, 1, spec);
  if (args.has("--help") || args.has("-h")) {
    std::cout << kImportHelp;
    return 0;
  }
  if (args.positional.size() != 1) throw Error("expected one ONNX model file");
  if (!args.has("-o")) throw Error("import needs -o OUT (.json or .grad)");
  const std::string model = args.positional[0];
  const std::string out = args.get("-o");
  GraphFormat format = graphFormatOf(out);
  if (format == GraphFormat::IR)
    throw Error("import writes .json or .grad, not IR text");
  if (!isFile(model)) throw Error::located(model + ": error: no such file");

  const char *py = std::getenv("GRADC_PYTHON");
  std::vector<std::string> cmd = {py && *py ? py : GRADC_PYTHON_EXECUTABLE,
                                  findImporter(), model, "-o"};
  RemoveOnExit json{tempBeside(out, "import")};
  cmd.push_back(json.path);
  std::vector<std::string> trainable = args.all("--trainable");
  if (args.has("--trainable") && trainable.empty())
    throw Error("--trainable needs initializer names or 'all'");
  if (!trainable.empty()) {
    cmd.push_back("--trainable");
    cmd.insert(cmd.end(), trainable.begin(), trainable.end());
  }
  for (const std::string &s : args.all("--size")) {
    cmd.push_back("--size");
    cmd.push_back(s);
  }
  if (int rc = runProgram(cmd); rc != 0)
    return 1; // the reader printed its error on stderr

  // gradc's frontend checks what the reader wrote, as for any graph file.
  std::string text = readTextFile(json.path);
  auto g = parseGraphText(text, model + " (imported)", GraphFormat::Json);
  std::string result = format == GraphFormat::Json ? text : writeGraphText(*g, format);

  RemoveOnExit tmp{tempBeside(out, "write")};
  {
    std::ofstream f(tmp.path, std::ios::binary | std::ios::trunc);
    f << result;
    f.close();
    if (!f) throw Error::located(out + ": error: cannot write the file");
  }
  // mkstemp made it private; give OUT the permissions of a new file.
  mode_t mask = umask(0);
  umask(mask);
  chmod(tmp.path.c_str(), 0666 & ~mask);
  if (std::rename(tmp.path.c_str(), out.c_str()) != 0)
    throw Error::located(out + ": error: cannot write the file: " + std::strerror(errno));
  tmp.path.clear();
  return 0;
}

} // namespace gradc
