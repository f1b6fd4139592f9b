//===- runtime/HostSymbols.h - Functions generated code calls --*- C++ -*-===//
#ifndef GRADC_RUNTIME_HOSTSYMBOLS_H
#define GRADC_RUNTIME_HOSTSYMBOLS_H

#include <map>
#include <string>

namespace gradc {

/// Addresses of the C math and CBLAS functions the generated prelude
/// declares, by name (CBLAS: the forwarders of runtime/Blas.h, which load
/// the library on first use). Registering them with the JIT explicitly
/// keeps generated code working where the host exports no symbols.
std::map<std::string, void *> hostSymbols();

} // namespace gradc

#endif // GRADC_RUNTIME_HOSTSYMBOLS_H
