#include "main/passwd_command.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>


#include "main/up_command.h"
#include "web/users.h"

namespace ferry::main {
namespace {

constexpr size_t kMinLength = 8;

// One line from a terminal with echo off (the prompt goes to `err`), or
// from `in` as it is when it is not a terminal.
bool ReadSecret(std::istream& in, std::ostream& err, const std::string& prompt, std::string* out) {
  bool tty = &in == &std::cin && ::isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    err << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  bool ok = static_cast<bool>(std::getline(in, *out));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    err << "\n";
  }
  if (!out->empty() && out->back() == '\r') out->pop_back();
  return ok;
}

}  // namespace

int RunPasswd(const PasswdFlags& flags, std::istream& in, std::ostream& out, std::ostream& err) {
  const std::string& email = flags.email;
  if (email.empty() || email.find_first_of(" \t\r\n#") != std::string::npos) {
    err << "ferry passwd: '" << email << "' is not a usable user name: no spaces or '#'\n";
    return 1;
  }
  std::string password, again;
  if (!ReadSecret(in, err, "New password for " + email + ": ", &password)) {
    err << "ferry passwd: no password given (type it, or pipe it on stdin)\n";
    return 1;
  }
  bool tty = &in == &std::cin && ::isatty(STDIN_FILENO);
  if (tty && (!ReadSecret(in, err, "Again: ", &again) || again != password)) {
    err << "ferry passwd: the two passwords differ; nothing changed\n";
    return 1;
  }
  if (password.size() < kMinLength) {
    err << "ferry passwd: the password has " << password.size() << " characters; use at least "
        << kMinLength << "\n";
    return 1;
  }
  if (password == web::kDefaultPassword) {
    err << "ferry passwd: " << web::kDefaultPassword
        << " is Kubeflow's well-known default password; choose another\n";
    return 1;
  }
  std::string dir = flags.data_dir.empty() ? DefaultDataDir() : flags.data_dir;
  std::string path = dir + "/users";
  if (Status s = web::SetUserPassword(path, email, password); !s.ok()) {
    err << "ferry passwd: " << s.message() << "\n";
    return 1;
  }
  out << "ferry passwd: password of " << email << " set in " << path
      << " (a running `ferry up` uses it from the next sign-in)\n";
  return 0;
}

}  // namespace ferry::main
