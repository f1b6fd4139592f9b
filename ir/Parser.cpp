//===- ir/Parser.cpp - Reads the IR text form -----------------------------===//
#include "ir/Parser.h"

#include "ir/Error.h"
#include "ir/Limits.h"
#include "ir/OpClasses.h"
#include "ir/LoweringPlan.h"

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <map>
#include <unordered_map>

namespace gradc {
namespace {

enum class Tok { End, Ident, Value, String, Int, Float, Punct };

struct Token {
  Tok kind = Tok::End;
  std::string text; ///< Identifier, value name, string contents, punct.
  bool quotedValue = false; ///< %"..." rather than %ident or %N.
  int line = 1, col = 1;
};

class Parser {
public:
  Parser(const std::string &text, const std::string &file)
      : src_(text), file_(file), maxNodes_(defaultMaxNodes()) {
    next();
  }

  std::unique_ptr<Graph> parse() {
    expectIdent("graph");
    if (tok_.kind != Tok::String) fail("expected the graph name as a string");
    auto g = std::make_unique<Graph>(tok_.text);
    next();
    expectPunct("{");
    while (!isPunct("}")) {
      if (tok_.kind == Tok::End) fail("expected '}' to close the graph");
      if (tok_.kind == Tok::Ident && tok_.text == "output")
        parseOutput(*g);
      else if (tok_.kind == Tok::Ident && tok_.text == "gradient")
        parseGradient(*g);
      else
        parseNode(*g);
    }
    next();
    if (tok_.kind != Tok::End) fail("unexpected text after the graph");
    return g;
  }

private:
  // --- Lexer ---------------------------------------------------------------
  char peekc(size_t k = 0) const {
    return pos_ + k < src_.size() ? src_[pos_ + k] : '\0';
  }
  void advance() {
    if (src_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }
  static bool isIdStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  static bool isIdChar(char c) {
    return isIdStart(c) || (c >= '0' && c <= '9') || c == '.';
  }
  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  std::string lexString() {
    advance(); // opening quote
    std::string s;
    while (true) {
      if (pos_ >= src_.size() || peekc() == '\n')
        failAt(line_, col_, "unterminated string");
      char c = peekc();
      advance();
      if (c == '"') return s;
      if (c != '\\') {
        s += c;
        continue;
      }
      char e = peekc();
      if (e == '"' || e == '\\') {
        s += e;
        advance();
      } else if (e == 'x') {
        advance();
        auto hexv = [&](char h) -> int {
          if (isDigit(h)) return h - '0';
          if (h >= 'a' && h <= 'f') return h - 'a' + 10;
          if (h >= 'A' && h <= 'F') return h - 'A' + 10;
          failAt(line_, col_, "bad \\x escape in string");
        };
        int hi = hexv(peekc());
        advance();
        int lo = hexv(peekc());
        advance();
        s += static_cast<char>(hi * 16 + lo);
      } else {
        failAt(line_, col_, "unknown escape in string");
      }
    }
  }

  void next() {
    // Skip blanks and // comments.
    while (pos_ < src_.size()) {
      char c = peekc();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance();
      } else if (c == '/' && peekc(1) == '/') {
        while (pos_ < src_.size() && peekc() != '\n') advance();
      } else {
        break;
      }
    }
    tok_ = Token();
    tok_.line = line_;
    tok_.col = col_;
    if (pos_ >= src_.size()) return;
    char c = peekc();
    if (c == '%') {
      advance();
      tok_.kind = Tok::Value;
      if (peekc() == '"') {
        tok_.text = lexString();
        tok_.quotedValue = true;
      } else if (isIdChar(peekc())) {
        while (isIdChar(peekc())) {
          tok_.text += peekc();
          advance();
        }
      } else {
        failAt(tok_.line, tok_.col, "expected a value name after '%'");
      }
      return;
    }
    if (c == '"') {
      tok_.kind = Tok::String;
      tok_.text = lexString();
      return;
    }
    if (isIdStart(c)) {
      while (isIdChar(peekc())) {
        tok_.text += peekc();
        advance();
      }
      // inf and nan are float literals.
      if (tok_.text == "inf" || tok_.text == "nan") {
        tok_.kind = Tok::Float;
        return;
      }
      tok_.kind = Tok::Ident;
      return;
    }
    if (isDigit(c) || (c == '-' && (isDigit(peekc(1)) || peekc(1) == 'i'))) {
      bool isFloat = false;
      if (c == '-') {
        tok_.text += c;
        advance();
        if (peekc() == 'i') { // -inf
          while (isIdChar(peekc())) {
            tok_.text += peekc();
            advance();
          }
          if (tok_.text != "-inf") failAt(tok_.line, tok_.col, "bad number");
          tok_.kind = Tok::Float;
          return;
        }
      }
      while (isDigit(peekc()) || peekc() == '.' || peekc() == 'e' ||
             peekc() == 'E' ||
             ((peekc() == '-' || peekc() == '+') &&
              (tok_.text.back() == 'e' || tok_.text.back() == 'E'))) {
        if (!isDigit(peekc())) isFloat = true;
        tok_.text += peekc();
        advance();
      }
      tok_.kind = isFloat ? Tok::Float : Tok::Int;
      return;
    }
    tok_.kind = Tok::Punct;
    tok_.text = std::string(1, c);
    advance();
  }

  // --- Helpers -------------------------------------------------------------
  [[noreturn]] void failAt(int line, int col, const std::string &msg) const {
    throw Error::located(file_ + ":" + std::to_string(line) + ":" +
                         std::to_string(col) + ": error: " + msg);
  }
  [[noreturn]] void fail(const std::string &msg) const {
    failAt(tok_.line, tok_.col, msg);
  }
  bool isPunct(const char *p) const {
    return tok_.kind == Tok::Punct && tok_.text == p;
  }
  void expectPunct(const char *p) {
    if (!isPunct(p)) fail(std::string("expected '") + p + "'");
    next();
  }
  void expectIdent(const char *id) {
    if (tok_.kind != Tok::Ident || tok_.text != id)
      fail(std::string("expected '") + id + "'");
    next();
  }
  int64_t parseIntTok() {
    if (tok_.kind != Tok::Int) fail("expected an integer");
    errno = 0;
    char *end = nullptr;
    long long v = std::strtoll(tok_.text.c_str(), &end, 10);
    if (errno == ERANGE) fail("integer out of range");
    next();
    return v;
  }
  double parseNumberTok() {
    if (tok_.kind != Tok::Int && tok_.kind != Tok::Float)
      fail("expected a number");
    double v = std::strtod(tok_.text.c_str(), nullptr);
    if (tok_.text == "nan") v = std::numeric_limits<double>::quiet_NaN();
    next();
    return v;
  }

  Node *lookupValue() {
    if (tok_.kind != Tok::Value) fail("expected a value (%name)");
    std::string key = (tok_.quotedValue ? "\"" : "") + tok_.text;
    auto it = values_.find(key);
    if (it == values_.end()) fail("use of undefined value '%" + tok_.text + "'");
    next();
    return it->second;
  }

  TensorType parseType() {
    if (tok_.kind != Tok::Ident) fail("expected a type like f32[2,2]");
    auto dt = parseDType(tok_.text);
    if (!dt) fail("unknown dtype '" + tok_.text + "'");
    next();
    expectPunct("[");
    Shape s;
    while (!isPunct("]")) {
      if (!s.empty()) expectPunct(",");
      int64_t d = parseIntTok();
      if (d < 0) fail("negative dimension in a type");
      s.push_back(d);
    }
    next();
    if (!numElementsChecked(s)) fail("the element count of this type overflows");
    return {*dt, s};
  }

  Attr parseAttrValue() {
    if (tok_.kind == Tok::Int) return parseIntTok();
    if (tok_.kind == Tok::Float) return parseNumberTok();
    if (tok_.kind == Tok::String) {
      std::string s = tok_.text;
      next();
      return s;
    }
    if (tok_.kind == Tok::Ident && (tok_.text == "true" || tok_.text == "false")) {
      bool b = tok_.text == "true";
      next();
      return b;
    }
    if (isPunct("[")) {
      next();
      std::vector<int64_t> ints;
      std::vector<double> floats;
      bool anyFloat = false;
      while (!isPunct("]")) {
        if (!ints.empty() || !floats.empty()) expectPunct(",");
        if (tok_.kind == Tok::Float) anyFloat = true;
        if (tok_.kind == Tok::Int) {
          double d = std::strtod(tok_.text.c_str(), nullptr);
          ints.push_back(parseIntTok());
          floats.push_back(d);
        } else {
          floats.push_back(parseNumberTok());
          ints.push_back(0);
        }
      }
      next();
      if (anyFloat) return floats;
      return ints;
    }
    fail("expected an attribute value");
  }

  void parseNode(Graph &g) {
    if (tok_.kind != Tok::Value) fail("expected '%name = op(...)', 'output' or 'gradient'");
    Token nameTok = tok_;
    std::string key = (tok_.quotedValue ? "\"" : "") + tok_.text;
    if (values_.count(key)) fail("value '%" + tok_.text + "' is defined twice");
    // %N (digits only, unquoted) is a temporary; anything else a user name.
    bool temp = !tok_.quotedValue && isDigit(tok_.text[0]);
    std::string name = temp ? "" : tok_.text;
    next();
    expectPunct("=");
    if (tok_.kind != Tok::Ident) fail("expected an op name");
    std::string opName = tok_.text;
    int opLine = tok_.line, opCol = tok_.col;
    auto op = lookupOp(opName);
    if (!op) fail("unknown op '" + opName + "'");
    next();
    expectPunct("(");
    std::vector<Node *> operands;
    while (!isPunct(")")) {
      if (!operands.empty()) expectPunct(",");
      operands.push_back(lookupValue());
    }
    next();
    AttrMap attrs;
    std::map<std::string, std::pair<int, int>> attrAt; // name -> line, col
    if (isPunct("{")) {
      next();
      while (!isPunct("}")) {
        if (!attrs.empty()) expectPunct(",");
        if (tok_.kind != Tok::Ident) fail("expected an attribute name");
        std::string an = tok_.text;
        if (attrs.count(an)) fail("attribute '" + an + "' given twice");
        attrAt[an] = {tok_.line, tok_.col};
        next();
        expectPunct("=");
        attrs[an] = parseAttrValue();
      }
      next();
    }
    expectPunct(":");
    int typeLine = tok_.line, typeCol = tok_.col;
    TensorType type = parseType();
    bool noGrad = false;
    if (auto it = attrs.find("no_grad"); it != attrs.end()) {
      // The parser interprets this one itself, so it checks the kind here,
      // where the attribute's position is known.
      try {
        noGrad = getBool(attrs, "no_grad", false);
      } catch (const Error &e) {
        failAt(attrAt["no_grad"].first, attrAt["no_grad"].second, e.what());
      }
      attrs.erase(it);
    }
    std::string gradFn; // a composite's grad_fn (Node::gradFn)
    if (auto it = attrs.find("grad_fn"); it != attrs.end()) {
      try {
        gradFn = getString(attrs, "grad_fn", "");
      } catch (const Error &e) {
        failAt(attrAt["grad_fn"].first, attrAt["grad_fn"].second, e.what());
      }
      attrs.erase(it);
    }
    // Lowering decisions in optimized dumps (passes/Lowering.h) are derived
    // data: the pipeline plans a parsed graph again.
    for (const char *derived : {kKernelAttr, kBufAttr, kSplitBufAttr})
      attrs.erase(derived);

    // Checked as the text is read: a huge file stops at the limit.
    if (g.nodes().size() >= maxNodes_)
      failAt(opLine, opCol, tooManyNodesMessage(maxNodes_));
    Node *n = nullptr;
    try {
      if (opInfo(*op).cls == OpClass::Leaf) {
        switch (leafOp(*op)) {
        case LeafOp::Input:
          if (temp) failAt(nameTok.line, nameTok.col, "an input needs a name");
          n = g.addInput(name, type, attrs);
          break;
        case LeafOp::Constant: {
          double v = getFloat(attrs, "value", 0.0);
          std::vector<double> data = getFloats(attrs, "data");
          if (!data.empty() && static_cast<int64_t>(data.size()) != type.numel())
            failAt(opLine, opCol, "constant data has " +
                                      std::to_string(data.size()) +
                                      " elements but the type has " +
                                      std::to_string(type.numel()));
          n = g.addConstant(type, v, data);
          n->name = name;
          break;
        }
        case LeafOp::Seed:
          n = g.addSeed(getString(attrs, "output", ""), type);
          n->name = name;
          break;
        }
      } else { // every other op: its row's shape rule gives the type
        n = g.addNode(*op, operands, attrs, name);
        if (n->type != type)
          failAt(typeLine, typeCol,
                 "declared type " + type.str() + " does not match the type " +
                     n->type.str() + " that '" + opName + "' produces");
      }
    } catch (const Error &e) {
      if (e.isLocated()) throw;
      failAt(opLine, opCol, e.what());
    }
    n->noGrad = noGrad;
    n->gradFn = gradFn;
    values_[key] = n;
  }

  void parseOutput(Graph &g) {
    next();
    if (tok_.kind != Tok::String) fail("expected the output name as a string");
    std::string name = tok_.text;
    next();
    expectPunct("=");
    g.addOutput(name, lookupValue());
  }

  void parseGradient(Graph &g) {
    next();
    if (tok_.kind != Tok::String) fail("expected the input name as a string");
    std::string name = tok_.text;
    Node *input = g.findNode(name);
    if (!input || input->op != OpKind::Input)
      fail("gradient of '" + name + "', which is not an input");
    next();
    expectPunct("=");
    g.addGradient(input, lookupValue());
  }

  const std::string &src_;
  std::string file_;
  uint64_t maxNodes_; ///< defaultMaxNodes() (GRADC_MAX_NODES)
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
  Token tok_;
  std::unordered_map<std::string, Node *> values_;
};

} // namespace

std::unique_ptr<Graph> parseGraph(const std::string &text,
                                  const std::string &fileName) {
  return Parser(text, fileName).parse();
}

} // namespace gradc
