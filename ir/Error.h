//===- ir/Error.h - The error type of the gradc libraries ------*- C++ -*-===//
//
// gradc reports bad input by throwing gradc::Error with a message that says
// what is wrong and where (node, JSON path, or file:line:col). The CLI and
// the host APIs catch it at their boundary; nothing aborts on user input.
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
};

} // namespace gradc

#endif // GRADC_IR_ERROR_H
