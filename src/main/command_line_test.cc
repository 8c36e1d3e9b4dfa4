// ParseServeFlagsFast against CLI11 reading the same command line through AddServeCommand, set
// up as main.cc does for `ferry serve`: wherever the fast reader answers, CLI11 must accept the
// line and produce the same ServeFlags; it must answer for the plain lines pods use, and leave
// everything else (help, typos, repeats, values CLI11 reads specially or refuses) to CLI11.
#include <CLI/CLI.hpp>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "main/serve_command.h"

namespace ferry::main {
namespace {

std::vector<const char*> Argv(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"ferry", "serve"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return argv;
}

// The flags CLI11 reads from `ferry serve ARGS...`, or nullopt when it refuses the line (or
// exits for --help).
std::optional<ServeFlags> WithCli11(const std::vector<std::string>& args) {
  CLI::App app{"test"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("ferry test"));
  ServeFlags flags;
  AddServeCommand(app, &flags);
  std::vector<const char*> argv = Argv(args);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::Error&) {
    return std::nullopt;
  }
  return flags;
}

std::optional<ServeFlags> Fast(const std::vector<std::string>& args) {
  ServeFlags flags;
  std::vector<const char*> argv = Argv(args);
  if (!ParseServeFlagsFast(static_cast<int>(argv.size()), argv.data(), &flags)) {
    EXPECT_TRUE(flags == ServeFlags()) << "flags changed on refusal";
    return std::nullopt;
  }
  return flags;
}

// ServeFlags' own ==, but a NaN double CLI11 and the fast reader both stored counts as equal.
bool Same(ServeFlags a, ServeFlags b) {
  for (auto field : {&ServeFlags::predict_timeout_seconds, &ServeFlags::drain_seconds,
                     &ServeFlags::max_batch_delay_ms}) {
    if (std::isnan(a.*field) && std::isnan(b.*field)) a.*field = b.*field = 0;
  }
  return a == b;
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += "[" + a + "] ";
  return out;
}

// Where the fast reader answers, CLI11 agrees; returns whether it answered.
bool Agree(const std::vector<std::string>& args) {
  std::optional<ServeFlags> fast = Fast(args);
  if (!fast) return false;
  std::optional<ServeFlags> cli = WithCli11(args);
  EXPECT_TRUE(cli.has_value()) << "CLI11 refuses what the fast reader took: " << Join(args);
  if (cli) {
    EXPECT_TRUE(Same(*fast, *cli)) << Join(args);
  }
  return true;
}

// Every long name of every serve option CLI11 declares (help excluded).
std::vector<std::string> Cli11LongNames() {
  CLI::App app{"test"};
  ServeFlags flags;
  AddServeCommand(app, &flags);
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_subcommand("serve")->get_options()) {
    if (opt == app.get_subcommand("serve")->get_help_ptr()) continue;
    for (const std::string& name : opt->get_lnames()) names.push_back(name);
  }
  return names;
}

TEST(ParseServeFlagsFast, ReadsThePodsCommandLines) {
  // KServe's custom-runtime args, the `--name=value` form, and the benchmarks' form.
  const std::vector<std::vector<std::string>> lines = {
      {"--model_name=irish", "--model_dir=/mnt/models", "--http_port=8080"},
      {"--model_name", "irish-s3", "--model_dir", "build/demo/iris_tensor", "--http_port", "0",
       "--grpc_port", "0", "--bind", "127.0.0.1"},
      {"--model-name", "m", "--grpc-port=9000", "--workers", "2", "--max_batch_size", "8",
       "--max_batch_delay_ms", "2.5", "--predict_timeout_seconds", "0", "--drain-seconds=1.5",
       "--max_body_bytes", "1048576", "--access_log_rate", "0"},
      {"--model_dir=/a=b", "--bind=::1"},
      {},
  };
  for (const auto& args : lines) EXPECT_TRUE(Agree(args)) << Join(args);
  std::optional<ServeFlags> f = Fast(lines[1]);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->model_name, "irish-s3");
  EXPECT_EQ(f->model_dir, "build/demo/iris_tensor");
  EXPECT_EQ(f->http_port, 0);
  EXPECT_EQ(f->grpc_port, 0);
  EXPECT_TRUE(f->grpc_port_explicit);
  EXPECT_FALSE(Fast(lines[0])->grpc_port_explicit);
  EXPECT_EQ(Fast(lines[3])->model_dir, "/a=b");
}

TEST(ParseServeFlagsFast, KnowsEveryFlagCli11Declares) {
  std::vector<std::string> names = Cli11LongNames();
  EXPECT_GE(names.size(), 30u);
  for (const std::string& name : names) {
    // A value every option's type takes: the fast reader must read it (else a flag added to
    // AddServeCommand is missing from its table), and agree with CLI11.
    EXPECT_TRUE(Agree({"--" + name, "7"})) << name;
    EXPECT_TRUE(Agree({"--" + name + "=7"})) << name;
  }
}

TEST(ParseServeFlagsFast, AgreesWithCli11OnOddValues) {
  const std::vector<std::string> values = {
      "0",
      "1",
      "010",
      "0x10",
      "0b11",
      "0o7",
      "1e3",
      "2.5",
      "-1",
      "+3",
      " 4",
      "4 ",
      "4x",
      "abc",
      "true",
      "false",
      "inf",
      "nan",
      "99999999999",
      "99999999999999999999999",
      "1.7976931348623157e309",
      "[1,2]",
      "{x}",
      "a b",
      "--",
      "-",
      "=",
      "\n",
      "\xc3\xa9",
  };
  int answered = 0;
  for (const std::string& name : Cli11LongNames()) {
    for (const std::string& v : values) {
      answered += Agree({"--" + name, v});
      answered += Agree({"--" + name + "=" + v});
    }
  }
  EXPECT_GT(answered, 0);
}

TEST(ParseServeFlagsFast, LeavesEverythingElseToCli11) {
  const std::vector<std::vector<std::string>> lines = {
      {"--help"},
      {"-h"},
      {"--version"},
      {"--model_name", "a", "--help"},
      {"--model_nam", "a"},
      {"--MODEL_NAME", "a"},
      {"-model_name", "a"},
      {"model_name", "a"},
      {"--model_name", "a", "extra"},
      {"--model_name", "a", "--model_name", "b"},
      {"--model_name", "a", "--model-name", "b"},
      {"--model_name"},
      {"--model_name="},
      {"--model_name=", "x"},
      {"--model_name", ""},
      {"--access_log_rate", "-1"},
      {"--access_log_rate=-1"},
      {"--http_port", "eighty"},
      {"--http_port", "99999999999"},
      {"--predict_timeout_seconds", "-1"},
      {"--predict_timeout_seconds=-0.5"},
      {"--", "--model_name", "a"},
      {"--model_name", "a", "--"},
  };
  for (const auto& args : lines) {
    EXPECT_FALSE(Fast(args).has_value()) << Join(args);
  }
  // Not `serve` at all.
  const char* up[] = {"ferry", "up", "--model_name", "a"};
  ServeFlags flags;
  EXPECT_FALSE(ParseServeFlagsFast(4, up, &flags));
  const char* bare[] = {"ferry"};
  EXPECT_FALSE(ParseServeFlagsFast(1, bare, &flags));
}

}  // namespace
}  // namespace ferry::main
