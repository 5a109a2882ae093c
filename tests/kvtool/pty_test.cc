// Tests of kvtool's interactive shell through a real pseudo-terminal:
// the prompt appears, an error does not end the session, the up arrow
// recalls the last command, Tab completes a command name, a multi-line
// batch has its own prompt, long work shows a progress bar, history is saved.
// Waits are for output, with generous timeouts; nothing depends on timing.
#include <doctest/doctest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "harness.h"

namespace {

constexpr auto kTimeout = std::chrono::seconds(20);

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos;
       p = haystack.find(needle, p + needle.size())) {
    n++;
  }
  return n;
}

// A kvtool shell on the slave side of a pseudo-terminal.
class PtyShell {
 public:
  PtyShell(const kvtest::TempDir& dir) {
    const std::string path = kvtest::KvtoolPath();
    const std::string db = dir / "db";
    const std::string home = "HOME=" + dir.path();
    const std::string history = "KVTOOL_HISTORY=" + (dir / "history");
    struct winsize ws = {};
    ws.ws_row = 40;
    ws.ws_col = 120;
    pid_ = forkpty(&master_, nullptr, nullptr, &ws);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // The child: only async-signal-safe calls until exec.
      const char* argv[] = {path.c_str(), "--db", db.c_str(), nullptr};
      const char* envp[] = {"TERM=xterm", "LANG=C", home.c_str(), history.c_str(), nullptr};
      execve(path.c_str(), const_cast<char* const*>(argv), const_cast<char* const*>(envp));
      _exit(127);
    }
  }
  ~PtyShell() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }

  void Send(const std::string& keys) {
    size_t done = 0;
    while (done < keys.size()) {
      const ssize_t n = write(master_, keys.data() + done, keys.size() - done);
      REQUIRE(n > 0);
      done += static_cast<size_t>(n);
    }
  }

  // Reads until `needle` occurs `times` times in everything read so far.
  void WaitFor(const std::string& needle, size_t times = 1) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (Count(screen_, needle) < times) {
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                      "waiting for '" << needle << "' x" << times << "; got:\n"
                                      << screen_);
      pollfd p = {master_, POLLIN, 0};
      if (poll(&p, 1, 500) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(master_, buf, sizeof(buf));
      REQUIRE_MESSAGE(n > 0, "the shell ended; got:\n" << screen_);
      screen_.append(buf, static_cast<size_t>(n));
    }
  }

  // Waits until the line editor has switched the terminal out of canonical
  // mode (a pty's master sees the slave's settings). libedit does that
  // around each line it reads, and the prompt may show a little before:
  // keys the line discipline handles itself in canonical mode (Ctrl-D)
  // must wait for it.
  void WaitForLineEditor() {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    for (;;) {
      struct termios t;
      REQUIRE(tcgetattr(master_, &t) == 0);
      if ((t.c_lflag & ICANON) == 0) return;
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "no line editor");
      pollfd p = {master_, POLLIN, 0};
      if (poll(&p, 1, 10) > 0) {
        char buf[4096];
        const ssize_t n = read(master_, buf, sizeof(buf));
        if (n > 0) screen_.append(buf, static_cast<size_t>(n));
      }
    }
  }

  // Waits for the shell to exit and returns its exit code.
  int Wait() {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    for (;;) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "the shell did not exit; got:\n"
                                                                       << screen_);
      // Drain the terminal so the child never blocks on output.
      pollfd p = {master_, POLLIN, 0};
      if (poll(&p, 1, 100) > 0) {
        char buf[4096];
        const ssize_t n = read(master_, buf, sizeof(buf));
        if (n > 0) screen_.append(buf, static_cast<size_t>(n));
      }
    }
  }

  const std::string& screen() const { return screen_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  std::string screen_;
};

}  // namespace

TEST_CASE("ShellShowsPromptRecallsHistoryAndCompletesCommands") {
  kvtest::TempDir dir;
  PtyShell shell(dir);
  shell.WaitFor("kvtool> ");

  // The value is typed with an escape, so only the output of `get` (not
  // the echo of the command line) contains "vAlue".
  shell.Send("put k1 \"v\\x41lue\"\r");
  shell.WaitFor("kvtool> ", 2);
  shell.Send("get k1\r");
  shell.WaitFor("vAlue", 1);
  shell.WaitFor("kvtool> ", 3);

  // An error is reported and the session goes on.
  shell.Send("get nothing-here\r");
  shell.WaitFor("key not found: 'nothing-here'");
  shell.WaitFor("kvtool> ", 4);

  // Up arrow twice recalls `get k1`; running it prints the value again.
  shell.Send("\x1b[A\x1b[A\r");
  shell.WaitFor("vAlue", 2);
  shell.WaitFor("kvtool> ", 5);

  // Tab completes "cou" to "count"; the command then runs.
  shell.Send("cou\t\r");
  shell.WaitFor("\n1\r\n");
  shell.WaitFor("kvtool> ", 6);

  // A multi-line batch shows its own prompt.
  shell.Send("batch\r");
  shell.WaitFor("batch> ");
  shell.Send("put k2 v2\r");
  shell.WaitFor("batch> ", 2);
  shell.Send("end\r");
  shell.WaitFor("kvtool> ", 7);

  // Long work draws a progress bar on the terminal (the first update is
  // drawn at once), then reports.
  std::string tsv;
  for (int i = 0; i < 5000; ++i) tsv += "bulk" + std::to_string(i) + "\tvalue\n";
  kvtest::WriteFile(dir / "bulk.tsv", tsv);
  shell.Send("load " + (dir / "bulk.tsv") + "\r");
  shell.WaitFor("load [");
  shell.WaitFor("loaded 5000 entries");
  shell.WaitFor("kvtool> ", 8);

  shell.Send("quit\r");
  CHECK(shell.Wait() == 0);

  // History was saved where KVTOOL_HISTORY points.
  const std::string history = kvtest::ReadFile(dir / "history");
  CHECK(history.find("get\\040k1") != std::string::npos);
  CHECK(history.find("count") != std::string::npos);
}

TEST_CASE("ShellEndsOnEndOfInput") {
  kvtest::TempDir dir;
  PtyShell shell(dir);
  shell.WaitFor("kvtool> ");
  shell.WaitForLineEditor();
  shell.Send("\x04");  // Ctrl-D on an empty line
  CHECK(shell.Wait() == 0);
}
