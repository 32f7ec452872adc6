// The faults section (SPEC.md "faults"): each fault's kind, target, window,
// options and name, checked key by key.

#include <algorithm>

#include <fmt/format.h>

#include "section_reader.hpp"

namespace tailsim::model::detail {

void read_fault(YamlReader& reader, const Cursor& c, Model& model) {
  static constexpr std::string_view kinds[] = {"kill",  "slow",      "fail", "down",
                                               "flush", "partition", "cpu"};
  Fields f(reader, c,
           {"at", "for", "kill", "slow", "fail", "down", "flush", "partition", "cpu", "pods", "add",
            "factor", "rate", "mode", "set", "name"},
           "a fault");
  if (!f.is_map()) {
    return;
  }
  Fault fault;
  fault.loc = f.loc();
  std::optional<std::size_t> kind;
  for (std::size_t i = 0; i < std::size(kinds); ++i) {
    if (!f.has(kinds[i])) {
      continue;
    }
    if (kind) {
      reader.error(f.key_loc(kinds[i]), fmt::format("a fault does one thing: it has both '{}' and "
                                                    "'{}'",
                                                    kinds[*kind], kinds[i]));
      continue;
    }
    kind = i;
  }
  if (!kind) {
    if (!f.has_unknown_keys()) {
      reader.error(f.loc(), "a fault needs one of kill, slow, fail, down, flush, partition, cpu");
    }
    return;
  }
  fault.kind = static_cast<FaultKind>(*kind);
  const bool has_several_kinds =
      std::count_if(std::begin(kinds), std::end(kinds), [&](auto k) { return f.has(k); }) > 1;
  const std::string_view kind_name = kinds[*kind];
  if (auto v = f.require("at")) {
    if (auto at = reader.duration(*v, "at")) {
      fault.at = *at;
    }
  }
  if (auto v = f.get("for")) {
    fault.length = reader.duration(*v, "for", Duration{1});
  }
  if (auto v = f.get("name")) {
    if (auto name = reader.string(*v, "name")) {
      if (is_valid_name(name->value)) {
        fault.name = *name;
      } else {
        reader.error(name->loc,
                     fmt::format("'{}' is not a valid fault name: use letters, digits, '-' "
                                 "and '_'",
                                 name->value));
      }
    }
  }
  // Which of the option keys each kind takes.
  auto takes = [&](std::string_view key) {
    switch (fault.kind) {
      case FaultKind::kill:
        return key == "pods";
      case FaultKind::slow:
        return key == "add" || key == "factor" || key == "for";
      case FaultKind::fail:
        return key == "rate" || key == "for";
      case FaultKind::down:
        return key == "mode" || key == "for";
      case FaultKind::flush:
        return false;
      case FaultKind::partition:
        return key == "for";
      case FaultKind::cpu:
        return key == "set" || key == "for";
    }
    return false;
  };
  for (std::string_view key : {"for", "pods", "add", "factor", "rate", "mode", "set"}) {
    if (f.has(key) && !takes(key) && !has_several_kinds) {
      reader.error(f.key_loc(key),
                   fmt::format("'{}' does not apply to a {} fault", key, kind_name));
    }
  }
  const Cursor target = *f.get(kind_name);
  if (fault.kind == FaultKind::partition) {
    auto ends = reader.sequence(target, "partition");
    if (ends.size() != 2) {
      reader.error(reader.loc(target), "partition names exactly two services: [a, b]");
    } else {
      auto a = reader.string(ends[0], "a service name");
      auto b = reader.string(ends[1], "a service name");
      if (a && b) {
        fault.target = *a;
        fault.other = *b;
      }
    }
  } else if (auto name = reader.string(target, kind_name)) {
    fault.target = *name;
  }
  switch (fault.kind) {
    case FaultKind::kill:
      reader.optional_field(f, "pods", fault.pods, [&](const Cursor& v) {
        return reader.integer(v, "pods", 1, max_replicas);
      });
      break;
    case FaultKind::slow:
      if (f.has("add") == f.has("factor")) {
        reader.error(f.loc(),
                     "a slow fault gives either add (extra latency) or factor (CPU demand)");
      }
      if (auto v = f.get("add")) {
        fault.add = reader.duration(*v, "add", Duration{1});
      }
      if (auto v = f.get("factor")) {
        fault.factor = reader.number(*v, "factor", 0.001, 1000);
      }
      break;
    case FaultKind::fail:
      if (auto v = f.require("rate")) {
        if (auto rate = reader.fraction(*v, "rate")) {
          fault.rate = *rate;
        }
      }
      break;
    case FaultKind::down:
      if (auto v = f.get("mode")) {
        if (auto m = reader.choice(*v, "mode", {"refuse", "blackhole"})) {
          fault.mode = as_enum<DownMode>(*m);
        }
      }
      break;
    case FaultKind::cpu:
      if (auto v = f.require("set")) {
        if (auto n = reader.number(*v, "set", 0.001, 100000)) {
          fault.set = *n;
        }
      }
      break;
    case FaultKind::flush:
    case FaultKind::partition:
      break;
  }
  model.faults.push_back(std::move(fault));
}

}  // namespace tailsim::model::detail
