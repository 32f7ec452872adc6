#pragma once
// What the simulation benches share: a measurement run in a child process,
// so that its peak memory is its own (the runs would otherwise share the
// high-water mark of the first), and a loaded model's plan.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <type_traits>
#include <unistd.h>

#include "tailsim/model/loader.hpp"
#include "tailsim/plan/compiler.hpp"

namespace tailsim::bench {

/// Keeps this process, and the children it forks, on the processor it runs
/// on now, and returns that processor's number (-1 when the system would not
/// say or not pin). On the shared virtual machine the benches run on, the two
/// processors have run the same binary 45% apart in speed for minutes at a
/// time (0.53 s against 0.75 s, pinned with taskset), and which one a child
/// lands on decided a reading; a ratio of two runs means something only when
/// both ran on the same processor.
inline int pin_to_this_processor() {
  const int cpu = sched_getcpu();
  if (cpu < 0) {
    return -1;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

/// pin_to_this_processor(), and a line on stdout that says where the runs
/// are (or that they are not pinned), for a reading to be read with.
inline void pin_and_say() {
  const int processor = pin_to_this_processor();
  if (processor >= 0) {
    std::printf("every run on processor %d\n", processor);
  } else {
    std::printf("not pinned to a processor: the readings may mix two processors' speeds\n");
  }
}

/// What `measure()` returned in the child, and the child's peak resident
/// memory in KiB. `measure` returns an optional T (T trivially copyable, to
/// go through a pipe): none when it failed, having said why on stderr. The
/// process exits when the child fails, naming `what`.
template <class T, class Measure>
std::pair<T, long> in_child(const char* what, Measure&& measure) {
  static_assert(std::is_trivially_copyable_v<T>);
  int pipe_fd[2];
  if (pipe(pipe_fd) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  const pid_t child = fork();
  if (child < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (child == 0) {
    close(pipe_fd[0]);
    const std::optional<T> m = measure();
    if (!m) {
      std::_Exit(2);
    }
    if (write(pipe_fd[1], &*m, sizeof(T)) != static_cast<ssize_t>(sizeof(T))) {
      std::_Exit(3);
    }
    std::_Exit(0);
  }
  close(pipe_fd[1]);
  T m{};
  const bool got = read(pipe_fd[0], &m, sizeof m) == static_cast<ssize_t>(sizeof m);
  close(pipe_fd[0]);
  int status = 0;
  rusage usage{};
  wait4(child, &status, 0, &usage);
  if (!got) {
    std::fprintf(stderr, "the benchmark child failed on %s\n", what);
    std::exit(1);
  }
  return {m, usage.ru_maxrss};
}

/// The plan of a model just loaded; none when it has errors or does not
/// compile, having printed its diagnostics.
inline std::optional<plan::Plan> plan_of(model::LoadResult& loaded) {
  std::optional<plan::Plan> plan;
  if (loaded.ok()) {
    plan = plan::compile_plan(*loaded.model, loaded.diagnostics);
  }
  if (!plan) {
    std::fputs(loaded.diagnostics.format_all().c_str(), stderr);
  }
  return plan;
}

}  // namespace tailsim::bench
