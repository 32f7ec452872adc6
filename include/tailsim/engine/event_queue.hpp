#pragma once
/// The event queue: plain events ordered by (time, sequence number).
///
/// Events due at the current instant go to a FIFO ring; all others to a 4-ary
/// min-heap over a vector. `pop` takes whichever front is earlier. Sequence
/// numbers are assigned on push, so events at the same time come out in the
/// order they were scheduled and every run is deterministic.
///
/// The heap holds only a window of the near future: events after its
/// threshold wait unsorted among the far events, and when the heap empties the
/// earliest of those move into it (a window that adapts so that each refill
/// scans from a quarter of a far event to one per event scheduled since the
/// last). A model's think times (one per user, seconds away) then stay out of
/// the heap of its network hops (milliseconds away), which is shallower for
/// it. The order is exact: every heap event is before the threshold, every
/// far event at or after it, and the heap orders by (time, sequence).
///
/// Popping the heap is bottom-up: the hole at the top goes down along the
/// earliest children to a leaf, and the heap's last entry (late, as a rule)
/// rises from there; sentinels later than any event give every node four
/// children, so there is no count to check on the way down.
///
/// Lazy cancellation: an event carries the generation of the object it
/// concerns; the dispatcher compares it with the object's current generation
/// and ignores the event when they differ. Nothing is ever removed early.
///
/// Timers are for events that are moved often, such as a CPU's next
/// completion, which changes with every request that starts or ends: a timer
/// holds at most one pending event, and setting it again moves that event in
/// a heap of its own (with a fresh sequence number, exactly as if it had
/// been pushed anew) instead of leaving a stale copy to pop and ignore.
/// A timer that fires is usually set again at once (the CPU's next
/// completion): its entry stays at the top of the timer heap until then, and
/// setting it moves it down, one pass through the heap instead of a removal
/// and an insertion. Whatever else comes first (a pop, a cancel) takes it out.
///
/// Lanes are for events that always come a fixed delay after they are
/// scheduled, such as the timeouts of calls with the same timeout: each lane
/// is already in (time, sequence) order, so it waits in a FIFO of its own and
/// only its earliest event is in the heap. Popping that event puts the
/// lane's next one in its place, one pass down the heap (or, beyond the
/// heap's window, among the far events). A model's thousands
/// of pending timeouts, most never to fire, then cost the heap a handful of
/// entries instead of thousands. An event waiting behind its lane's earliest
/// can be cancelled (a call that finished no longer times out): it is
/// skipped where it waits and never reaches the heap or the caller.
///
/// | operation | cost |
/// | --- | --- |
/// | push, event due now | O(1) |
/// | push, later event | O(log4 h) in the heap's window, h = events in it; O(1) beyond |
/// | set_timer, cancel_timer | O(log4 t), t = timers pending |
/// | push_lane | O(1) behind the lane's earliest event; as a push as its earliest |
/// | cancel_lane | O(1) |
/// | pop | O(log4 h) or O(log4 t) (O(1) from the ring) |
/// | pop that empties the heap | O(f) more, f = far events (1/4 to 1 a pushed event) |
/// | top, empty, size | O(1) |
///
/// No allocation once the vectors have grown to their peak; no virtual call.

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <vector>

#include "tailsim/core/time.hpp"

namespace tailsim::engine {

/// One scheduled event: 32 bytes, so that copies move two aligned halves
/// (an entry of 36 or 40 bytes is read across the stores that wrote it, and
/// the processor stalls until they land).
struct Event {
  Time at;
  std::uint64_t seq;
  std::uint32_t kind;
  std::uint32_t target;
  std::uint32_t generation;
  /// A timer's event: which timer. In the heap: 0, or for a lane's earliest
  /// event the lane + 1.
  std::uint32_t timer = 0;
};
static_assert(sizeof(Event) == 32);

class EventQueue {
 public:
  /// Schedules an event; `at` must not be before `now()`.
  void push(Time at, std::uint32_t kind, std::uint32_t target, std::uint32_t generation = 0) {
    assert(at >= now_);
    const std::uint64_t seq = next_seq_++;
    if (at == now_) {
      if (ring_size_ == ring_.size()) [[unlikely]] {
        grow_ring();
      }
      store(ring_[ring_size_++], at, seq, kind, target, generation, 0);
    } else {
      heap_push(at, seq, kind, target, generation, 0);
    }
  }

  /// A new lane (see above); lanes are numbered from 0.
  std::uint32_t add_lane() {
    lanes_.emplace_back();
    return static_cast<std::uint32_t>(lanes_.size() - 1);
  }

  /// Schedules an event in lane `lane`; `at` must be after `now()` and no
  /// earlier than the lane's last event (a fixed delay after now does).
  /// Returns its number in the lane, for cancel_lane.
  std::uint64_t push_lane(std::uint32_t lane, Time at, std::uint32_t kind, std::uint32_t target,
                          std::uint32_t generation = 0) {
    assert(at > now_);
    assert(kind != cancelled_kind);
    const std::uint64_t seq = next_seq_++;
    Lane& l = lanes_[lane];
    if (!l.pending) {  // the lane's only event: into the heap
      l.pending = true;
      heap_push(at, seq, kind, target, generation, lane + 1);
      return l.pushed++;
    }
    assert((l.waiting.empty() || !(at < l.waiting.back().at)) && "a lane's events come in order");
    if (l.waiting.empty()) {
      l.first = l.pushed;
    }
    l.waiting.emplace_back();
    store(l.waiting.back(), at, seq, kind, target, generation, lane + 1);
    ++lane_backlog_;
    return l.pushed++;
  }

  /// Cancels event `number` of lane `lane` if it still waits behind the
  /// lane's earliest: it will not be popped. An event already in the heap
  /// (the lane's earliest) or popped is left as it is.
  void cancel_lane(std::uint32_t lane, std::uint64_t number) {
    Lane& l = lanes_[lane];
    if (number < l.first + l.head || number >= l.first + l.waiting.size()) {
      return;
    }
    Event& e = l.waiting[number - l.first];
    if (e.kind != cancelled_kind) {
      e.kind = cancelled_kind;
      --lane_backlog_;
    }
  }

  /// Removes and returns the earliest event; the queue must not be empty.
  [[gnu::always_inline]] Event pop() {
    assert(!empty());
    if (fired_ != no_timer) {
      drop_fired();  // not set again since it fired
    }
    Event e;
    // An empty heap's top is a sentinel later than every event.
    const Event& next = heap_[0];
    if (!timers_.empty() && earlier(timers_[0], next) &&
        (ring_head_ == ring_size_ || earlier(timers_[0], ring_[ring_head_]))) {
      e = timer_pop();
    } else if (ring_head_ < ring_size_ && earlier(ring_[ring_head_], next)) {
      e = ring_[ring_head_++];
      if (ring_head_ == ring_size_) {
        ring_size_ = 0;
        ring_head_ = 0;
      }
    } else if (next.timer != 0) {
      e = lane_pop();
    } else {
      e = heap_pop();
    }
    now_ = e.at;
    return e;
  }

  /// The earliest event, without removing it.
  [[nodiscard]] const Event& top() const {
    assert(!empty());
    const Event* best = nullptr;
    if (ring_head_ < ring_size_) {
      best = &ring_[ring_head_];
    }
    if (heap_size_ != 0 && (best == nullptr || earlier(heap_[0], *best))) {
      best = &heap_[0];
    }
    const Event* timer = earliest_timer();
    if (timer != nullptr && (best == nullptr || earlier(*timer, *best))) {
      best = timer;
    }
    return *best;
  }

  /// Sets timer `timer` (any small number the caller manages) to fire at
  /// `at`, replacing its pending event if it has one.
  void set_timer(std::uint32_t timer, Time at, std::uint32_t kind, std::uint32_t target,
                 std::uint32_t generation = 0) {
    assert(at >= now_);
    if (timer >= timer_slot_.size()) {
      timer_slot_.resize(timer + 1, no_slot);
    }
    const std::uint64_t seq = next_seq_++;
    const Key k = key(at, seq);
    // Pending again if it had fired: its entry at the top moves down. A
    // select, not a branch: which timer comes next is as random as the times.
    fired_ = timer == fired_ ? no_timer : fired_;
    std::size_t i = timer_slot_[timer];
    if (i == no_slot) {
      i = timers_.size();
      timers_.emplace_back();
      i = timer_rise(i, k);
    } else if (k < key(timers_[i])) {
      i = timer_rise(i, k);
    } else {
      i = timer_sink(i, k);
    }
    store(timers_[i], at, seq, kind, target, generation, timer);
    timer_slot_[timer] = i;
  }

  /// Removes timer `timer`'s pending event, if any.
  void cancel_timer(std::uint32_t timer) {
    if (timer >= timer_slot_.size() || timer_slot_[timer] == no_slot) {
      return;
    }
    if (timer == fired_) {
      drop_fired();
      return;
    }
    const std::size_t i = timer_slot_[timer];
    timer_slot_[timer] = no_slot;
    const Event last = timers_.back();
    timers_.pop_back();
    if (i < timers_.size()) {
      timer_place(i > 0 && earlier(last, timers_[timer_parent(i)]) ? timer_rise(i, key(last))
                                                                   : timer_sink(i, key(last)),
                  last);
    }
  }

  [[nodiscard]] bool empty() const {
    return heap_size_ == 0 && ring_head_ == ring_size_ && timers_pending() == 0;
  }
  [[nodiscard]] std::size_t size() const {
    return heap_size_ + far_.size() + lane_backlog_ + (ring_size_ - ring_head_) + timers_pending();
  }
  /// The time of the event popped last.
  [[nodiscard]] Time now() const { return now_; }
  void reserve(std::size_t n) { heap_.reserve(n + heap_padding); }
  void clear() {
    heap_.assign(heap_.size(), sentinel);
    heap_size_ = 0;
    far_.clear();
    far_min_ = ~std::uint64_t{0};
    threshold_ = 0;
    ring_size_ = 0;
    ring_head_ = 0;
    timers_.clear();
    fired_ = no_timer;
    timer_slot_.assign(timer_slot_.size(), no_slot);
    lanes_.assign(lanes_.size(), Lane{});
    lane_backlog_ = 0;
  }

 private:
  /// (time, sequence) order, as one comparison of a 128-bit key: times are
  /// random, so a branch on `a.at == b.at` would be mispredicted half the time.
  static bool earlier(const Event& a, const Event& b) { return key(a) < key(b); }
  __extension__ using Key = unsigned __int128;
  static Key key(Time at, std::uint64_t seq) {
    assert(at >= Time{} && "an event is never before time zero");
    return Key{static_cast<std::uint64_t>(at.time_since_epoch().count())} << 64 | seq;
  }
  /// A time as an unsigned count (times are never before zero).
  static std::uint64_t ticks(Time at) {
    return static_cast<std::uint64_t>(at.time_since_epoch().count());
  }
  /// An entry's key, the sentinel's too (no assertion on its time).
  static Key key(const Event& e) { return Key{ticks(e.at)} << 64 | e.seq; }

  /// A new event goes into its slot a field at a time. Built on the stack
  /// and copied, it would be read back in 16-byte halves across the narrower
  /// stores that had just written it, and the processor would wait for them
  /// to land (perf: a quarter of push's samples).
  static void store(Event& slot, Time at, std::uint64_t seq, std::uint32_t kind,
                    std::uint32_t target, std::uint32_t generation, std::uint32_t timer) {
    slot.at = at;
    slot.seq = seq;
    slot.kind = kind;
    slot.target = target;
    slot.generation = generation;
    slot.timer = timer;
  }

  [[gnu::always_inline]] void heap_push(Time at, std::uint64_t seq, std::uint32_t kind,
                                        std::uint32_t target, std::uint32_t generation,
                                        std::uint32_t lane_tag) {
    const std::uint64_t t = ticks(at);
    if (t >= threshold_) {
      if (heap_size_ != 0) {  // later than the whole heap's window: waits unsorted
        far_.emplace_back();
        store(far_.back(), at, seq, kind, target, generation, lane_tag);
        far_min_ = t < far_min_ ? t : far_min_;
        return;
      }
      threshold_ = t + window_;  // the heap and the far events are empty: a new window
    }
    store(heap_[heap_add_slot(key(at, seq))], at, seq, kind, target, generation, lane_tag);
  }

  /// A new slot at the heap's end (its padding kept), moved up to where an
  /// event with key `k` belongs; returns that place.
  [[gnu::always_inline]] std::size_t heap_add_slot(Key k) {
    const std::size_t i = heap_size_++;
    if (heap_.size() < heap_size_ + heap_padding) {
      heap_.push_back(sentinel);
    }
    return heap_rise(i, k);
  }

  /// Moves the hole at `i` up past every parent later than key `k` and
  /// returns where it stops.
  [[gnu::always_inline]] std::size_t heap_rise(std::size_t i, Key k) {
    Event* const h = heap_.data();
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!(k < key(h[parent]))) {
        break;
      }
      h[i] = h[parent];
      i = parent;
    }
    return i;
  }

  Event heap_pop() {
    const Event top = heap_[0];
    remove_top();
    return top;
  }

  /// Takes the top out of the heap; an emptied heap takes the earliest far
  /// events.
  [[gnu::always_inline]] void remove_top() {
    const Event last = heap_[--heap_size_];
    heap_[heap_size_] = sentinel;
    if (heap_size_ != 0) {
      sift_down(last);
    } else if (!far_.empty()) {
      refill();
    }
  }

  /// Puts an event already built into the heap (from the far events).
  void heap_insert(const Event& e) { heap_[heap_add_slot(key(e))] = e; }

  /// The heap is empty and far events wait: those before the earliest's time
  /// plus the window go into the heap, the rest stay. The window then adapts
  /// to what the scan costs per event scheduled since the last refill (a
  /// count that comes free from the sequence numbers, and about as many as
  /// were popped): the heap is kept shallow while the scan stays at a quarter
  /// to one far event per event. Measured on the reference models and the
  /// hold model, this band beats a fixed share of the far events (an eighth,
  /// or a 32nd): a model whose near events go straight into the heap wants a
  /// narrow window, the hold model a wide one.
  [[gnu::noinline]] void refill() {
    assert(heap_size_ == 0 && !far_.empty());
    const std::size_t m = far_.size();
    threshold_ = far_min_ + window_;
    std::uint64_t rest_min = ~std::uint64_t{0};
    std::size_t kept = 0;
    for (std::size_t j = 0; j < m; ++j) {
      const std::uint64_t t = ticks(far_[j].at);
      if (t < threshold_) {
        heap_insert(far_[j]);
      } else {
        rest_min = t < rest_min ? t : rest_min;
        far_[kept++] = far_[j];
      }
    }
    far_.resize(kept);
    far_min_ = rest_min;
    // More than one far event scanned per event scheduled: the window
    // doubles, so that refills come less often. Less than a quarter: it
    // halves, so that the heap is shallower.
    const std::uint64_t scheduled = next_seq_ - refill_seq_;
    refill_seq_ = next_seq_;
    if (m > scheduled && window_ < max_window) {
      window_ *= 2;
    } else if (4 * m < scheduled && window_ > 1) {
      window_ /= 2;
    }
  }

  /// Pops the heap's top, a lane's earliest event: the lane's next one, if
  /// any, takes its place.
  Event lane_pop() {
    const Event top = heap_[0];
    Lane& l = lanes_[top.timer - 1];
    while (l.head < l.waiting.size() && l.waiting[l.head].kind == cancelled_kind) {
      ++l.head;  // cancelled where it waited: never to be popped
    }
    if (l.head == l.waiting.size()) {
      l.first += l.waiting.size();
      l.waiting.clear();
      l.head = 0;
      l.pending = false;
      return heap_pop();
    }
    const Event next = l.waiting[l.head++];
    --lane_backlog_;
    if (l.head == l.waiting.size()) {
      l.first += l.waiting.size();
      l.waiting.clear();
      l.head = 0;
    } else if (l.head >= 4096 && 2 * l.head >= l.waiting.size()) {
      // Drop what has gone: the FIFO stays within twice its backlog.
      l.waiting.erase(l.waiting.begin(), l.waiting.begin() + static_cast<std::ptrdiff_t>(l.head));
      l.first += l.head;
      l.head = 0;
    }
    if (ticks(next.at) < threshold_) {
      sift_down(next);  // in the heap's window: takes the top's place
    } else {
      far_.push_back(next);
      far_min_ = ticks(next.at) < far_min_ ? ticks(next.at) : far_min_;
      remove_top();
    }
    return top;
  }

  /// The earliest of the four children at `c` (0 to 3): a sentinel pads
  /// every node's children to four, so there is no count to check, and the
  /// two pairs are compared independently before the final one. With
  /// `Branchless`, picked by arithmetic on the comparisons: which child is
  /// earliest is as random as the times, and the branches on it are
  /// mispredicted about once a level. Without, GCC branches on two of the
  /// three, and the processor runs ahead down the predicted path: in a heap
  /// too large for the cache, that loads the next level early.
  template <bool Branchless>
  static std::size_t earliest_of_four(const Event* c) {
    if constexpr (Branchless) {
      const auto a = static_cast<std::size_t>(earlier(c[1], c[0]));
      const std::size_t b = 2 + static_cast<std::size_t>(earlier(c[3], c[2]));
      const std::size_t mask = std::size_t{0} - static_cast<std::size_t>(earlier(c[b], c[a]));
      return a ^ ((a ^ b) & mask);
    } else {
      const std::size_t a = earlier(c[1], c[0]) ? 1 : 0;
      const std::size_t b = earlier(c[3], c[2]) ? 3 : 2;
      return earlier(c[b], c[a]) ? b : a;
    }
  }

  /// Places `last` in the heap whose top has just been taken. Bottom-up: the
  /// hole at the top goes down along the earliest children to a leaf without
  /// comparing them with `last`, which then rises from there. `last` is
  /// usually late (a leaf's, or a lane's next timeout), so it rises little and
  /// a quarter of the comparisons on the way down are saved. A heap of at
  /// most branchless_heap_size events (4 MiB) picks children without
  /// branches; a larger one lets the processor guess and load ahead.
  void sift_down(const Event& last) {
    if (heap_size_ <= branchless_heap_size) {
      sift_down_with<true>(last);
    } else {
      sift_down_with<false>(last);
    }
  }
  static constexpr std::size_t branchless_heap_size = std::size_t{1} << 17;
  template <bool Branchless>
  void sift_down_with(const Event& last) {
    Event* const h = heap_.data();
    const std::size_t n = heap_size_;
    std::size_t i = 0;
    for (std::size_t first = 1; first < n; first = 4 * i + 1) {
      const std::size_t best = first + earliest_of_four<Branchless>(h + first);
      h[i] = h[best];
      i = best;
    }
    h[heap_rise(i, key(last))] = last;
  }

  // Timers' pending events are in a 4-ary min-heap of their own (as the
  // events': half the depth of a binary heap, and each step a comparison of
  // up to four times chosen without a branch); each event names its timer,
  // and timer_slot_ knows where each timer's event is.
  static constexpr std::size_t no_slot = ~std::size_t{0};
  static std::size_t timer_parent(std::size_t i) { return (i - 1) / 4; }

  void timer_place(std::size_t i, const Event& t) {
    timers_[i] = t;
    timer_slot_[t.timer] = i;
  }
  /// Moves the hole at `i` up past every parent later than key `k` and
  /// returns where it stops: where an event with that key belongs.
  std::size_t timer_rise(std::size_t i, Key k) {
    while (i > 0) {
      const std::size_t parent = timer_parent(i);
      if (!(k < key(timers_[parent]))) {
        break;
      }
      timer_place(i, timers_[parent]);
      i = parent;
    }
    return i;
  }
  /// The earliest of the children `first` onwards (up to four), or n if none.
  [[nodiscard]] std::size_t earliest_child(std::size_t first, std::size_t n) const {
    if (first >= n) {
      return n;
    }
    std::size_t best = first;
    const std::size_t stop = first + 4 < n ? first + 4 : n;
    for (std::size_t c = first + 1; c < stop; ++c) {
      best = earlier(timers_[c], timers_[best]) ? c : best;
    }
    return best;
  }
  /// Moves the hole at `i` down past every child earlier than key `k`.
  std::size_t timer_sink(std::size_t i, Key k) {
    const std::size_t n = timers_.size();
    for (;;) {
      const std::size_t child = earliest_child(4 * i + 1, n);
      if (child == n || !(key(timers_[child]) < k)) {
        break;
      }
      timer_place(i, timers_[child]);
      i = child;
    }
    return i;
  }
  /// The earliest timer's event; its entry stays at the top as fired_.
  Event timer_pop() {
    fired_ = timers_[0].timer;
    return timers_[0];
  }
  /// Takes the fired timer's entry out of the top of the heap.
  void drop_fired() {
    timer_slot_[fired_] = no_slot;
    fired_ = no_timer;
    const Event last = timers_.back();
    timers_.pop_back();
    if (!timers_.empty()) {
      timer_place(timer_sink(0, key(last)), last);
    }
  }
  [[nodiscard]] std::size_t timers_pending() const {
    return timers_.size() - (fired_ == no_timer ? 0 : 1);
  }
  /// The earliest pending timer's event, if any: with a fired entry at the
  /// top, the earliest of its children.
  [[nodiscard]] const Event* earliest_timer() const {
    const std::size_t n = timers_.size();
    if (fired_ == no_timer) {
      return n == 0 ? nullptr : &timers_[0];
    }
    const std::size_t child = earliest_child(1, n);
    return child == n ? nullptr : &timers_[child];
  }

  /// A lane: whether its earliest event is in the heap, and the events
  /// behind it, in order, from `head`.
  struct Lane {
    std::vector<Event> waiting;
    std::size_t head = 0;
    std::uint64_t first = 0;   ///< waiting[i] is the lane's event number first + i
    std::uint64_t pushed = 0;  ///< events the lane has had
    bool pending = false;
  };
  /// The kind of a lane's cancelled event (no caller's kind is this).
  static constexpr std::uint32_t cancelled_kind = ~std::uint32_t{0};

  /// An entry later than every event (its time, read as the key's unsigned
  /// high half, is above any time from zero on): it fills the heap's unused
  /// slots and is the top of an empty heap.
  static constexpr Event sentinel{Time{} + Duration{-1}, ~std::uint64_t{0}, 0, 0, 0, 0};
  /// Sentinels after the heap's last event: the four children of any node
  /// with one exist.
  static constexpr std::size_t heap_padding = 4;
  /// The main heap: heap_size_ events, then sentinels.
  std::vector<Event> heap_ = std::vector<Event>(heap_padding, sentinel);
  std::size_t heap_size_ = 0;
  /// Two levels: the heap holds the events before threshold_ (in ticks), far_
  /// the later ones, unsorted, the earliest of them at far_min_. When the heap
  /// empties, the far events before far_min_ + window_ move into it, and
  /// threshold_ becomes that time. The heap is empty only when the far events
  /// are too. The window starts at about a millisecond and doubles or halves
  /// at each refill.
  std::vector<Event> far_;
  std::uint64_t far_min_ = ~std::uint64_t{0};
  std::uint64_t threshold_ = 0;
  static constexpr std::uint64_t max_window = std::uint64_t{1} << 62;
  std::uint64_t window_ = std::uint64_t{1} << 20;
  /// next_seq_ at the last refill.
  std::uint64_t refill_seq_ = 0;
  std::vector<Lane> lanes_;
  std::size_t lane_backlog_ = 0;  ///< events waiting behind their lanes' earliest
  /// The ring: events ring_head_ to ring_size_ of ring_, whose size is its
  /// capacity (grow_ring), so that a push is a store and an increment,
  /// never a vector's out-of-line growth path.
  std::vector<Event> ring_;
  std::size_t ring_size_ = 0;
  [[gnu::cold, gnu::noinline]] void grow_ring() {
    ring_.resize(std::max<std::size_t>(16, 2 * ring_.size()));
  }
  std::vector<Event> timers_;            ///< timers' pending events, a 4-ary min-heap
  std::vector<std::size_t> timer_slot_;  ///< per timer: its index in timers_, or no_slot
  static constexpr std::uint32_t no_timer = ~std::uint32_t{0};
  /// The timer popped last, its entry still at the top of timers_; or no_timer.
  std::uint32_t fired_ = no_timer;
  std::size_t ring_head_ = 0;
  std::uint64_t next_seq_ = 0;
  Time now_{};
};

}  // namespace tailsim::engine
