#include "output_folder.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "tailsim/report/file_output.hpp"
#include "tailsim/report/hgrm_writer.hpp"
#include "tailsim/report/html_report.hpp"
#include "tailsim/report/json_report.hpp"
#include "tailsim/report/junit_writer.hpp"
#include "tailsim/report/markdown_summary.hpp"
#include "tailsim/report/openmetrics_writer.hpp"
#include "tailsim/report/timeseries_writer.hpp"
#include "tailsim/report/trace_writers.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace tailsim::cli {
namespace {

namespace fs = std::filesystem;

/// The list, in the folder, of the files the last run wrote there.
constexpr std::string_view manifest_name = ".tailsim-manifest";
constexpr std::string_view manifest_header =
    "# The files tailsim's last run wrote in this folder, one a line. The next run with\n"
    "# --out here removes those of them it does not write again, and nothing else.\n";

/// The names every run writes or may write, besides the `.hgrm` files.
constexpr std::array<std::string_view, 11> fixed_names = {
    "results.json", "timeseries.csv",   "metrics.om",         "junit.xml",
    "summary.md",   "traces.otlp.json", "traces.jaeger.json", "traces.chrome.json",
    "topology.dot", "topology.svg",     "report.html"};

/// Is `c` kept as it is in a file name made from a path's name?
bool is_plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

/// A path's name as a file name: letters, digits, '-', '_' and '.' kept,
/// anything else '_', never starting with '.'. (The model allows letters,
/// digits, '-' and '_' only, so two paths never share a file.)
std::string file_name_of(const std::string& name) {
  std::string out;
  for (const char c : name) {
    out += is_plain(c) ? c : '_';
  }
  return out.empty() || out[0] == '.' ? "_" + out : out;
}

/// The `.hgrm` file of each path, in the order of `results.paths`.
std::vector<std::string> hgrm_names(const stats::Results& results) {
  std::vector<std::string> names;
  for (const auto& path : results.paths) {
    names.push_back(file_name_of(path.name) + ".hgrm");
  }
  return names;
}

/// Is `name` one that write_output_folder writes? Only those are ever
/// removed, whatever a (possibly edited) manifest says.
bool is_tailsim_name(std::string_view name) {
  if (std::find(fixed_names.begin(), fixed_names.end(), name) != fixed_names.end()) {
    return true;
  }
  return name.size() > 5 && name.ends_with(".hgrm") && name[0] != '.' &&
         std::all_of(name.begin(), name.end(), is_plain);
}

/// The names the folder's manifest lists that tailsim writes.
std::vector<std::string> read_manifest(const fs::path& dir) {
  std::ifstream in(dir / manifest_name);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (is_tailsim_name(line)) {
      names.push_back(line);
    }
  }
  return names;
}

void write_manifest(const fs::path& dir, const std::vector<std::string>& names) {
  std::string text(manifest_header);
  for (const auto& name : names) {
    text += name;
    text += '\n';
  }
  report::write_file_atomically(dir / manifest_name, text);
}

/// Removes the regular file `dir/name` if there is one (never a link, a
/// folder or anything else someone put there).
void remove_stale(const fs::path& dir, const std::string& name) {
  const fs::path path = dir / name;
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && unlink(path.c_str()) != 0) {
    throw std::runtime_error(fmt::format("cannot remove {}, left by an earlier run: {}",
                                         path.string(), std::strerror(errno)));
  }
}

/// What became of running Graphviz.
struct Rendering {
  bool ran = false;     ///< false: `dot` is not installed
  std::string svg;      ///< the picture, when `dot` succeeded
  std::string problem;  ///< why there is no picture although `dot` ran
};

/// The first line of `text`, at most 200 bytes.
std::string first_line(const std::string& text) {
  return text.substr(0, std::min<std::size_t>(text.find('\n'), 200));
}

/// Feeds `input` to `to_child` and reads `from_child` (the child's stderr)
/// until it closes, without ever blocking on one while the other waits.
/// A child that stops reading early is not an error here: its exit status
/// says what happened.
std::string exchange(int to_child, int from_child, std::string_view input) {
  std::string errors;
  std::array<char, 4096> buffer{};
  fcntl(to_child, F_SETFL, fcntl(to_child, F_GETFL) | O_NONBLOCK);
  bool reading = true;
  while (reading || to_child >= 0) {
    std::array<pollfd, 2> fds{pollfd{reading ? from_child : -1, POLLIN, 0},
                              pollfd{to_child, POLLOUT, 0}};
    const nfds_t count = to_child >= 0 ? 2 : 1;
    if (poll(fds.data(), count, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (reading && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = read(from_child, buffer.data(), buffer.size());
      if (n > 0) {
        if (errors.size() < 65536) {
          errors.append(buffer.data(), static_cast<std::size_t>(n));
        }
      } else if (n == 0 || errno != EINTR) {
        reading = false;
      }
    }
    if (to_child >= 0 && fds[1].revents != 0) {
      const ssize_t n = input.empty() ? 0 : write(to_child, input.data(), input.size());
      if (n > 0) {
        input.remove_prefix(static_cast<std::size_t>(n));
      }
      if (input.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close(to_child);  // all given, or the child closed its end (EPIPE)
        to_child = -1;
      }
    }
  }
  if (to_child >= 0) {
    close(to_child);
  }
  return errors;
}

/// Runs `dot -Tsvg` (found on the PATH, given an argument vector: no shell
/// ever sees a path) with `dot_text` on its stdin and its stdout in `out`.
Rendering render_svg(const std::string& dot_text, report::AtomicFile& out) {
  std::array<int, 2> input{};
  std::array<int, 2> errors{};
  if (pipe2(input.data(), O_CLOEXEC) != 0) {
    return Rendering{true, {}, std::strerror(errno)};
  }
  if (pipe2(errors.data(), O_CLOEXEC) != 0) {
    close(input[0]);
    close(input[1]);
    return Rendering{true, {}, std::strerror(errno)};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.fd(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, errors[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // tailsim ignores SIGPIPE; Graphviz gets the usual signals back.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::array<char*, 3> argv{const_cast<char*>("dot"), const_cast<char*>("-Tsvg"), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "dot", &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(input[0]);
  close(errors[1]);
  if (spawned != 0) {
    close(input[1]);
    close(errors[0]);
    return spawned == ENOENT ? Rendering{} : Rendering{true, {}, std::strerror(spawned)};
  }
  const std::string messages = exchange(input[1], errors[0], dot_text);
  close(errors[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return Rendering{true, {}, std::strerror(errno)};
    }
  }
  if (WIFSIGNALED(status)) {
    return Rendering{true, {}, fmt::format("dot was killed by signal {}", WTERMSIG(status))};
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Rendering{true,
                     {},
                     fmt::format("dot exited with {}{}{}", WEXITSTATUS(status),
                                 messages.empty() ? "" : ": ", first_line(messages))};
  }
  return Rendering{true, out.read_back(), {}};
}

/// The most services whose graph is rendered: Graphviz's layout grows faster
/// than the graph (2,000 services: 2 s and 215 MB; 10,000: over a minute and
/// 4 GB), and a picture of thousands of services shows nothing anyway.
constexpr std::size_t max_rendered_services = 500;

/// Writes topology.svg with Graphviz when it is installed and returns the
/// picture (for report.html); nothing when there is none (after a warning on
/// stderr when `dot` failed).
std::optional<std::string> write_topology_svg(const std::string& dot_text, std::size_t services,
                                              const fs::path& target) {
  if (services > max_rendered_services) {
    fmt::print(stderr,
               "warning: topology.svg skipped (topology.dot is written): {} services are more than "
               "Graphviz lays out in reasonable time ({} at most); render topology.dot yourself if "
               "you want the picture\n",
               services, max_rendered_services);
    return std::nullopt;
  }
  report::AtomicFile out(target);
  Rendering rendered = render_svg(dot_text, out);
  if (!rendered.ran) {
    return std::nullopt;
  }
  if (!rendered.problem.empty()) {
    fmt::print(stderr, "warning: topology.svg skipped (topology.dot is written): {}\n",
               rendered.problem);
    return std::nullopt;
  }
  out.commit();
  return std::move(rendered.svg);
}

}  // namespace

void write_output_folder(const OutputFolderInputs& inputs) {
  const stats::Results& results = *inputs.results;
  const fs::path& dir = inputs.dir;
  if (const auto problem = report::output_folder_problem(dir)) {
    throw std::runtime_error(
        fmt::format("cannot write into the folder {}: {}", dir.string(), *problem));
  }
  const std::vector<std::string> hgrms = hgrm_names(results);
  std::vector<std::string> planned = {"results.json", "timeseries.csv", "metrics.om",  "junit.xml",
                                      "summary.md",   "topology.dot",   "topology.svg"};
  if (inputs.has_traces) {
    planned.insert(planned.end(), {"traces.otlp.json", "traces.jaeger.json", "traces.chrome.json"});
  }
  planned.insert(planned.end(), hgrms.begin(), hgrms.end());
  planned.emplace_back("report.html");
  // The manifest lists the earlier run's files and this one's before any is
  // touched, so a run stopped half way still lets the next one clean up.
  std::vector<std::string> listed = read_manifest(dir);
  for (const auto& name : planned) {
    if (std::find(listed.begin(), listed.end(), name) == listed.end()) {
      listed.push_back(name);
    }
  }
  write_manifest(dir, listed);
  for (const auto& name : listed) {
    if (std::find(planned.begin(), planned.end(), name) == planned.end()) {
      remove_stale(dir, name);
    }
  }

  report::write_file_atomically(dir / "results.json", report::to_json(results));
  report::write_file_atomically(dir / "timeseries.csv", report::format_timeseries_csv(results));
  for (std::size_t p = 0; p < results.paths.size(); ++p) {
    report::write_file_atomically(dir / hgrms[p], report::format_hgrm(results.paths[p].latency));
  }
  report::write_file_atomically(dir / "metrics.om",
                                report::format_openmetrics(results, inputs.epoch_unix_ns));
  report::write_file_atomically(
      dir / "junit.xml",
      report::format_junit(results, report::JunitInputs{inputs.model_path, inputs.wall_s}));
  report::write_file_atomically(dir / "summary.md", report::format_markdown_summary(results));
  if (inputs.has_traces) {
    report::write_file_atomically(dir / "traces.otlp.json",
                                  report::to_otlp_json(results, inputs.epoch_unix_ns));
    report::write_file_atomically(dir / "traces.jaeger.json",
                                  report::to_jaeger_json(results, inputs.epoch_unix_ns));
    report::write_file_atomically(dir / "traces.chrome.json",
                                  report::to_chrome_trace(results, inputs.epoch_unix_ns));
  }
  report::write_file_atomically(dir / "topology.dot", inputs.topology_dot);
  const std::optional<std::string> topology_svg =
      write_topology_svg(inputs.topology_dot, results.services.size(), dir / "topology.svg");
  if (!topology_svg) {
    remove_stale(dir, "topology.svg");  // an earlier run's picture is not this model's
    planned.erase(std::find(planned.begin(), planned.end(), "topology.svg"));
  }
  report::write_file_atomically(
      dir / "report.html",
      report::format_html_report(
          results, report::HtmlReportInputs{inputs.model_text, inputs.model_path, inputs.command,
                                            topology_svg.value_or(""), inputs.replications_html}));
  write_manifest(dir, planned);
}

}  // namespace tailsim::cli
