#include "runtime/backend_export.h"

#include <new>
#include <utility>

namespace ferry::runtime {
namespace {

// Runs `fn` under the host thread's deadline; exceptions become INTERNAL.
template <typename Fn>
auto Hosted(const BackendHost& host, const ModelInfo& info, Fn&& fn) -> decltype(fn()) {
  const DeadlineClock::time_point deadline =
      host.current_deadline != nullptr ? host.current_deadline() : kNoDeadline;
  const std::string_view what =
      host.current_deadline_what != nullptr ? host.current_deadline_what() : std::string_view();
  ScopedDeadline scope(deadline, what);
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError(info.framework + " model (" + info.description +
                                  ") ran out of memory in predict; send fewer rows per request");
  } catch (const std::exception& e) {
    return InternalError(info.framework + " model (" + info.description +
                         ") failed in predict: " + e.what());
  } catch (...) {
    return InternalError(info.framework + " model (" + info.description +
                         ") failed in predict with an unknown exception");
  }
}

class HostedModel : public Model {
 public:
  HostedModel(std::unique_ptr<Model> inner, const BackendHost& host)
      : inner_(std::move(inner)), host_(host) {}

  const ModelInfo& info() const override { return inner_->info(); }

  StatusOr<protocol::Tensor> Predict(const protocol::Frame& x,
                                     PredictMethod method) const override {
    return Hosted(host_, inner_->info(), [&]() { return inner_->Predict(x, method); });
  }

  StatusOr<std::vector<protocol::Tensor>> PredictTensors(
      const std::vector<protocol::Tensor>& inputs, PredictMethod method) const override {
    return Hosted(host_, inner_->info(), [&]() { return inner_->PredictTensors(inputs, method); });
  }

 private:
  std::unique_ptr<Model> inner_;
  BackendHost host_;
};

class HostedRuntime : public FormatRuntime {
 public:
  HostedRuntime(std::unique_ptr<FormatRuntime> inner, const BackendHost& host)
      : inner_(std::move(inner)), host_(host) {}

  std::string_view name() const override { return inner_->name(); }
  std::string_view mlflow_flavor() const override { return inner_->mlflow_flavor(); }
  std::vector<std::string> plain_file_names() const override {
    return inner_->plain_file_names();
  }

  StatusOr<std::unique_ptr<Model>> LoadFile(const std::filesystem::path& file,
                                            const LoadOptions& options) const override {
    StatusOr<std::unique_ptr<Model>> model = [&]() -> StatusOr<std::unique_ptr<Model>> {
      try {
        return inner_->LoadFile(file, options);
      } catch (const std::bad_alloc&) {
        return ResourceExhaustedError("ran out of memory loading model file " + file.string());
      } catch (const std::exception& e) {
        return InternalError("loading model file " + file.string() + " failed: " + e.what());
      } catch (...) {
        return InternalError("loading model file " + file.string() +
                             " failed with an unknown exception");
      }
    }();
    if (!model.ok()) {
      return model.status();
    }
    return std::unique_ptr<Model>(std::make_unique<HostedModel>(std::move(*model), host_));
  }

 private:
  std::unique_ptr<FormatRuntime> inner_;
  BackendHost host_;
};

}  // namespace

std::unique_ptr<FormatRuntime> HostRuntime(std::unique_ptr<FormatRuntime> inner,
                                           const BackendHost& host) {
  return std::make_unique<HostedRuntime>(std::move(inner), host);
}

}  // namespace ferry::runtime
