// Message queues: publishing, delivery to the consumer (an exchange with
// the queue as its caller), redelivery of failed messages, dead letters.

#include "kernel.hpp"

namespace tailsim::components::sim {

template <bool Observe>
void Simulation<Observe>::note_queue(Id q) {
  const QueueState& state = brokers_.queues[q];
  recorder_.queue_depth(
      q, now_, state.waiting.size(),
      state.waiting.empty() ? Duration{0} : now_ - state.waiting.front().published);
}

template <bool Observe>
bool Simulation<Observe>::publish(Id t, Id q) {
  const plan::QueueSpec& spec = plan_.queues[q];
  QueueState& state = brokers_.queues[q];
  const auto path = static_cast<Id>(plan_.workloads.size() + q);
  recorder_.path_arrival(path, now_);
  const auto backlog = static_cast<std::int64_t>(state.waiting.size() + state.delayed.size());
  if (spec.capacity >= 0 && backlog >= spec.capacity) {
    recorder_.path_finished(path, now_, now_, Outcome::rejected, 0);
    work_.tasks[t].failure = Outcome::rejected;  // the broker refuses: the step fails
    return false;
  }
  // The broker acknowledges at once; the message waits for a consumer.
  // Its deliveries draw from the publishing step's key.
  state.waiting.push_back(Message{
      now_, now_, 0, step_key(t, plan_.ops[work_.tasks[t].current], work_.tasks[t].remaining)});
  ++brokers_.open_messages;
  recorder_.queue_published(q, now_);
  note_queue(q);
  dispatch(q);
  return false;
}

template <bool Observe>
void Simulation<Observe>::dispatch(Id q) {
  const plan::QueueSpec& spec = plan_.queues[q];
  QueueState& state = brokers_.queues[q];
  while (state.in_flight < spec.partitions && !state.waiting.empty()) {
    const Message message = state.waiting.front();
    state.waiting.pop_front();
    ++state.in_flight;
    const Id x = calls_.exchanges.allocate();
    Exchange& ex = calls_.exchanges[x];
    ex.kind = ExchangeKind::delivery;
    ex.queue = q;
    ex.policy = spec.policy;
    ex.edge = spec.edge;
    ex.is_plain = plan_.edges[spec.edge].is_plain;
    ex.target_endpoint = spec.consumer;
    ex.started = now_;
    ex.published = message.published;
    ex.deliveries = message.deliveries + 1;
    ex.key = message.key + ex.deliveries;  // each delivery its own; the message's key recoverable
    if constexpr (Observe) {
      observe_exchange_start(x);
      if (obs_->tracing) {
        Observation::at(obs_->exchange_refs, x) = {};  // a queue's deliveries are not traced
      }
    }
    start_attempt(x);
  }
  note_queue(q);
}

template <bool Observe>
void Simulation<Observe>::finish_message(const Exchange& ex, Outcome outcome) {
  const plan::QueueSpec& spec = plan_.queues[ex.queue];
  QueueState& state = brokers_.queues[ex.queue];
  const auto path = static_cast<Id>(plan_.workloads.size() + ex.queue);
  --state.in_flight;
  recorder_.call_finished(ex.edge, ex.started, now_, outcome, /*attempts=*/0);
  if (outcome != Outcome::ok && ex.deliveries < spec.deliveries) {
    state.delayed.push_back(
        Message{ex.published, now_ + spec.redelivery_delay, ex.deliveries, ex.key - ex.deliveries});
    schedule(now_ + spec.redelivery_delay, EventKind::redeliver, ex.queue);
  } else {
    --brokers_.open_messages;
    recorder_.path_finished(path, ex.published, now_, outcome, ex.deliveries);
    if constexpr (Observe) {  // before its delivery: waiting in the queue, earlier deliveries
      obs_->done.add(static_cast<std::uint32_t>(plan_.services.size() + ex.queue), Where::broker,
                     (ex.started - ex.published).count());
      observe_path(path, ex.published, outcome);
    }
    // Consumed, or a dead letter: out of redeliveries.
    recorder_.queue_finished(ex.queue, ex.published, outcome == Outcome::ok);
  }
  dispatch(ex.queue);
}

template <bool Observe>
void Simulation<Observe>::on_redeliver(Id q) {
  QueueState& state = brokers_.queues[q];
  while (!state.delayed.empty() && state.delayed.front().due <= now_) {
    state.waiting.push_back(state.delayed.front());
    state.delayed.pop_front();
  }
  dispatch(q);
}

TAILSIM_SIMULATION_MEMBER(void, note_queue(Id));
TAILSIM_SIMULATION_MEMBER(bool, publish(Id, Id));
TAILSIM_SIMULATION_MEMBER(void, dispatch(Id));
TAILSIM_SIMULATION_MEMBER(void, finish_message(const Exchange&, Outcome));
TAILSIM_SIMULATION_MEMBER(void, on_redeliver(Id));

}  // namespace tailsim::components::sim
