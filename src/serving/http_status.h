// The one place that maps Status codes onto HTTP status codes.
#pragma once

#include "common/status.h"

namespace ferry::serving {

// InvalidArgument → 400, NotFound → 404, Unavailable → 503, Unimplemented → 501, ...
int HttpStatusFor(StatusCode code);

}  // namespace ferry::serving
