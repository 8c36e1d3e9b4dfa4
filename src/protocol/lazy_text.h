// LazyText: a string built on its first read, for model metadata that costs
// more to make than a model's load should wait for (the dashboard's example
// request: parsing MLflow's saved input example was ~13% of `ferry serve`'s
// instructions until ready). Copies share one value; an empty LazyText reads "".
//
// Threads: get() is thread-safe (std::call_once); the maker runs once, on the
// first reader's thread, and must not throw.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace ferry::protocol {

class LazyText {
 public:
  LazyText() = default;
  explicit LazyText(std::function<std::string()> make)
      : state_(std::make_shared<State>(std::move(make))) {}

  const std::string& get() const {
    static const std::string kEmpty;
    if (!state_) return kEmpty;
    std::call_once(state_->once, [s = state_.get()] {
      s->value = s->make();
      s->make = nullptr;  // what it captured is no longer needed
    });
    return state_->value;
  }

 private:
  struct State {
    explicit State(std::function<std::string()> m) : make(std::move(m)) {}
    std::once_flag once;
    std::function<std::string()> make;
    std::string value;
  };
  std::shared_ptr<State> state_;
};

}  // namespace ferry::protocol
