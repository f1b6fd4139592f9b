//===- runtime/CodeTemplate.h - Generated code with its sizes as a table -*- C++ -*-===//
//
// A graph with size variables gives, at each binding, a translation unit
// that is the code of a static graph. Within a range of sizes those units
// differ only in number literals computed from the sizes (trip counts,
// offsets in the workspace, GEMM dimensions, a mean's divisor); the
// emitters' size-dependent choices (parallel blocks, lane counts, the
// stand-ins of tiny loops) change the code's structure, and so start another
// range. A CodeTemplate is such a unit with every literal that varies read
// from a constant table instead:
//
//   cblas_sgemm(101, 111, 111, ((int)gc_T[0]), 512, 784, ...)
//
// compiled once, and linked once per binding against a table that holds the
// binding's literals (`extern "C" const unsigned long long gc_T[]`, defined
// per module: no mutable state, so calls stay reentrant).
//
// Exactness: a binding uses a template only if its own unit, tokenized, is
// the template's token for token, the table slots excepted, which must hold
// number literals of the same type. The template then runs the binding's
// own code with constants loaded instead of immediate, which computes the
// same values: floating point is IEEE in both (no fast-math), and the only
// loops whose floating-point order clang may choose (GC_REASSOCIABLE_LOOP)
// keep their literals. One more thing is set aside: in a function with no
// such loop and no call but exact ones (no libm transcendental, whose
// vector variant clang may pick; no helper of its own), the inlining
// attribute and the alignment assumptions of its pointers, which change
// how the code is laid out but not one bit it computes (every operation is
// IEEE, contracted within its expression only). The emitters choose those
// by size, at the inlining threshold. Comments aside, a unit that differs
// from the template in any other token (one more loop, a hint in a function
// that has a reassociable loop) is not an instance; a template keeps the
// hints of the sample it was derived from.
//
// The flag of a thread-pool dispatch (`if (0 && gradc_parallel_for)`) is
// always a slot: it is a choice by size that changes no other token.
//
// Literals stay literals (pinned) where C++ needs a constant or where the
// value steers code generation: preprocessor lines, the bounds of
// initialized arrays (`[14] = {}`; an array without initializer becomes a
// variable-length one, which clang accepts), attributes, and the header of
// a loop after GC_REASSOCIABLE_LOOP.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_RUNTIME_CODETEMPLATE_H
#define GRADC_RUNTIME_CODETEMPLATE_H

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace gradc {

/// The symbol of the table a template reads its literals from.
constexpr const char *kTemplateTableSymbol = "gc_T";

/// One translation unit of generated code, tokenized and normalized for
/// comparison (see the file comment).
struct CodeTokens {
  struct Token {
    std::string text;       ///< As written (a number keeps its suffix).
    size_t begin = 0, end = 0; ///< Its bytes in the source.
    bool number = false;    ///< A numeric literal.
    bool pinned = false;    ///< A number that must stay a literal.
    /// A number that is a slot even where the samples agree on it: an
    /// emitter's choice by size that leaves the code's form as it is
    /// (`if (0 && gradc_parallel_for)`, codegen/ParallelBlocks.h). Some
    /// sample may well differ in it, but only past a threshold far from
    /// the binding that derives the template.
    bool slot = false;
  };
  std::vector<Token> tokens;
};

/// Tokenizes generated C++ (gradc's own output: no raw strings, no trigraphs).
/// `normalize` (for comparing units) marks pinned numbers and drops the
/// bit-neutral hints (see the file comment); without it every token of the
/// source is kept, comments aside, for a caller that edits the source.
CodeTokens tokenizeGeneratedCode(const std::string &source, bool normalize = true);

/// Index of the token closing the bracket ("(", "{" or "[") opened at
/// tokens[open], or tokens.size() when it is not closed.
size_t closingToken(const std::vector<CodeTokens::Token> &tokens, size_t open);

/// Replacements in a source: bytes [begin, end) become the text.
using CodeEdits = std::vector<std::tuple<size_t, size_t, std::string>>;
/// `source` with `edits` made, in order of position (they must not
/// overlap; insertions at one position in the order of their text).
std::string applyEdits(const std::string &source, CodeEdits edits);

/// A translation unit with its size-dependent literals read from gc_T.
class CodeTemplate {
public:
  /// The template of `samples[0]` with a slot for every literal that
  /// differs among the samples (units of one graph at several bindings).
  /// std::nullopt when the samples differ otherwise (another structure, a
  /// pinned literal that differs, a literal whose type differs). Samples after the first that differ in
  /// structure from it are ignored (they are in another range of sizes),
  /// as long as one remains. A template of no slots is the code itself:
  /// the sizes did not change it.
  static std::optional<CodeTemplate> derive(const std::vector<std::string> &samples);

  /// The table of `source` for this template: the values of its literals
  /// at the slots, as the C++ compiler reads them (integers as their value,
  /// doubles and floats as their bits). std::nullopt when `source` is not
  /// this template's code at some binding.
  std::optional<std::vector<uint64_t>> match(const std::string &source) const;
  /// match() of code tokenized already (to try several templates).
  std::optional<std::vector<uint64_t>> match(const CodeTokens &code) const;

  /// True when `source` has this template's structure: the same tokens,
  /// but for numbers where the template has a slot or a literal that may
  /// vary (not pinned). Such a source is an instance, or the sample that
  /// makes a literal the samples left constant vary too.
  bool sameStructure(const std::string &source) const;
  /// sameStructure() of code tokenized already.
  bool sameStructure(const CodeTokens &code) const;

  /// The C++ of the template (the first sample's, declaring gc_T).
  const std::string &text() const { return text_; }
  /// How many slots the table has.
  size_t slots() const { return kinds_.size(); }

private:
  /// How a slot's literal is typed in C++ and stored in the table.
  enum class Kind { Int, Long, LongLong, UInt, ULong, ULongLong, Double, Float };
  static std::optional<Kind> kindOf(const std::string &literal);
  static std::optional<uint64_t> valueOf(const std::string &literal, Kind kind);
  static std::string reader(Kind kind, size_t slot);

  std::vector<std::string> expected_; ///< Normalized tokens; "" at a slot.
  std::vector<bool> free_;            ///< An unpinned number (slot or not).
  std::vector<Kind> kinds_;           ///< Per slot.
  std::vector<size_t> slotAt_;        ///< Token index of each slot.
  std::string text_;
};

} // namespace gradc

#endif // GRADC_RUNTIME_CODETEMPLATE_H
