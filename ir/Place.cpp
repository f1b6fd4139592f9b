//===- ir/Place.cpp - Where the lowering plan puts values -----------------===//
#include "ir/Place.h"

namespace gradc {

std::string Place::str() const {
  switch (kind) {
  case Reg: return "reg";
  case Workspace: return "ws+" + std::to_string(offset);
  case Context: return "ctx+" + std::to_string(offset);
  case Output: return "out#" + std::to_string(index);
  case Grad: return "grad#" + std::to_string(index);
  case None: break;
  }
  return "none";
}

std::string ValuePlace::str() const {
  std::string s = home.str();
  for (const Place &p : extras) s += " " + p.str();
  return s;
}

} // namespace gradc
