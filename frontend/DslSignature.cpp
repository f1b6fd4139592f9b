//===- frontend/DslSignature.cpp - Input shapes of a DSL program ----------===//
//
// Reads the shapes of a program's input declarations (`x = input(B, 784)`,
// `w = randn(784, H, requires_grad=True)`, `full([B, 2], 0.5)`, `size=`)
// from the syntax tree, before anything is lowered: size variables have to
// be bound before the program can be built, and binding needs to know where
// each variable appears. A name in a declaration's shape is a size variable
// (a defined tensor there is an error that lowering reports).
//
//===----------------------------------------------------------------------===//
#include "frontend/DslParser.h"

#include <limits>

namespace gradc {
namespace {

/// The constructors that declare inputs with a shape (tensor() takes data).
bool declaresShape(const std::string &ctor) {
  for (const char *c : {"ones", "zeros", "full", "randn", "rand", "input", "empty"})
    if (ctor == c) return true;
  return false;
}

/// Appends the dimensions an argument spells: a number, a name, or a list
/// of them. Anything else is a malformed dim (-1), left for lowering to
/// report.
void readDims(const Expr &e, std::vector<SymDim> &dims, bool nested) {
  if (e.kind == Expr::Number && e.isInt && !e.negative && !e.overflow &&
      e.uval <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    dims.push_back(SymDim{static_cast<int64_t>(e.uval), ""});
  } else if (e.kind == Expr::Name && !e.quoted) {
    dims.push_back(SymDim{0, e.text});
  } else if (!nested && (e.kind == Expr::List || e.kind == Expr::Tuple)) {
    for (const ExprPtr &item : e.items) {
      if (item) readDims(*item, dims, true);
      else dims.push_back(SymDim{-1, ""});
    }
  } else {
    dims.push_back(SymDim{-1, ""});
  }
}

void readDeclarations(const std::vector<StmtPtr> &stmts,
                      const std::string &fileName, GraphSignature &sig) {
  for (const StmtPtr &s : stmts) {
    if (s->kind == Stmt::With) {
      readDeclarations(s->body, fileName, sig);
      continue;
    }
    if (s->kind != Stmt::Assign || s->targetTemp || !s->value ||
        s->value->kind != Expr::Call)
      continue;
    const Expr &call = *s->value;
    const Expr &callee = call.callee();
    if ((callee.kind != Expr::Name && callee.kind != Expr::Attribute) ||
        !declaresShape(callee.text))
      continue;
    InputSignature in;
    in.input = s->target;
    in.where = fileName + ":" + std::to_string(s->loc.line) + ":" +
               std::to_string(s->loc.col);
    const Expr *size = nullptr;
    for (const Keyword &k : call.keywords)
      if (k.name == "size" && k.value) size = k.value.get();
    if (size) {
      readDims(*size, in.dims, false);
    } else if (callee.text == "full") {
      if (call.items.size() > 1) readDims(*call.items[1], in.dims, false);
    } else {
      for (size_t i = 1; i < call.items.size(); ++i)
        readDims(*call.items[i], in.dims, call.items.size() > 2);
    }
    sig.inputs.push_back(std::move(in));
  }
}

} // namespace

GraphSignature dslProgramSignature(const std::vector<StmtPtr> &program,
                                   const std::string &fileName) {
  GraphSignature sig;
  readDeclarations(program, fileName, sig);
  return sig;
}

GraphSignature dslGraphSignature(const std::string &text,
                                 const std::string &fileName) {
  Diagnostics diags(text, fileName);
  try {
    std::vector<Token> toks = lexDsl(text, diags);
    return dslProgramSignature(parseDslProgram(toks, diags), fileName);
  } catch (const TooManyErrors &) {
    // Too many syntax errors: lowering reports them when the file loads.
    return {};
  }
}

} // namespace gradc
