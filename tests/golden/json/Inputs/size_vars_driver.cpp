// Includes an AOT header built at B=3 and checks, at compile time, that it
// declares the size it was built at and shapes that hold it.
#include "seed_batch.h"

static_assert(SEED_BATCH_SIZE_B == 3, "the macro of size B");
static_assert(seed_batch::kSize_B == 3, "the class constant of size B");
static_assert(seed_batch::input_x_shape[0] == seed_batch::kSize_B, "x is [B, 2]");

int main() {
  seed_batch g;
  g.input_x()[0] = 1.0f;
  return g.run() == 0 ? 0 : 1;
}
