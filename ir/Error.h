//===- ir/Error.h - The error type of the gradc libraries ------*- C++ -*-===//
//
// Two kinds of failure, as user_assert and internal_assert tell them apart:
// gradc reports bad input by throwing gradc::Error with a message that says
// what is wrong and where (node, JSON path, or file:line:col); a broken
// invariant of gradc itself (a bug, whatever the input) is an InternalError
// that names the pass or stage that found it. The CLI and the host APIs
// catch both at their boundary (the CLI exits with 1 and 3); nothing aborts.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_IR_ERROR_H
#define GRADC_IR_ERROR_H

#include <stdexcept>
#include <string>

namespace gradc {

/// A user-facing error. `what()` is the complete message.
class Error : public std::runtime_error {
public:
  explicit Error(const std::string &msg) : std::runtime_error(msg) {}
  /// An error whose message already starts with its location in the
  /// compiler's format ("FILE:LINE:COL: error: ..."), so that the driver
  /// prints it as it is.
  static Error located(const std::string &msg) {
    Error e(msg);
    e.located_ = true;
    return e;
  }
  /// True when the message carries its own "...: error: " prefix.
  bool isLocated() const { return located_; }

private:
  bool located_ = false;
};

/// A broken invariant: a bug in gradc, not a mistake in its input. Not a
/// gradc::Error, so that no handler of user errors takes it for one.
/// `what()` reads "internal error in STAGE: MESSAGE".
class InternalError : public std::logic_error {
public:
  /// `stage` names the pass or stage that found the problem ("codegen",
  /// "autodiff", "after pass 'cse'", ...).
  InternalError(const std::string &stage, const std::string &msg)
      : std::logic_error("internal error in " + stage + ": " + msg),
        stage_(stage) {}
  /// The pass or stage that found the problem.
  const std::string &stage() const { return stage_; }

private:
  std::string stage_;
};

} // namespace gradc

#endif // GRADC_IR_ERROR_H
