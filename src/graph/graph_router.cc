#include "graph/graph_router.h"

#include <atomic>
#include <optional>
#include <utility>
#include <vector>

namespace ferry::graph {
namespace {

using nlohmann::json;

// What a node or step ends with: an answer (status and body), or an error the router turns
// into its error body.
struct Outcome {
  int status = 200;
  std::string body;
  std::optional<std::string> error;
  bool known_json = false;  // no need to parse the body to know it is JSON
};
using Done = std::function<void(Outcome)>;

Outcome Error(int status, std::string cause) { return {status, "", std::move(cause)}; }
bool Successful(int status) { return status >= 200 && status <= 299; }

struct Run {
  std::shared_ptr<const Graph> graph;
  std::shared_ptr<StepCaller> caller;
};

void RunNode(const Run& run, const std::string& name, std::string input, Done done);

void RunStep(const Run& run, const Step& step, std::string input, Done done) {
  if (!step.node_name.empty()) return RunNode(run, step.node_name, std::move(input), done);
  run.caller->Call(step, std::move(input), [done = std::move(done)](Reply r) {
    if (!r.error.empty()) return done(Error(500, std::move(r.error)));
    done(Outcome{r.status, std::move(r.body), std::nullopt, r.known_json});
  });
}

class Sequence : public std::enable_shared_from_this<Sequence> {
 public:
  Sequence(Run run, const Node* node, std::string input, Done done)
      : run_(std::move(run)), node_(node), input_(std::move(input)), done_(std::move(done)) {
    // The last step that reads the node's input takes it instead of a copy.
    for (size_t i = 0; i < node_->steps.size(); ++i) {
      if (!(node_->steps[i].data_response && i > 0)) last_input_use_ = i;
    }
  }

  void Next() {
    if (i_ == node_->steps.size()) return done_(std::move(last_));
    const Step& step = node_->steps[i_];
    if (step.condition) {
      // The condition reads the previous step's output; a sequence stops where it fails.
      json doc = json::parse(last_.body, nullptr, /*allow_exceptions=*/false);
      if (doc.is_discarded()) return done_(Error(500, "invalid response"));
      if (!step.condition->Exists(doc)) {
        return done_(Outcome{500, std::move(last_.body), {}, last_.known_json});
      }
    }
    std::string request = step.data_response && i_ > 0 ? std::move(last_.body)
                          : i_ == last_input_use_      ? std::move(input_)
                                                       : input_;
    RunStep(run_, step, std::move(request), [self = shared_from_this(), &step](Outcome o) {
      if (o.error) return self->done_(std::move(o));
      self->last_ = std::move(o);
      if (step.hard && !Successful(self->last_.status)) {
        return self->done_(std::move(self->last_));  // a Hard step's failure ends the sequence
      }
      ++self->i_;
      self->Next();
    });
  }

 private:
  Run run_;
  const Node* node_;
  std::string input_;
  Done done_;
  size_t i_ = 0;
  size_t last_input_use_ = SIZE_MAX;
  Outcome last_;
};

class Ensemble : public std::enable_shared_from_this<Ensemble> {
 public:
  Ensemble(const Node* node, Done done)
      : node_(node),
        done_(std::move(done)),
        results_(node->steps.size()),
        remaining_(static_cast<int>(node->steps.size())) {}

  void Start(const Run& run, const std::string& input) {
    for (size_t i = 0; i < node_->steps.size(); ++i) {
      RunStep(run, node_->steps[i], input, [self = shared_from_this(), i](Outcome o) {
        self->results_[i] = std::move(o);
        if (self->remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) self->Finish();
      });
    }
  }

 private:
  void Finish() {
    json merged = json::object();
    for (size_t i = 0; i < results_.size(); ++i) {
      Outcome& o = results_[i];
      const Step& step = node_->steps[i];
      if (o.error) return done_(Error(500, *o.error));
      json doc = json::parse(o.body, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_object()) {
        std::string key = step.name.empty() ? std::to_string(i) : step.name;
        return done_(Error(500, "ensemble step " + key + " answered " + std::to_string(o.status) +
                                    " with a body that is not a JSON "
                                    "object, which an ensemble cannot merge"));
      }
      if (step.hard && !Successful(o.status)) {
        return done_(Outcome{o.status, doc.dump(), {}, true});
      }
      merged[step.name.empty() ? std::to_string(i) : step.name] = std::move(doc);
    }
    done_(Outcome{200, merged.dump(), {}, true});
  }

  const Node* node_;
  Done done_;
  std::vector<Outcome> results_;  // one slot per step, each written by its own completion
  std::atomic<int> remaining_;
};

void RunNode(const Run& run, const std::string& name, std::string input, Done done) {
  auto it = run.graph->nodes.find(name);
  if (it == run.graph->nodes.end()) {
    return done(Error(500, "invalid route type: node " + name + " does not exist"));
  }
  const Node& node = it->second;
  switch (node.type) {
    case RouterType::kSequence: {
      auto seq = std::make_shared<Sequence>(run, &node, std::move(input), std::move(done));
      return seq->Next();
    }
    case RouterType::kEnsemble: {
      auto ens = std::make_shared<Ensemble>(&node, std::move(done));
      return ens->Start(run, input);
    }
    case RouterType::kSwitch: {
      json doc = json::parse(input, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_discarded()) {
        for (const Step& step : node.steps) {
          if (step.condition && step.condition->Exists(doc)) {
            return RunStep(run, step, std::move(input), std::move(done));
          }
        }
      }
      return done(Error(404, "None of the routes matched with the switch condition"));
    }
    case RouterType::kSplitter: {
      int point = run.caller->Roll(), end = 0;
      for (const Step& step : node.steps) {
        end += static_cast<int>(step.weight);
        if (point < end) return RunStep(run, step, std::move(input), std::move(done));
      }
      return done(Error(500, "splitter node " + name + " picked no step"));
    }
  }
}

}  // namespace

std::string RoutingErrorBody(const std::string& cause) {
  return json{{"error", "Failed to process request"}, {"cause", cause}}.dump();
}

void RunGraph(std::shared_ptr<const Graph> graph, std::string input,
              std::shared_ptr<StepCaller> caller, std::function<void(GraphReply)> done) {
  Run run{std::move(graph), std::move(caller)};
  // The last callback holds the graph and the caller: every step and node callback runs before it.
  RunNode(run, "root", std::move(input), [keep = run, done = std::move(done)](Outcome o) {
    GraphReply r;
    r.status = o.status;
    if (o.error) {
      r.body = RoutingErrorBody(*o.error);
    } else {
      r.json_body = o.known_json || json::accept(o.body);
      r.body = std::move(o.body);
    }
    done(std::move(r));
  });
}

}  // namespace ferry::graph
