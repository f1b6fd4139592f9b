//===- tools/gradc.cpp - The gradc command-line driver --------------------===//
#include "ir/Error.h"
#include "tools/Commands.h"

#include <csignal>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <pthread.h>
#include <unistd.h>

namespace {

/// Exit status of a failure that is gradc's fault, not the input's.
constexpr int kInternalErrorStatus = 3;

/// Last resort for a crash: say so on stderr and exit with the internal
/// error status, instead of dying silently. Only async-signal-safe calls.
extern "C" void onFatalSignal(int sig) {
  static const char msg[] =
      "gradc: internal error: fatal signal (a bug in gradc: please report "
      "it with the input that caused it)\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  _exit(kInternalErrorStatus);
}

/// Installs onFatalSignal for crashes, on an alternate stack so that a
/// stack overflow can still report.
/// True in sanitizer builds, whose own crash reports are far more useful.
constexpr bool kSanitized =
#if defined(__SANITIZE_ADDRESS__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

/// Gives the calling thread an alternate signal stack (they are per thread).
void installAltStack() {
  if (kSanitized) return;
  static thread_local char altStack[1 << 16];
  stack_t ss{};
  ss.ss_sp = altStack;
  ss.ss_size = sizeof altStack;
  sigaltstack(&ss, nullptr);
}

void installCrashHandler() {
  if (kSanitized) return;
  installAltStack();
  struct sigaction sa {};
  sa.sa_handler = onFatalSignal;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
    sigaction(sig, &sa, nullptr);
}

/// Stack of the thread that runs a command. Clang (inside the JIT) and other
/// recursive code recurse as deep as generated code is long; the default
/// 8 MiB main-thread stack overflowed on fused kernels of a few thousand
/// ops. The memory is reserved, and only touched pages are committed.
constexpr size_t kCommandStackBytes = size_t(1) << 30;

/// Runs `body` on a thread with kCommandStackBytes of stack and returns its
/// result; runs it directly if such a thread cannot be created.
int runOnLargeStack(int (*body)(int, char **), int argc, char **argv) {
  struct Call {
    int (*body)(int, char **);
    int argc;
    char **argv;
    int result;
  } call{body, argc, argv, 0};
  pthread_attr_t attr;
  pthread_t thread;
  if (pthread_attr_init(&attr) != 0) return body(argc, argv);
  bool started =
      pthread_attr_setstacksize(&attr, kCommandStackBytes) == 0 &&
      pthread_create(&thread, &attr, [](void *p) -> void * {
        installAltStack();
        auto *c = static_cast<Call *>(p);
        c->result = c->body(c->argc, c->argv);
        return nullptr;
      }, &call) == 0;
  pthread_attr_destroy(&attr);
  if (!started) return body(argc, argv);
  pthread_join(thread, nullptr);
  return call.result;
}

const char *kUsage =
    R"HELP(gradc - a static-graph compiler for reverse-mode automatic differentiation

usage: gradc COMMAND GRAPH [options]

Commands:
  run      JIT-compile a graph and run it once: outputs and gradients
  dump     print a stage: ir, grad-ir, opt-ir, cpp, llvm or asm
  opt      run chosen passes (--passes=cse,dce) and print the IR
  compile  write NAME.h + NAME.cpp (+ NAME.o) for an ahead-of-time build
  convert  translate between JSON (.json) and the DSL (.grad)
  check    compare every gradient with central finite differences (f64)
  bench    time the fused forward+backward entry point
  import   convert an ONNX model to a gradc graph (.json or .grad)
  jacobian the full Jacobian of an output in one batched sweep
  hessian  the Hessian of a scalar output (forward-over-reverse)

GRAPH is a .json graph, a .grad DSL program or a .gir IR text file.
Run 'gradc COMMAND --help' for the options of a command.
)HELP";

int runCommandLine(int argc, char **argv);

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::cout << kUsage;
    return argc < 2 ? 1 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::cout << "gradc " GRADC_VERSION_STRING "\n";
    return 0;
  }
  installCrashHandler();
  return runOnLargeStack(runCommandLine, argc, argv);
}

namespace {

/// Dispatches to the command and turns every exception into a message and
/// an exit status.
int runCommandLine(int argc, char **argv) {
  std::string cmd = argv[1];
  try {
    if (cmd == "run") return gradc::runCommand(argc - 1, argv + 1);
    if (cmd == "dump") return gradc::dumpCommand(argc - 1, argv + 1);
    if (cmd == "opt") return gradc::optCommand(argc - 1, argv + 1);
    if (cmd == "compile") return gradc::compileCommand(argc - 1, argv + 1);
    if (cmd == "convert") return gradc::convertCommand(argc - 1, argv + 1);
    if (cmd == "check") return gradc::checkCommand(argc - 1, argv + 1);
    if (cmd == "bench") return gradc::benchCommand(argc - 1, argv + 1);
    if (cmd == "import") return gradc::importCommand(argc - 1, argv + 1);
    if (cmd == "jacobian") return gradc::jacobianCommand(argc - 1, argv + 1);
    if (cmd == "hessian") return gradc::hessianCommand(argc - 1, argv + 1);
    std::cerr << "gradc: error: unknown command '" << cmd
              << "' (run 'gradc --help')\n";
    return 2;
  } catch (const gradc::InternalError &e) {
    // A bug in gradc, not in the input: its own status, so that scripts
    // and the hostile-input tests tell it from a user error.
    std::cerr << "gradc: " << e.what() << "\n";
    return kInternalErrorStatus;
  } catch (const gradc::Error &e) {
    std::string msg = e.what();
    // Located messages already read "FILE:LINE:COL: error: ...".
    if (!e.isLocated()) msg = "error: " + msg;
    std::cerr << msg << (msg.empty() || msg.back() != '\n' ? "\n" : "");
    return 1;
  } catch (const std::bad_alloc &) {
    std::cerr << "gradc: error: out of memory\n";
    return 1;
  } catch (const std::exception &e) {
    // Any other exception escaping on user input is a bug to fix.
    std::cerr << "gradc: internal error: " << e.what() << "\n";
    return kInternalErrorStatus;
  } catch (...) {
    std::cerr << "gradc: internal error: unknown exception\n";
    return kInternalErrorStatus;
  }
}

} // namespace
