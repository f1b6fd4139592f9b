//===- runtime/TableThreading.h - A template's table as a parameter -*- C++ -*-===//
//
// A CodeTemplate (runtime/CodeTemplate.h) reads its size-dependent literals
// from a constant table `gc_T` that the JIT defines once per module. An
// ahead-of-time object that serves a range of sizes holds the tables of
// every binding and picks one per call, so the table cannot be one global
// symbol: two threads may run two sizes at once, and the work of one call
// runs on gradc's thread pool (codegen/ParallelBlocks.h). Setting a global
// or thread_local per call would break both.
//
// Instead the template's code is rewritten, token by token, so that every
// function that reads gc_T (directly, or through a function it calls) takes
// the table as its first parameter, named gc_T as well: the reads
// themselves are untouched, they now name the parameter. The parallel
// blocks' code, which runs on other threads through a function pointer,
// receives it in its argument struct. Nothing global remains, so the code
// stays reentrant, and the tokens that compute (and so the bits) are the
// template's.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_TABLETHREADING_H
#define GRADC_RUNTIME_TABLETHREADING_H

#include <string>

namespace gradc {

/// The type and name of the table parameter the rewritten code declares.
constexpr const char *kTableParameter = "const unsigned long long *gc_T";

/// `templateText` (a CodeTemplate's text(), or any unit gradc generated)
/// with the table threaded through as a parameter (see the file comment):
///   - each function whose body reads gc_T, or calls such a function, takes
///     `const unsigned long long *gc_T` first, and each call passes it;
///   - each definition with C linkage (the entry points and the byte-size
///     functions) becomes `static` and takes the table too, read or not,
///     so that a caller can put several templates in one unit (each in a
///     namespace of its own) and call them all alike;
///   - a parallel block whose code reads the table gets it through its
///     argument struct (a member gc_T, passed to its block function);
///   - the declaration of the global table the template starts with is
///     dropped.
/// Throws gradc::Error when the table is read somewhere it cannot reach (a
/// file-scope initializer, a function whose address is taken): a caller
/// then cannot serve those sizes from one object.
std::string threadTableParameter(const std::string &templateText);

} // namespace gradc

#endif // GRADC_RUNTIME_TABLETHREADING_H
