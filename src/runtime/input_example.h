// ExampleRequest: a V2 (Open Inference Protocol) request body built from an
// MLflow model's saved input example, so the dashboard's "Try it" starts from
// real rows instead of zeros. The example is read as MLflow writes it
// (`{"inputs": rows}` or `{"inputs": {name: rows}}` for ndarray examples,
// `{"columns": [...], "data": rows}` for pandas "split" examples, or a bare
// list of rows) and shaped by the model's V2 metadata: one tensor input
// [-1, k] takes the rows as they are; one input per column takes each column
// (matched by name, else by position). Anything else gives no example.
//
// Called once, on the first metadata read (mlflow_loader.cc sets it as the
// metadata's LazyText); pure function, any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/infer.h"

namespace ferry::runtime {

// The request JSON with at most `max_rows` rows, or "" when the example does
// not parse or does not fit the metadata's inputs.
std::string ExampleRequest(std::string_view example_json, const protocol::ModelMetadata& md,
                           size_t max_rows);

}  // namespace ferry::runtime
