//===- runtime/AotRange.cpp - One AOT object for a range of sizes ---------===//
#include "runtime/AotRange.h"

#include "codegen/CodeWriter.h"
#include "codegen/HeaderEmitter.h"
#include "ir/Error.h"
#include "runtime/CodeTemplate.h"
#include "runtime/TableThreading.h"

#include <optional>

namespace gradc {

namespace {

/// "B=1..256, T=8" for messages.
std::string rangesString(const std::vector<SizeRange> &ranges) {
  std::string s;
  for (const SizeRange &r : ranges) {
    s += (s.empty() ? "" : ",") + r.name + "=" + std::to_string(r.lo);
    if (r.hi != r.lo) s += ".." + std::to_string(r.hi);
  }
  return s;
}

/// The binding of row-major index `b` (the first variable varies slowest).
SizeBinding bindingAt(const std::vector<SizeRange> &ranges, int64_t b) {
  SizeBinding s;
  for (size_t k = ranges.size(); k-- > 0;) {
    s[ranges[k].name] = ranges[k].lo + b % ranges[k].count();
    b /= ranges[k].count();
  }
  return s;
}

/// The code after the templates: tables, the binding of the sizes, and the
/// entry points that take them.
std::string emitDispatch(const std::string &p, const std::vector<SizeRange> &ranges,
                         const std::vector<std::vector<std::vector<uint64_t>>> &tables,
                         const std::vector<size_t> &slots, const std::vector<size_t> &which,
                         const std::vector<size_t> &row) {
  CodeWriter w;
  const std::string K = std::to_string(ranges.size());
  // An initialized array, `perLine` values a line.
  auto list = [&](const std::string &decl, const std::vector<std::string> &values,
                  size_t perLine) {
    w.line(decl + " = {");
    std::string line;
    for (size_t k = 0; k < values.size(); ++k) {
      line += values[k] + ",";
      if ((k + 1) % perLine == 0 || k + 1 == values.size()) {
        w.line(line);
        line.clear();
      } else {
        line += " ";
      }
    }
    w.line("};");
  };
  w.line("namespace {");
  w.line("// The tables of every binding, per template: row r of gc_table<i> holds");
  w.line("// the literals of the template's code at one binding (its slots).");
  for (size_t i = 0; i < tables.size(); ++i) {
    std::vector<std::string> values;
    for (const auto &t : tables[i])
      for (uint64_t v : t) values.push_back(std::to_string(v) + "ULL");
    if (values.empty()) values.push_back("0ULL"); // an array needs an element
    list("const unsigned long long gc_table" + std::to_string(i) + "[" +
             std::to_string(values.size()) + "]",
         values, 8);
  }
  std::vector<std::string> wv, rv, lo, hi;
  for (size_t b = 0; b < which.size(); ++b) {
    wv.push_back(std::to_string(which[b]));
    rv.push_back(std::to_string(row[b]) + "U");
  }
  for (const SizeRange &r : ranges) {
    lo.push_back(std::to_string(r.lo) + "LL");
    hi.push_back(std::to_string(r.hi) + "LL");
  }
  w.line("// Per binding (row-major over the sizes): its template and its row.");
  list("const unsigned char gc_which[" + std::to_string(which.size()) + "]", wv, 16);
  list("const unsigned int gc_row[" + std::to_string(row.size()) + "]", rv, 16);
  list("const long long gc_size_lo[" + K + "]", lo, 16);
  list("const long long gc_size_hi[" + K + "]", hi, 16);
  w.line("// The index of the binding `sizes` gives, or -1 when a size is out of range.");
  w.open("long long gc_binding(const long long *sizes)");
  w.line("if (!sizes) return -1;");
  w.line("long long b = 0;");
  w.open("for (int k = 0; k < " + K + "; ++k)");
  w.line("if (sizes[k] < gc_size_lo[k] || sizes[k] > gc_size_hi[k]) return -1;");
  w.line("b = b * (gc_size_hi[k] - gc_size_lo[k] + 1) + (sizes[k] - gc_size_lo[k]);");
  w.close();
  w.line("return b;");
  w.close();
  w.line("// The status of sizes out of range: site 0xFFFF in bits 48-63, the first");
  w.line("// size out of range in bits 0-47 (saturated; 0 for no sizes at all).");
  w.open("unsigned long long gc_size_status(const long long *sizes)");
  w.line("long long v = 0;");
  w.line("for (int k = 0; sizes && k < " + K + "; ++k)");
  w.line("  if (sizes[k] < gc_size_lo[k] || sizes[k] > gc_size_hi[k]) { v = sizes[k]; break; }");
  w.line("const long long lim = 140737488355327LL;");
  w.line("v = v > lim ? lim : v < -lim - 1 ? -lim - 1 : v;");
  w.line("return (" + std::to_string(kSizeStatusSite) +
         "ULL << 48) | ((unsigned long long)v & 0xFFFFFFFFFFFFULL);");
  w.close();
  w.line("} // namespace");
  for (const EntrySignature &e : kEntrySignatures) {
    std::string params = std::string("const long long *sizes") + (*e.params ? ", " : "") + e.params;
    w.blank();
    w.open("extern \"C\" unsigned long long " + p + "_sized_" + e.name + "(" + params + ")");
    w.line("const long long b = gc_binding(sizes);");
    std::string fail = e.status ? "gc_size_status(sizes)" : "0";
    w.line("if (b < 0) return " + fail + ";");
    w.open("switch (gc_which[b])");
    for (size_t i = 0; i < tables.size(); ++i) {
      std::string table = "gc_table" + std::to_string(i) + " + gc_row[b] * " +
                          std::to_string(slots[i]) + "ULL";
      w.line("case " + std::to_string(i) + ": return gc_r" + std::to_string(i) + "::" + p + "_" +
             e.name + "(" + table + (*e.args ? ", " : "") + e.args + ");");
    }
    w.close();
    w.line("return " + fail + ";");
    w.close();
  }
  return w.str();
}

/// Merges the slots of a template that hold the same value at every
/// binding (the batch size is a trip count, a GEMM dimension and a loop
/// bound at once): `text`'s reads gc_T[k] are renumbered, and `rows` keep
/// one column per distinct slot. Returns the new slot count.
size_t shareSlots(std::string &text, std::vector<std::vector<uint64_t>> &rows, size_t slots) {
  std::vector<size_t> map(slots);
  std::vector<size_t> kept; // old index of each new slot
  for (size_t k = 0; k < slots; ++k) {
    size_t to = kept.size();
    for (size_t n = 0; n < kept.size() && to == kept.size(); ++n) {
      bool same = true;
      for (const auto &r : rows) same = same && r[kept[n]] == r[k];
      if (same) to = n;
    }
    if (to == kept.size()) kept.push_back(k);
    map[k] = to;
  }
  for (auto &r : rows) {
    std::vector<uint64_t> c;
    for (size_t k : kept) c.push_back(r[k]);
    r = std::move(c);
  }
  // gc_T [ NUMBER ]: the reads CodeTemplate wrote.
  const auto t = tokenizeGeneratedCode(text, /*normalize=*/false).tokens;
  CodeEdits edits;
  for (size_t i = 0; i + 3 < t.size(); ++i)
    if (t[i].text == kTemplateTableSymbol && t[i + 1].text == "[" && t[i + 2].number &&
        t[i + 3].text == "]")
      edits.emplace_back(t[i + 2].begin, t[i + 2].end,
                         std::to_string(map[std::stoull(t[i + 2].text)]));
  text = applyEdits(text, std::move(edits));
  return kept.size();
}

} // namespace

AotRangeModule buildAotRange(const std::vector<SizeRange> &ranges,
                             const RangeGenerator &generate, const AotRangeOptions &o) {
  AotRangeModule m;
  m.ranges = ranges;
  const std::string all = o.flag + " " + rangesString(ranges);
  int64_t count = 1;
  for (const SizeRange &r : ranges) {
    std::string at = o.flag + " " + r.name + "=" + std::to_string(r.lo) + ".." + std::to_string(r.hi);
    if (r.lo < 0) throw Error(at + ": a size must not be negative");
    if (r.lo > r.hi) throw Error(at + ": the range is empty (its first size is past its last)");
    if (r.count() > o.maxBindings || count * r.count() > o.maxBindings)
      throw Error(all + ": more than " + std::to_string(o.maxBindings) +
                  " bindings of the sizes in one build");
    count *= r.count();
  }

  // The code of every binding; the first's module describes them all.
  std::vector<std::string> sources;
  std::string headLine;
  for (int64_t b = 0; b < count; ++b) {
    SizeBinding s = bindingAt(ranges, b);
    GeneratedModule g;
    try {
      g = generate(s);
    } catch (const Error &e) {
      throw Error(all + ": at " + bindingString(s) + ": " + e.what());
    }
    if (b == 0) {
      m.info = g.info;
      headLine = g.source.substr(0, g.source.find('\n'));
    }
    sources.push_back(std::move(g.source));
  }

  // Templates: the first binding not served yet and every other of its
  // structure make one (every literal that differs among them is a slot),
  // until all are served.
  std::vector<std::optional<size_t>> which(count);
  std::vector<size_t> row(count);
  std::vector<CodeTemplate> templates;
  std::vector<std::vector<std::vector<uint64_t>>> tables;
  for (int64_t first = 0; first < count;) {
    if (templates.size() == o.maxTemplates)
      throw Error(all + ": the code of these sizes has more than " +
                  std::to_string(o.maxTemplates) + " structures (a new one from " +
                  bindingString(bindingAt(ranges, first)) + "); split the range");
    std::vector<std::string> samples{sources[first], sources[first]};
    for (int64_t b = first + 1; b < count; ++b)
      if (!which[b]) samples.push_back(sources[b]);
    std::optional<CodeTemplate> t = CodeTemplate::derive(samples);
    if (!t)
      throw Error(all + ": the code at " + bindingString(bindingAt(ranges, first)) +
                  " cannot be made a template (a literal that differs has no table type)");
    tables.emplace_back();
    for (int64_t b = first; b < count; ++b) {
      if (which[b]) continue;
      std::optional<std::vector<uint64_t>> table = t->match(sources[b]);
      if (!table) continue;
      which[b] = templates.size();
      row[b] = tables.back().size();
      tables.back().push_back(std::move(*table));
    }
    m.slots.push_back(t->slots());
    m.bindings.push_back(tables.back().size());
    templates.push_back(std::move(*t));
    while (first < count && which[first]) ++first;
  }

  const std::string &p = m.info.symbolPrefix;
  CodeWriter w;
  w.line(headLine.substr(0, headLine.size() - (headLine.back() == '.' ? 1 : 0)) +
         ", for the sizes " + rangesString(ranges) + ".");
  w.line("// Self-contained: no #include. One unit for " + std::to_string(count) +
         " bindings of the sizes, " + std::to_string(templates.size()) + " code template(s):");
  w.line("// each template's code (namespace gc_r<i>) reads its size-dependent");
  w.line("// literals from a table, which its functions take as the parameter gc_T.");
  w.line("// Entry points: " + p + "_sized_fwd_bwd, " + p + "_sized_forward, " + p +
         "_sized_backward and the byte sizes, each taking the sizes first.");
  for (size_t i = 0; i < templates.size(); ++i) {
    w.blank();
    w.line("namespace gc_r" + std::to_string(i) + " {");
    m.source += w.str();
    w = CodeWriter();
    try {
      std::string text = templates[i].text();
      m.slots[i] = shareSlots(text, tables[i], m.slots[i]);
      std::string code = threadTableParameter(text);
      // Its own header comment (which names the per-size entry points) goes.
      size_t at = 0;
      while (code.compare(at, 2, "//") == 0) at = code.find('\n', at) + 1;
      m.source += code.substr(at);
    } catch (const Error &e) {
      throw Error(all + ": " + e.what());
    }
    w.line("} // namespace gc_r" + std::to_string(i));
  }
  std::vector<size_t> whichIndex;
  for (const auto &x : which) whichIndex.push_back(*x);
  w.blank();
  w.lines(emitDispatch(p, ranges, tables, m.slots, whichIndex, row));
  m.source += w.str();
  return m;
}

} // namespace gradc
