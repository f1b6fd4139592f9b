//===- examples/common/ExampleOptions.h - The examples' shared helpers ----===//
//
// What every training example needs besides its model: reading its
// `--name value` options into typed fields, and writing tensors as raw
// little-endian arrays, with the manifest that describes them, for the
// PyTorch replays (compare_torch.py). Header
// only, included by relative path, so an example still builds on its own
// against an installed gradc.
//
//===----------------------------------------------------------------------===//
#ifndef GRADC_EXAMPLES_COMMON_EXAMPLEOPTIONS_H
#define GRADC_EXAMPLES_COMMON_EXAMPLEOPTIONS_H

#include "ir/Error.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace example {

/// An example's command-line options: each is registered with the field it
/// sets, then parse() reads argv. An unknown option, a missing value or a
/// value that is not a number of the right kind is a gradc::Error naming
/// the option.
class Options {
public:
  /// `--name N`, a positive integer.
  Options &integer(const std::string &name, int64_t &field) {
    specs_.push_back({name, Kind::Integer, &field, nullptr, nullptr, nullptr});
    return *this;
  }
  /// `--name X`, a finite number.
  Options &real(const std::string &name, double &field) {
    specs_.push_back({name, Kind::Real, nullptr, &field, nullptr, nullptr});
    return *this;
  }
  /// `--name TEXT`.
  Options &text(const std::string &name, std::string &field) {
    specs_.push_back({name, Kind::Text, nullptr, nullptr, &field, nullptr});
    return *this;
  }
  /// `--name` alone sets `field`.
  Options &flag(const std::string &name, bool &field) {
    specs_.push_back({name, Kind::Flag, nullptr, nullptr, nullptr, &field});
    return *this;
  }

  /// Reads argv[1..argc).
  void parse(int argc, char **argv) const {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      const Spec *s = find(a);
      if (!s) throw gradc::Error("unknown option '" + a + "'");
      if (s->kind == Kind::Flag) {
        *s->flag = true;
        continue;
      }
      if (i + 1 >= argc) throw gradc::Error(a + " needs a value");
      std::string v = argv[++i];
      char *end = nullptr;
      if (s->kind == Kind::Integer) {
        long long n = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end || n <= 0)
          throw gradc::Error(a + " needs a positive integer, got '" + v + "'");
        *s->integer = n;
      } else if (s->kind == Kind::Real) {
        double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end || !(x - x == 0))
          throw gradc::Error(a + " needs a number, got '" + v + "'");
        *s->real = x;
      } else {
        *s->text = v;
      }
    }
  }

private:
  enum class Kind { Integer, Real, Text, Flag };
  struct Spec {
    std::string name;
    Kind kind;
    int64_t *integer;
    double *real;
    std::string *text;
    bool *flag;
  };

  const Spec *find(const std::string &name) const {
    for (const Spec &s : specs_)
      if (s.name == name) return &s;
    return nullptr;
  }

  std::vector<Spec> specs_;
};

/// Writes `t` to `path` as a raw little-endian array, as the PyTorch
/// replays read it with numpy.fromfile: i64 as int64, f64 as float64, any
/// other dtype as float32.
inline void writeRaw(const std::string &path, const gradc::Tensor &t) {
  std::ofstream f(path, std::ios::binary);
  for (double d : t.toDoubles()) {
    if (t.dtype() == gradc::DType::I64) {
      int64_t v = static_cast<int64_t>(d);
      f.write(reinterpret_cast<const char *>(&v), sizeof v);
    } else if (t.dtype() == gradc::DType::F64) {
      f.write(reinterpret_cast<const char *>(&d), sizeof d);
    } else {
      float v = static_cast<float>(d);
      f.write(reinterpret_cast<const char *>(&v), sizeof v);
    }
  }
  if (!f) throw gradc::Error("cannot write " + path);
}

/// Writes DIR/manifest.json for a PyTorch replay: the members `fields`
/// (JSON text such as "\"batch\": 64, \"lr\": 0.02"), then "params" (each
/// parameter's name and shape, in the order of the init_NAME.bin files)
/// and "losses" (each step's loss, printed so that it reads back exactly).
inline void writeManifest(const std::string &dir, const std::string &fields,
                          const std::vector<std::pair<std::string, gradc::Shape>> &params,
                          const std::vector<double> &losses) {
  std::string path = dir + "/manifest.json";
  std::ofstream f(path);
  f << "{" << fields << ", \"params\": [";
  for (size_t i = 0; i < params.size(); ++i) {
    f << (i ? ", " : "") << "{\"name\": \"" << params[i].first << "\", \"shape\": [";
    for (size_t d = 0; d < params[i].second.size(); ++d)
      f << (d ? ", " : "") << params[i].second[d];
    f << "]}";
  }
  f << "], \"losses\": [";
  char buf[64];
  for (size_t i = 0; i < losses.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.17g", losses[i]);
    f << (i ? ", " : "") << buf;
  }
  f << "]}\n";
  if (!f) throw gradc::Error("cannot write " + path);
}

} // namespace example

#endif // GRADC_EXAMPLES_COMMON_EXAMPLEOPTIONS_H
