#include "tailsim/model/model.hpp"

#include <algorithm>

namespace tailsim::model {
namespace {

template <class Range>
auto find_named(const Range& items, std::string_view wanted) -> decltype(&*items.begin()) {
  auto it = std::find_if(items.begin(), items.end(),
                         [&](const auto& item) { return item.name.value == wanted; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

const Endpoint* Service::find_endpoint(std::string_view wanted) const {
  return find_named(endpoints, wanted);
}
const Service* Model::find_service(std::string_view wanted) const {
  return find_named(services, wanted);
}
const Cache* Model::find_cache(std::string_view wanted) const {
  return find_named(caches, wanted);
}
const Queue* Model::find_queue(std::string_view wanted) const {
  return find_named(queues, wanted);
}
const Workload* Model::find_workload(std::string_view wanted) const {
  return find_named(workloads, wanted);
}

std::string_view to_string(StepKind kind) {
  switch (kind) {
    case StepKind::cpu:
      return "cpu";
    case StepKind::delay:
      return "delay";
    case StepKind::call:
      return "call";
    case StepKind::parallel:
      return "parallel";
    case StepKind::branch:
      return "branch";
    case StepKind::cache:
      return "cache";
    case StepKind::publish:
      return "publish";
    case StepKind::fail:
      return "fail";
    case StepKind::batch:
      return "batch";
  }
  return "?";
}

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::rejected:
      return "rejected";
    case ErrorKind::error:
      return "error";
    case ErrorKind::unavailable:
      return "unavailable";
  }
  return "?";
}

std::string_view to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kill:
      return "kill";
    case FaultKind::slow:
      return "slow";
    case FaultKind::fail:
      return "fail";
    case FaultKind::down:
      return "down";
    case FaultKind::flush:
      return "flush";
    case FaultKind::partition:
      return "partition";
    case FaultKind::cpu:
      return "cpu";
  }
  return "?";
}

std::string_view to_string(ScaleMetric metric) {
  switch (metric) {
    case ScaleMetric::cpu:
      return "cpu";
    case ScaleMetric::concurrency:
      return "concurrency";
    case ScaleMetric::rps:
      return "rps";
    case ScaleMetric::queue_lag:
      return "queue_lag";
  }
  return "?";
}

}  // namespace tailsim::model
