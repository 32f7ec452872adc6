// A study's simulations shared among MPI ranks (`mpirun -np N tailsim sweep
// ...`). Every rank runs the same command line, so every rank builds the
// same list of simulations; rank 0 hands out their indexes one at a time to
// the ranks that ask (and runs some on its own threads meanwhile), gathers
// their measures, and sends every rank the whole batch, so that all take the
// same decisions (`--precision`'s batches). Rank 0 alone writes outputs; the
// others write nothing, not even to the console.

#include "distribution.hpp"

#if defined(TAILSIM_HAVE_MPI)

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fcntl.h>
#include <memory>
#include <mpi.h>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "tailsim/study/partial_results.hpp"

namespace tailsim::cli {
namespace {

enum MpiTag : int {
  tag_request = 1,   ///< worker -> 0: a thread of mine is free (the session's header)
  tag_result,        ///< worker -> 0: a job's measures, or its error; and a request
  tag_job,           ///< 0 -> worker: the index of a job to run, or no_more
  tag_session_done,  ///< worker -> 0: all my threads were told no_more
  tag_results,       ///< 0 -> worker: the whole batch
  tag_gone,          ///< worker -> 0: I ended (my exit code)
  tag_end,           ///< 0 -> worker: rank 0 ended (its exit code)
};
constexpr std::uint64_t no_more = ~std::uint64_t{0};

/// Whether an MPI launcher started the program: mpirun sets these.
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) {
      return true;
    }
  }
  return false;
}

/// Waits a little longer each round: Open MPI's blocking calls spin, which
/// would take a core from the simulations.
void back_off(int& round) {
  std::this_thread::sleep_for(std::chrono::microseconds(std::min(50 << std::min(round, 5), 2000)));
  ++round;
}

std::optional<MPI_Status> mpi_probe(int source, int tag) {
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &status);
  return flag != 0 ? std::optional(status) : std::nullopt;
}

MPI_Status wait_message(int source, int tag) {
  for (int round = 0;; back_off(round)) {
    if (auto status = mpi_probe(source, tag)) {
      return *status;
    }
  }
}

std::string mpi_receive(const MPI_Status& status) {
  int n = 0;
  MPI_Get_count(&status, MPI_CHAR, &n);
  std::string text(static_cast<std::size_t>(n), '\0');
  MPI_Recv(text.data(), n, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  return text;
}

void mpi_send(int destination, int tag, std::string_view text) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, destination, tag, MPI_COMM_WORLD);
}

/// The text of an exception, to send to another rank.
std::string error_text(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an unknown error";
  }
}

/// A batch's outcome as rank 0 sends it: the errors (index and text), then
/// the measures.
std::string format_outcome(const std::vector<study::RunMetrics>& runs,
                           const std::vector<std::string>& errors) {
  std::string out;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (!errors[i].empty()) {
      out += fmt::format("error {} {}:{}\n", i, errors[i].size(), errors[i]);
    }
  }
  return out + study::format_run_metrics(runs);
}

struct MpiState {
  bool active = false;  ///< MPI_Init was called
  bool finished = false;
  int rank = 0;
  int size = 1;
  std::vector<bool> gone;        ///< rank 0: the workers that ended
  std::vector<std::size_t> ran;  ///< rank 0: the simulations each rank ran
  bool end_received = false;
  int end_code = 0;
  std::unique_ptr<study::JobRunner> runner;
};

MpiState& mpi_state() {
  static MpiState s;
  return s;
}

class MpiRunner final : public study::JobRunner {
 public:
  std::vector<study::RunMetrics> run(const study::JobBatch& batch) override {
    ++session_;
    const std::string header =
        fmt::format("{} {} {} {}", session_, batch.count, batch.first_here, study_models_hash());
    return mpi_state().rank == 0 ? lead(batch, header) : follow(batch, header);
  }

  [[nodiscard]] std::size_t processes() const override {
    return static_cast<std::size_t>(mpi_state().size);
  }

 private:
  /// Rank 0: hands out jobs, runs some, gathers all.
  std::vector<study::RunMetrics> lead(const study::JobBatch& batch, const std::string& header) {
    MpiState& s = mpi_state();
    std::vector<study::RunMetrics> out(batch.count);
    std::vector<std::exception_ptr> failures(batch.count);
    std::mutex mutex;  // guards next, finished, out, failures and on_done
    std::size_t next = batch.first_here ? 1 : 0;
    std::size_t finished = 0;
    std::atomic<bool> first_taken{!batch.first_here || batch.count == 0};
    const auto take = [&]() -> std::uint64_t {
      const std::lock_guard lock(mutex);
      return next < batch.count ? next++ : no_more;
    };
    const auto record = [&](int rank, std::size_t i, study::RunMetrics run,
                            std::exception_ptr failure) {
      const std::lock_guard lock(mutex);
      ++s.ran[rank];
      out[i] = std::move(run);
      failures[i] = std::move(failure);
      ++finished;
      if (batch.on_done) {
        batch.on_done(finished);
      }
    };
    std::vector<std::jthread> threads;
    for (unsigned t = 0; t < std::max(batch.jobs, 1U); ++t) {
      threads.emplace_back([&] {
        for (;;) {
          std::uint64_t i = first_taken.exchange(true) ? take() : 0;
          if (i == no_more) {
            return;
          }
          try {
            record(0, i, batch.run(i), nullptr);
          } catch (...) {
            record(0, i, {}, std::current_exception());
          }
        }
      });
    }
    std::vector<bool> done(static_cast<std::size_t>(s.size), false);
    const auto all_done = [&] {
      const std::lock_guard lock(mutex);
      if (finished < batch.count) {
        return false;
      }
      for (int w = 1; w < s.size; ++w) {
        if (!done[w] && !s.gone[w]) {
          return false;
        }
      }
      return true;
    };
    const auto reply = [&](int worker) {
      const std::uint64_t i = take();
      MPI_Send(&i, 1, MPI_UINT64_T, worker, tag_job, MPI_COMM_WORLD);
    };
    for (int round = 0; !all_done();) {
      const auto status = mpi_probe(MPI_ANY_SOURCE, MPI_ANY_TAG);
      if (!status) {
        back_off(round);
        continue;
      }
      round = 0;
      const int worker = status->MPI_SOURCE;
      const std::string text = mpi_receive(*status);
      switch (status->MPI_TAG) {
        case tag_request:
          if (text != header) {
            fmt::print(stderr,
                       "error: MPI rank {} runs another study than rank 0 (its simulations or "
                       "model files differ): every rank needs the same command line and the same "
                       "files\n",
                       worker);
            MPI_Abort(MPI_COMM_WORLD, 2);
          }
          reply(worker);
          break;
        case tag_result: {
          const auto space = text.find(' ');
          const auto newline = text.find('\n');
          const std::size_t i = std::stoul(text.substr(0, space));
          const std::string body = text.substr(newline + 1);
          if (text.substr(space + 1, newline - space - 1) == "ok") {
            auto runs = study::parse_run_metrics(body);
            record(worker, i, std::move(runs.at(0)), nullptr);
          } else {
            record(worker, i, {}, std::make_exception_ptr(std::runtime_error(body)));
          }
          reply(worker);
          break;
        }
        case tag_session_done:
          done[worker] = true;
          break;
        case tag_gone:
          s.gone[worker] = true;
          if (text != "0") {
            fmt::print(stderr,
                       "warning: MPI rank {} ended (exit code {}) before it took part in the "
                       "study; the other ranks ran its share\n",
                       worker, text);
          }
          break;
        default:
          break;
      }
    }
    threads.clear();  // joins
    std::vector<std::string> errors(batch.count);
    for (std::size_t i = 0; i < batch.count; ++i) {
      if (failures[i]) {
        errors[i] = error_text(failures[i]);
      }
    }
    const std::string outcome = format_outcome(out, errors);
    for (int w = 1; w < s.size; ++w) {
      if (!s.gone[w]) {
        mpi_send(w, tag_results, outcome);
      }
    }
    for (auto& failure : failures) {
      if (failure) {
        std::rethrow_exception(failure);
      }
    }
    return out;
  }

  /// A worker: asks for jobs, one per thread, until rank 0 has none left.
  std::vector<study::RunMetrics> follow(const study::JobBatch& batch, const std::string& header) {
    MpiState& s = mpi_state();
    const unsigned slots = std::max(batch.jobs, 1U);
    for (unsigned t = 0; t < slots; ++t) {
      mpi_send(0, tag_request, header);
    }
    std::mutex mutex;
    std::vector<std::string> finished;  // results to send, guarded by mutex
    std::vector<std::jthread> threads;
    unsigned ended = 0;
    const auto left = [&] {
      threads.clear();
      s.end_received = true;
      throw MpiRankZeroLeft{};
    };
    for (int round = 0; ended < slots;) {
      bool busy = false;
      if (const auto status = mpi_probe(0, tag_job)) {
        std::uint64_t i = 0;
        MPI_Recv(&i, 1, MPI_UINT64_T, 0, tag_job, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        busy = true;
        if (i == no_more) {
          ++ended;
        } else {
          threads.emplace_back([&, i] {
            std::string result;
            try {
              const study::RunMetrics run = batch.run(static_cast<std::size_t>(i));
              result = fmt::format("{} ok\n", i) + study::format_run_metrics(std::span(&run, 1));
            } catch (...) {
              result = fmt::format("{} error\n", i) + error_text(std::current_exception());
            }
            const std::lock_guard lock(mutex);
            finished.push_back(std::move(result));
          });
        }
      }
      if (const auto status = mpi_probe(0, tag_end)) {
        s.end_code = std::stoi(mpi_receive(*status));
        left();
      }
      std::vector<std::string> ready;
      {
        const std::lock_guard lock(mutex);
        ready.swap(finished);
      }
      for (const auto& result : ready) {
        mpi_send(0, tag_result, result);
        busy = true;
      }
      if (busy) {
        round = 0;
      } else {
        back_off(round);
      }
    }
    threads.clear();
    mpi_send(0, tag_session_done, header);
    std::string outcome;
    for (int round = 0;; back_off(round)) {
      if (const auto status = mpi_probe(0, tag_results)) {
        outcome = mpi_receive(*status);
        break;
      }
      if (const auto status = mpi_probe(0, tag_end)) {
        s.end_code = std::stoi(mpi_receive(*status));
        left();
      }
    }
    if (outcome.starts_with("error ")) {
      const auto space = outcome.find(' ', 6);
      const auto colon = outcome.find(':', space);
      const std::size_t n = std::stoul(outcome.substr(space + 1, colon - space - 1));
      throw std::runtime_error(outcome.substr(colon + 1, n));
    }
    return study::parse_run_metrics(outcome);
  }

  std::uint64_t session_ = 0;
};

}  // namespace

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!launched_by_mpi()) {
    return;
  }
  MpiState& s = mpi_state();
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  s.active = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &s.size);
  s.gone.assign(static_cast<std::size_t>(s.size), false);
  s.ran.assign(static_cast<std::size_t>(s.size), 0);
  if (s.size > 1) {
    s.runner = std::make_unique<MpiRunner>();
    if (s.rank != 0) {  // only rank 0 speaks
      const int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::close(null);
      }
    }
  }
}

MpiSession::~MpiSession() {
  MpiState& s = mpi_state();
  if (s.active && !s.finished) {
    MPI_Finalize();
  }
}

int MpiSession::finish(int code) {
  MpiState& s = mpi_state();
  if (!s.active || s.finished) {
    return code;
  }
  s.finished = true;
  if (s.rank == 0) {
    std::size_t total = 0;
    std::vector<std::string> shares;
    for (int r = 0; r < s.size; ++r) {
      total += s.ran[r];
      shares.push_back(fmt::format("rank {} ran {}", r, s.ran[r]));
    }
    if (total > 0) {
      fmt::print(stderr, "note: {} MPI ranks ran the study's {} simulations: {}\n", s.size, total,
                 fmt::join(shares, ", "));
    }
    const std::string text = std::to_string(code);
    for (int w = 1; w < s.size; ++w) {
      mpi_send(w, tag_end, text);
    }
    for (int w = 1; w < s.size; ++w) {
      while (!s.gone[w]) {
        const MPI_Status status = wait_message(w, MPI_ANY_TAG);
        mpi_receive(status);
        s.gone[w] = status.MPI_TAG == tag_gone;
      }
    }
  } else {
    mpi_send(0, tag_gone, std::to_string(code));
    while (!s.end_received) {
      const MPI_Status status = wait_message(0, MPI_ANY_TAG);
      if (status.MPI_TAG == tag_job) {
        std::uint64_t discarded = 0;
        MPI_Recv(&discarded, 1, MPI_UINT64_T, 0, tag_job, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        continue;
      }
      const std::string text = mpi_receive(status);
      if (status.MPI_TAG == tag_end) {
        s.end_code = std::stoi(text);
        s.end_received = true;
      }
    }
    code = s.end_code;
  }
  MPI_Finalize();
  return code;
}

std::size_t mpi_ranks() {
  return static_cast<std::size_t>(mpi_state().size);
}

int mpi_rank() {
  return mpi_state().rank;
}

study::JobRunner* mpi_runner() {
  return mpi_state().runner.get();
}

}  // namespace tailsim::cli

#else  // without MPI: one process

namespace tailsim::cli {

MpiSession::MpiSession(int& /*argc*/, char**& /*argv*/) {}
MpiSession::~MpiSession() = default;
int MpiSession::finish(int code) {
  return code;
}
std::size_t mpi_ranks() {
  return 1;
}
int mpi_rank() {
  return 0;
}
study::JobRunner* mpi_runner() {
  return nullptr;
}

}  // namespace tailsim::cli

#endif
