//===- frontend/DslLower.h - DSL syntax tree to IR -------------*- C++ -*-===//
//
// Walks the statements of a parsed DSL program and builds the graph through
// GraphBuilder. Nodes are created in evaluation order, as Python evaluates:
// operands left to right, then the operation; a number literal operand
// becomes a constant right before its user (GraphBuilder::addOp), which is
// what makes `y = x + 2` identical to the JSON node {"op": "add",
// "inputs": ["x", 2]}. DslWriter relies on this order to write graphs back.
//
// Error recovery: an error abandons the statement; its target name is then
// "poisoned", so that later uses of it fail silently instead of reporting
// the same problem again.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_FRONTEND_DSLLOWER_H
#define GRADC_FRONTEND_DSLLOWER_H

#include "frontend/Decompositions.h"
#include "frontend/DslAst.h"
#include "frontend/GraphBuilder.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace gradc {

/// Lowers a parsed program to IR. `defaultName` names the graph when the
/// program has no `graph` statement. Errors go to `diags`; the graph is
/// returned only when no error was reported in any phase (else nullptr).
std::unique_ptr<Graph> lowerDslProgram(const std::vector<StmtPtr> &program,
                                       const std::string &defaultName,
                                       Diagnostics &diags,
                                       const SizeBinding &sizes = {});

/// The value of a DSL expression during lowering.
struct DslValue {
  enum Kind { Tensor, Number, Bool, String, None, List } kind = None;
  SourceLoc loc;           ///< Where the expression starts.
  Node *node = nullptr;    ///< Tensor.
  double num = 0;          ///< Number.
  bool isInt = false;      ///< Number written as an integer.
  bool fitsInt64 = false;  ///< isInt and the value is an int64_t.
  int64_t ival = 0;        ///< isInt && fitsInt64.
  bool boolValue = false;  ///< Bool.
  std::string str;         ///< String.
  std::vector<DslValue> items; ///< List (also tuples).
};

/// The lowering of one program (internal to the DSL frontend; split over
/// DslLower.cpp for statements and expressions, DslCalls.cpp for calls).
class DslLowerer {
public:
  DslLowerer(GraphBuilder &builder, Diagnostics &diags)
      : b_(builder), d_(diags) {}

  /// Lowers top-level statements. `graphStmt` is the statement that named
  /// the graph (nullptr if none); any other `graph` statement is an error.
  void program(const std::vector<StmtPtr> &stmts, const Stmt *graphStmt);
  /// True once a `return` statement was lowered (even with errors).
  bool sawReturn() const { return sawReturn_; }

  /// Unwinds out of a statement that cannot be lowered; the error (if any)
  /// is already reported.
  struct Failed {};

private:
  struct Symbol {
    Node *node = nullptr; ///< nullptr: poisoned by an earlier error.
    SourceLoc def;
  };

  [[noreturn]] void fail(SourceLoc loc, const std::string &msg);
  /// "; did you mean 'x'?" for the candidate closest to `name`, or "".
  static std::string didYouMean(const std::string &name,
                                const std::vector<std::string> &cands);

  // Statements (DslLower.cpp).
  void statements(const std::vector<StmtPtr> &stmts);
  void statement(const Stmt &s);
  void assign(const Stmt &s);
  void withStmt(const Stmt &s);
  void returnStmt(const Stmt &s);
  void exprStmt(const Stmt &s);

  // Expressions (DslLower.cpp). `root` marks the expression whose node
  // gets the assignment's name.
  DslValue eval(const Expr &e, bool root);
  DslValue evalName(const Expr &e);
  DslValue evalUnary(const Expr &e, bool root);
  DslValue evalBinary(const Expr &e, bool root);
  DslValue foldNumbers(const Expr &e, const DslValue &l, const DslValue &r);
  DslValue evalAttribute(const Expr &e, bool root);
  DslValue evalSubscript(const Expr &e, bool root);
  /// True if `e` is a module prefix such as `torch`, `T`, `F` or
  /// `torch.nn.functional` (and not a variable of that name).
  bool isModulePath(const Expr &e) const;
  /// Creates an op node; number operands become literals. Errors from the
  /// shape rules are reported at `loc` (the operator or the call).
  Node *makeOp(OpKind op, const std::vector<DslValue> &operands,
               AttrMap attrs, SourceLoc loc, bool root);
  /// The builder's operands for `operands` (tensors and numbers).
  std::vector<BuildOperand> buildOperands(const std::vector<DslValue> &operands,
                                          const char *opName);
  DslValue tensor(Node *n, SourceLoc loc) const;

  // Calls (DslCalls.cpp).
  DslValue evalCall(const Expr &e, bool root);
  DslValue callOp(OpKind op, const std::string &spelled,
                  std::vector<DslValue> positional, const Expr &call,
                  SourceLoc loc, bool root);
  /// A call of a composite op (frontend/Decompositions.h): its arguments
  /// bound as an op's are, then expanded into primitives.
  DslValue callComposite(const Decomposition &d, const std::string &spelled,
                         std::vector<DslValue> positional, const Expr &call,
                         SourceLoc loc, bool root);
  /// How a call's arguments map to operands and attributes.
  struct CallShape {
    int operands;                        ///< Leading tensor operands.
    std::vector<std::string> positional; ///< Then these attributes.
    bool varargs;                        ///< The last gathers integers.
    bool listFirst;                      ///< cat([a, b]): operands as a list.
    std::vector<std::string> attrs;      ///< Keyword arguments accepted.
    /// Fewest leading operands when the trailing ones are optional
    /// (conv2d's bias); -1: exactly `operands`.
    int minOperands = -1;
  };
  /// A call's operands and attributes.
  struct CallArgs {
    std::vector<DslValue> operands;
    AttrMap attrs;
  };
  /// Binds positional and keyword arguments per `shape`, reporting
  /// mistakes at their location.
  CallArgs bindArgs(const CallShape &shape, const std::string &spelled,
                    std::vector<DslValue> positional, const Expr &call,
                    SourceLoc loc);
  DslValue declareInput(const std::string &ctor, const Expr &call,
                        SourceLoc loc, bool root);
  /// An argument of an input declaration: a size variable (a name that is
  /// not a defined value) becomes its bound extent; lists are walked.
  DslValue evalDim(const Expr &e);
  DslValue transposeMethod(const std::string &spelled,
                           std::vector<DslValue> positional,
                           const Expr &call, SourceLoc loc, bool root);
  Attr toAttr(const DslValue &v, const std::string &what);
  int64_t toInt(const DslValue &v, const std::string &what);
  DType dtypeOf(const Expr &e);

  GraphBuilder &b_;
  Diagnostics &d_;
  std::unordered_map<std::string, Symbol> names_, temps_;
  std::vector<std::string> nameOrder_, tempOrder_; ///< For suggestions.
  const Stmt *graphStmt_ = nullptr;
  bool noGrad_ = false;
  std::string rootName_; ///< Name for the root node of this statement.
  bool rootMade_ = false; ///< The root node has been created.
  bool sawReturn_ = false;
  bool reportedAfterReturn_ = false;
  SourceLoc returnLoc_;
};

} // namespace gradc

#endif // GRADC_FRONTEND_DSLLOWER_H
