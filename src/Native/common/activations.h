// Activations over a row of values, vectorised (math.h's formulas in cloned loops).
#pragma once

namespace msv::ref {

// v[i] = silu(v[i]) for i < n.
void silu_inplace(float* v, int n);

}  // namespace msv::ref
