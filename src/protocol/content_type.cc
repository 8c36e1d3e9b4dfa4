// DESIGN: decoding is two steps. Decode*() lays the request's tensors out as
// Frame columns without looking at the model; ApplySignature() then checks
// and reorders those columns against the model's signature, so the same
// schema rules apply whichever codec produced the Frame.
#include "protocol/content_type.h"

#include <boost/container/small_vector.hpp>
#include <cmath>
#include <cstring>

#include "common/base64.h"

namespace ferry::protocol {
namespace {

// Where a Frame column came from, for signature checks and error messages.
struct ColumnSource {
  DataType type;
  const std::string* input;
};

// One per Frame column; inline for the usual few columns (no allocation per request).
using Sources = boost::container::small_vector<ColumnSource, 8>;

struct Layout {
  size_t rows;
  size_t cols;
};

Status InputError(const Tensor& t, const std::string& what) {
  return InvalidArgumentError("input '" + t.name + "': " + what);
}

StatusOr<int64_t> CheckedCount(const Tensor& t) {
  auto count = ElementCount(t.shape);
  if (!count.ok()) {
    return InputError(t, count.status().message());
  }
  if (*count != t.num_elements()) {
    return InputError(t, "shape " + ShapeToString(t.shape) + " needs " + std::to_string(*count) +
                             " elements but the tensor holds " + std::to_string(t.num_elements()));
  }
  return *count;
}

// CheckedCount's answer without building a StatusOr on the usual path (this runs per request):
// ElementCount's checks inline, the error from CheckedCount itself.
Status CheckCount(const Tensor& t) {
  constexpr int64_t kMax = int64_t{1} << 40;
  int64_t n = 1;
  for (const int64_t d : t.shape) {
    if (d < 0 || (d != 0 && n > kMax / d)) return CheckedCount(t).status();
    n *= d;
  }
  if (n != t.num_elements()) return CheckedCount(t).status();
  return OkStatus();
}

StatusOr<Layout> NpLayout(const Tensor& t) {
  RETURN_IF_ERROR(CheckCount(t));
  if (t.shape.empty()) {
    return Layout{1, 1};
  }
  size_t cols = 1;
  for (size_t d = 1; d < t.shape.size(); ++d) {
    cols *= static_cast<size_t>(t.shape[d]);
  }
  return Layout{static_cast<size_t>(t.shape[0]), cols};
}

StatusOr<Layout> PdLayout(const Tensor& t) {
  RETURN_IF_ERROR(CheckCount(t));
  if (t.shape.empty()) {
    return Layout{1, 1};
  }
  if (t.shape.size() > 2 || (t.shape.size() == 2 && t.shape[1] != 1)) {
    return InputError(t, "shape " + ShapeToString(t.shape) +
                             " is not a column; with content_type pd each input is one column "
                             "of shape [N] or [N, 1]. Send one input per column, or a single "
                             "[N, M] input with content_type np");
  }
  return Layout{static_cast<size_t>(t.shape[0]), 1};
}

Status FillStrings(const Tensor& t, size_t col0, size_t cols, Frame* f) {
  const auto ct = t.parameters.GetString("content_type");
  const bool base64 = ct && *ct == "base64";
  for (size_t c = col0; c < col0 + cols; ++c) {
    f->MakeStringColumn(c);
  }
  for (size_t r = 0; r < f->rows; ++r) {
    for (size_t k = 0; k < cols; ++k) {
      const size_t i = r * cols + k;
      const size_t cell = r * f->cols + col0 + k;
      if (!t.null_mask.empty() && t.null_mask[i]) {
        f->missing[cell] = 1;
      } else if (base64) {
        if (!Base64Decode(t.bytes[i], &f->strings[cell])) {
          return InputError(
              t, "element " + std::to_string(i) + " is not valid base64 (content_type base64)");
        }
      } else {
        f->strings[cell] = t.bytes[i];
      }
    }
  }
  return OkStatus();
}

Status FillColumns(const Tensor& t, size_t col0, size_t cols, Frame* f) {
  if (t.datatype == DataType::kBytes) {
    return FillStrings(t, col0, cols, f);
  }
  if (t.datatype == DataType::kFp64 && cols == f->cols) {
    if (t.raw.empty()) {
      return OkStatus();
    }
    std::memcpy(f->numeric.data(), t.raw.data(), t.raw.size());  // np fast path
    return OkStatus();
  }
  for (size_t r = 0; r < f->rows; ++r) {
    for (size_t k = 0; k < cols; ++k) {
      f->numeric[r * f->cols + col0 + k] = t.AsDouble(static_cast<int64_t>(r * cols + k));
    }
  }
  return OkStatus();
}

Status DecodeNp(const InferRequest& req, std::string_view codec, Frame* f,
                Sources* sources) {
  if (req.inputs.size() != 1) {
    return InvalidArgumentError(
        "content_type " + std::string(codec) + " decodes exactly one input but the request has " +
        std::to_string(req.inputs.size()) +
        "; send a single [N, M] input, or set parameters.content_type to \"pd\" to send one "
        "input per column");
  }
  const Tensor& t = req.inputs[0];
  ASSIGN_OR_RETURN(Layout layout, NpLayout(t));
  f->ResetNumeric(layout.rows, layout.cols);
  sources->assign(layout.cols, ColumnSource{t.datatype, &t.name});
  return FillColumns(t, 0, layout.cols, f);
}

Status DecodePd(const InferRequest& req, Frame* f, Sources* sources) {
  std::vector<Layout> layouts;
  for (const Tensor& t : req.inputs) {
    ASSIGN_OR_RETURN(Layout layout, PdLayout(t));
    if (!layouts.empty() && layout.rows != layouts[0].rows) {
      return InputError(t, "has " + std::to_string(layout.rows) + " rows but input '" +
                               req.inputs[0].name + "' has " + std::to_string(layouts[0].rows) +
                               "; with content_type pd every column needs the same length");
    }
    for (size_t j = 0; j < layouts.size(); ++j) {
      if (req.inputs[j].name == t.name) {
        return InputError(t,
                          "appears twice; with content_type pd input names are column names "
                          "and must be unique");
      }
    }
    layouts.push_back(layout);
  }
  f->ResetNumeric(layouts[0].rows, req.inputs.size());
  for (size_t c = 0; c < req.inputs.size(); ++c) {
    const Tensor& t = req.inputs[c];
    f->names.push_back(t.name);
    sources->push_back(ColumnSource{t.datatype, &t.name});
    RETURN_IF_ERROR(FillColumns(t, c, 1, f));
  }
  return OkStatus();
}

std::vector<std::string> SpecNames(const ModelMetadata& md) {
  std::vector<std::string> names;
  for (const TensorSpec& spec : md.inputs) {
    names.push_back(spec.name);
  }
  return names;
}

std::string ListNames(const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    s += (i == 0 ? "'" : ", '") + names[i] + "'";
  }
  return s + "]";
}

// `kind` and `name` say what the signature declares ("column", "age"); the
// text is built only for an error (this runs on every request).
Status CheckCast(const ColumnSource& src, const TensorSpec& spec, std::string_view kind,
                 std::string_view name) {
  if (spec.datatype == DataType::kInvalid || IsSafeCast(src.type, spec.datatype)) {
    return OkStatus();
  }
  if (src.type == DataType::kBytes && spec.datatype != DataType::kBool) {
    // Metadata without a signature guesses FP64 for every column, so strings
    // are left for the model to accept (encoders) or reject with its own error.
    return OkStatus();
  }
  std::string from(DataTypeName(src.type));
  std::string to(DataTypeName(spec.datatype));
  return InvalidArgumentError("input '" + *src.input + "' is " + from +
                              " but the model signature "
                              "declares " +
                              std::string(kind) + " '" + std::string(name) + "' as " + to + "; " +
                              from +
                              " cannot be converted to " + to + " without loss. Send datatype " +
                              to + " (see GET /v2/models/<name> for the expected inputs)");
}

Frame SelectColumns(const Frame& in, const std::vector<size_t>& idx) {
  Frame out = Frame::Numeric(in.rows, idx.size());
  for (size_t c = 0; c < idx.size(); ++c) {
    if (!in.names.empty()) {
      out.names.push_back(in.names[idx[c]]);
    }
    if (in.is_string_col(idx[c])) {
      out.MakeStringColumn(c);
    }
    for (size_t r = 0; r < in.rows; ++r) {
      const size_t from = r * in.cols + idx[c];
      const size_t to = r * out.cols + c;
      out.numeric[to] = in.numeric[from];
      if (out.is_string_col(c)) {
        out.strings[to] = in.strings[from];
        out.missing[to] = in.missing[from];
      }
    }
  }
  return out;
}

// Column signature (MLflow ColSpecs): match by name, reorder, drop extras.
Status ApplyColumnSignature(const ModelMetadata& md, Frame* f, Sources* sources) {
  const std::vector<std::string> expected = SpecNames(md);
  if (f->names.empty()) {
    if (f->cols != expected.size()) {
      return InvalidArgumentError("the request has " + std::to_string(f->cols) +
                                  " values per row but the model "
                                  "signature has " +
                                  std::to_string(expected.size()) + " columns " +
                                  ListNames(expected) +
                                  "; send one input per column with those names (content_type pd)");
    }
    f->names = expected;  // unnamed np data is taken in signature order
  }
  std::vector<size_t> idx;
  std::vector<std::string> missing;
  for (const TensorSpec& spec : md.inputs) {
    auto c = f->ColumnIndex(spec.name);
    if (!c) {
      missing.push_back(spec.name);
    } else {
      idx.push_back(*c);
    }
  }
  if (!missing.empty()) {
    return InvalidArgumentError("model is missing inputs " + ListNames(missing) +
                                "; its signature needs " + ListNames(expected) +
                                " (input names are column names and are case-sensitive)");
  }
  for (size_t k = 0; k < idx.size(); ++k) {
    RETURN_IF_ERROR(CheckCast((*sources)[idx[k]], md.inputs[k], "column", expected[k]));
  }
  bool identity = idx.size() == f->cols;
  for (size_t k = 0; identity && k < idx.size(); ++k) {
    identity = idx[k] == k;
  }
  if (!identity) {
    *f = SelectColumns(*f, idx);
  }
  return OkStatus();
}

// Built apart from ApplyTensorSignature, so that the per-request path does not carry the
// message's frame.
[[gnu::noinline]] Status RowWidthError(const TensorSpec& spec, const Frame& f,
                                       const Sources& sources, int64_t per_row) {
  const std::string& name = sources.empty() ? spec.name : *sources[0].input;
  return InvalidArgumentError("input '" + name + "' has " + std::to_string(f.cols) +
                              " values per row but the model "
                              "signature expects shape " +
                              ShapeToString(spec.shape) + " (" + std::to_string(per_row) +
                              " per row); send shape [N, " + std::to_string(per_row) + "]");
}

// Tensor signature: one spec whose trailing dimensions fix the row width.
Status ApplyTensorSignature(const TensorSpec& spec, const Frame& f,
                            const Sources& sources) {
  int64_t per_row = 1;
  for (size_t d = 1; d < spec.shape.size(); ++d) {
    per_row = spec.shape[d] < 0 ? -1 : per_row * spec.shape[d];
    if (per_row < 0) {
      break;
    }
  }
  if (!spec.shape.empty() && per_row >= 0 && static_cast<int64_t>(f.cols) != per_row) {
    return RowWidthError(spec, f, sources, per_row);
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    // An np input's columns share its type and name: checking one of them checks them all;
    // the type the signature declares needs no check.
    if ((i > 0 && sources[i].type == sources[i - 1].type &&
         sources[i].input == sources[i - 1].input) ||
        sources[i].type == spec.datatype) {
      continue;
    }
    RETURN_IF_ERROR(CheckCast(sources[i], spec, "tensor", spec.name));
  }
  return OkStatus();
}

std::string_view ChooseCodec(const InferRequest& req, const ModelMetadata& md) {
  if (auto ct = req.parameters.GetString("content_type")) {
    return *ct;
  }
  // Nothing explicit: read the request by its shape, using the model default
  // only where both readings are possible (one column-shaped input).
  if (req.inputs.size() > 1) {
    return "pd";
  }
  const Shape& shape = req.inputs[0].shape;
  const bool column = shape.size() <= 1 || (shape.size() == 2 && shape[1] == 1);
  return column && md.content_type == "pd" ? "pd" : "np";
}

bool IsGeneratedOutputName(std::string_view name) {
  if (name.size() <= 7 || name.substr(0, 7) != "output-") {
    return false;
  }
  for (size_t i = 7; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

}  // namespace

StatusOr<Frame> RequestToFrame(const InferRequest& req, const ModelMetadata& md) {
  Frame f;
  RETURN_IF_ERROR(RequestToFrame(req, md, &f));
  return f;
}

Status RequestToFrame(const InferRequest& req, const ModelMetadata& md, Frame* out) {
  if (req.inputs.empty()) {
    return InvalidArgumentError("the request has no inputs; send at least one input tensor");
  }
  const std::string_view codec = ChooseCodec(req, md);
  Frame& f = *out;
  Sources sources;
  if (codec == "np" || codec == "str" || (codec == "dict" && req.inputs.size() == 1)) {
    RETURN_IF_ERROR(DecodeNp(req, codec, &f, &sources));
  } else if (codec == "pd" || codec == "dict") {
    RETURN_IF_ERROR(DecodePd(req, &f, &sources));
  } else {
    return InvalidArgumentError("unsupported content_type \"" + std::string(codec) +
                                "\"; at request level Ferry supports \"np\", \"pd\", \"dict\" "
                                "and \"str\"");
  }
  if (md.inputs.empty()) {
    return OkStatus();
  }
  if (md.content_type == "pd" || md.inputs.size() > 1) {
    RETURN_IF_ERROR(ApplyColumnSignature(md, &f, &sources));
  } else {
    RETURN_IF_ERROR(ApplyTensorSignature(md.inputs[0], f, sources));
  }
  return OkStatus();
}

StatusOr<std::vector<Tensor>> PredictionToOutputs(Tensor prediction, OutputStyle style,
                                                  const ModelMetadata& md) {
  std::vector<Tensor> outputs;
  RETURN_IF_ERROR(PredictionToOutputs(std::move(prediction), style, md, &outputs));
  return outputs;
}

Status PredictionToOutputs(Tensor&& prediction, OutputStyle style, const ModelMetadata& md,
                           std::vector<Tensor>* outputs) {
  outputs->resize(1);
  // Into the tensor already there: its name, shape and parameters keep their storage; the
  // elements are the prediction's own.
  Tensor& out = (*outputs)[0];
  out.name.assign(prediction.name);
  out.datatype = prediction.datatype;
  out.shape.assign(prediction.shape.begin(), prediction.shape.end());
  if (prediction.parameters.empty()) {
    // The MLServer style sets content_type below: an earlier response's lone content_type
    // entry stays for it to overwrite in place.
    const auto& kept = out.parameters.entries();
    if (style != OutputStyle::kMlserver || kept.size() != 1 || kept[0].first != "content_type") {
      out.parameters.Clear();
    }
  } else {
    out.parameters = std::move(prediction.parameters);
  }
  out.raw = std::move(prediction.raw);
  out.bytes = std::move(prediction.bytes);
  out.null_mask = std::move(prediction.null_mask);
  if (style == OutputStyle::kMlserver) {
    if (out.name.empty()) {
      const bool named = md.outputs.size() == 1 && !md.outputs[0].name.empty() &&
                         !IsGeneratedOutputName(md.outputs[0].name);
      out.name = named ? md.outputs[0].name : "output-1";
    }
    if (out.shape.size() == 1) {
      out.shape.push_back(1);  // MLServer's inject_batch_dimension
    }
    out.parameters.SetString("content_type", "np");
  } else if (out.name.empty()) {
    out.name = "output-0";
  }
  return OkStatus();
}

Status SelectOutputs(const InferRequest& req, std::vector<Tensor>* outputs) {
  if (req.outputs.empty()) {
    return OkStatus();
  }
  std::vector<size_t> idx;
  for (const RequestedOutput& r : req.outputs) {
    size_t i = 0;
    while (i < outputs->size() && (*outputs)[i].name != r.name) {
      ++i;
    }
    if (i == outputs->size()) {
      std::vector<std::string> names;
      for (const Tensor& t : *outputs) {
        names.push_back(t.name);
      }
      return InvalidArgumentError("requested output '" + r.name +
                                  "' does not exist; this model "
                                  "returns " +
                                  ListNames(names) + " (omit \"outputs\" to get all of them)");
    }
    idx.push_back(i);
  }
  std::vector<Tensor> selected;
  for (size_t i : idx) {
    selected.push_back((*outputs)[i]);
  }
  *outputs = std::move(selected);
  return OkStatus();
}

bool IsSafeCast(DataType from, DataType to) {
  if (from == to) {
    return true;
  }
  if (from == DataType::kBytes || to == DataType::kBytes || to == DataType::kBool ||
      from == DataType::kInvalid) {
    return false;
  }
  if (from == DataType::kBool) {
    return true;  // 0/1 fits every numeric type
  }
  const size_t from_size = ElementSize(from);
  const size_t to_size = ElementSize(to);
  if (IsFloating(to)) {
    if (IsFloating(from)) {
      return from_size < to_size;
    }
    // Integers widen to a float whose mantissa holds them; int64 → FP64 is
    // allowed like MLflow does (it widens int columns to double).
    return to == DataType::kFp64 || from_size <= 2;
  }
  if (IsFloating(from)) {
    return false;
  }
  const bool from_signed = from >= DataType::kInt8 && from <= DataType::kInt64;
  const bool to_signed = to >= DataType::kInt8 && to <= DataType::kInt64;
  if (from_signed && !to_signed) {
    return false;
  }
  if (from_signed == to_signed) {
    return from_size <= to_size;
  }
  return from_size < to_size;  // unsigned → wider signed
}

}  // namespace ferry::protocol
