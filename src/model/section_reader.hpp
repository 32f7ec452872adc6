#pragma once
/// Reads each section of the model format into the `Model` structs.
/// Private to the model module.

#include "tailsim/model/model.hpp"
#include "yaml_reader.hpp"

namespace tailsim::model::detail {

/// Fills `model` from the document root. Problems go to the reader's
/// diagnostics; references between sections are resolved afterwards by
/// `resolve_references`.
void read_model(YamlReader& reader, const Cursor& root, Model& model);

/// Resolves every name a section uses (services, endpoints, caches, queues,
/// workloads) to an id, and checks what needs more than one section.
void resolve_references(Model& model, Diagnostics& diagnostics);

}  // namespace tailsim::model::detail
