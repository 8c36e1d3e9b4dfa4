// `ferry passwd EMAIL [--data-dir DIR]`: sets a dashboard / Kubeflow login
// password in DIR/users (PBKDF2 hash, file replaced atomically, 0600). The
// password is read from the terminal without echo (twice) or, when stdin is
// not a terminal, from its first line. A running `ferry up` picks the change
// up at the next sign-in. Kubeflow's well-known default is refused.
//
// Who calls it: main.cc registers the subcommand and dispatches after parsing.
#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace ferry::main {

struct PasswdFlags {
  std::string email;
  std::string data_dir;  // default: $FERRY_DATA_DIR or ~/.ferry
};

// Defined in command_line.cc (with every other subcommand's flags).
CLI::App* AddPasswdCommand(CLI::App& app, PasswdFlags* flags);
// Exit code 0 when the password was set, 1 otherwise (the reason on `err`).
int RunPasswd(const PasswdFlags& flags, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace ferry::main
