#pragma once
/// Reads each section of the model format into the `Model` structs.
/// Private to the model module.

#include "tailsim/model/model.hpp"
#include "yaml_reader.hpp"

namespace tailsim::model::detail {

/// The most replicas (and pods a fault kills) a model may ask for.
inline constexpr std::int64_t max_replicas = 100'000;

/// A choice's index as the enum it names, with its location.
template <class Enum>
Located<Enum> as_enum(const Located<std::size_t>& choice) {
  return Located<Enum>{static_cast<Enum>(choice.value), choice.loc};
}

/// Fills `model` from the document root. Problems go to the reader's
/// diagnostics; references between sections are resolved afterwards by
/// `resolve_references`. `duration`: the measured duration the run will
/// take instead of the model's (LoadOptions::duration), if any.
void read_model(YamlReader& reader, const Cursor& root, Model& model,
                std::optional<Duration> duration = std::nullopt);

/// Reads one fault of the faults section into `model.faults`
/// (fault_reader.cpp).
void read_fault(YamlReader& reader, const Cursor& c, Model& model);

/// Resolves every name a section uses (services, endpoints, caches, queues,
/// workloads) to an id, and checks what needs more than one section.
void resolve_references(Model& model, Diagnostics& diagnostics);

}  // namespace tailsim::model::detail
