// MLServer content types ("codecs"): how the tensors of a V2 request become
// the 2-D Frame a scikit-learn / XGBoost model predicts on, and how its
// prediction becomes V2 outputs. Semantics follow MLServer and its MLflow
// runtime (shared/reference/kserve-protocol.md §3.1–3.3).
//
// Codec choice:
//   1. the request-level parameters.content_type, when present, is obeyed;
//   2. otherwise the request's shape decides, as MLServer has no reading for
//      a request that does not fit the model default (it hands the raw
//      request to the model and fails, MLServer#661): several inputs → "pd";
//      one [N, M>1] input → "np"; one column-shaped input ([N] or [N, 1]) →
//      the model default (ModelMetadata::content_type, derived from the
//      MLflow signature: columns → "pd", unnamed tensor → "np", named
//      tensors → "dict") if it is "pd", else "np".
//   So with no content type anywhere: one input → np, several → pd.
// Codecs:
//   np   only the first (and only) input; [N, M] → N rows × M columns, [N] →
//        N × 1, [N, a, b] → N × a·b (row-major), [] → 1 × 1.
//   pd   every input is one column named input.name; shapes [N] or [N, 1]
//        with the same N.
//   dict named tensors: one input → np, several → pd.
//   str  request level: like np, for BYTES data.
// Input-level content types: "str"/"datetime"/"pd_json" keep BYTES as text,
// "base64" decodes each element. BYTES always become string columns.
//
// With a signature (ModelMetadata::inputs non-empty) the Frame is checked
// like MLflow's schema enforcement: safe casts only (INT/BOOL → FP64 ok,
// FP64 → INT64 or FP32 not; BYTES is left to the model, since metadata built
// without a signature declares FP64 for every column), column signatures
// match by name (missing → error, extra ignored, reordered to signature
// order; an unnamed np request with exactly as many columns as the signature
// is taken positionally), tensor signatures check the feature dimension
// ([-1, 4] needs 4 values per row). All columns count as required (TensorSpec
// has no `required` flag).
//
// Pure functions, thread-safe.
#pragma once

#include <vector>

#include "common/status.h"
#include "protocol/frame.h"
#include "protocol/infer.h"

namespace ferry::protocol {

StatusOr<Frame> RequestToFrame(const InferRequest& req, const ModelMetadata& md);
// The same into *out, whose vectors keep their storage (a Frame reused across requests); every
// field is written. On error *out is unspecified.
Status RequestToFrame(const InferRequest& req, const ModelMetadata& md, Frame* out);

enum class OutputStyle {
  // MLServer (MLflow models): one output named "output-1" (or the signature's
  // own output name), 1-D results as [N, 1], parameters.content_type "np".
  // The caller sets the response-level content_type "np".
  kMlserver,
  // KServe sklearnserver / xgbserver: "output-0", 1-D stays [N].
  kKserve,
};

// Turns a runtime's prediction into response outputs.
StatusOr<std::vector<Tensor>> PredictionToOutputs(Tensor prediction, OutputStyle style,
                                                  const ModelMetadata& md);
// The same into *outputs, which may hold an earlier response's: it becomes that one output,
// every field written, its name, shape and parameters in the storage they already had. The
// prediction's elements are moved into it (taken by reference: no moved-from copy to destroy).
Status PredictionToOutputs(Tensor&& prediction, OutputStyle style, const ModelMetadata& md,
                           std::vector<Tensor>* outputs);

// Keeps only the outputs the request names in `outputs` (in the requested
// order); all of them when it names none. Unknown names are InvalidArgument.
Status SelectOutputs(const InferRequest& req, std::vector<Tensor>* outputs);

// True when a `from` value can be stored as `to` without loss, the rule
// signature enforcement uses (BOOL → any number; BYTES only to BYTES).
bool IsSafeCast(DataType from, DataType to);

}  // namespace ferry::protocol
