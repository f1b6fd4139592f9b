// aot_demo: train a linear regression with a graph compiled ahead of time.
//
// graphs/regression.json computes loss = mean((x @ w + b - y)^2); gradc
// turned it into the class demo::Regression (Regression.h, generated at
// build time by gradc_add_graph in CMakeLists.txt). Each step runs forward
// and backward in one call and then takes a gradient descent step.
#include "Regression.h"

#include <cmath>
#include <cstdio>

int main() {
  using demo::Regression;
  // Shapes are constexpr: the batch size comes from the graph.
  constexpr long long n = Regression::input_x_shape[0];
  constexpr long long d = Regression::input_x_shape[1];
  const float trueW[d] = {2.0f, -3.0f, 0.5f}, trueB = 1.0f;

  // One object owns every buffer: inputs, outputs, gradients, scratch.
  Regression model;
  float *x = model.input_x(), *y = model.input_y();
  for (long long i = 0; i < n; ++i) {
    float target = trueB;
    for (long long j = 0; j < d; ++j) {
      x[i * d + j] = std::sin(0.37f * (j + 1) * i + j); // independent columns
      target += trueW[j] * x[i * d + j];
    }
    y[i] = target;
  }

  // w and b start at their declared init (zeros). Gradient descent:
  // run() is loss.backward() with fresh gradients (accumulate = false).
  float *w = model.input_w(), *b = model.input_b();
  const float lr = 0.2f;
  float first = 0;
  for (int step = 0; step < 300; ++step) {
    // run() returns a nonzero status only for an index out of range in
    // the data (graphs with embedding, gather, ...); this one has none.
    if (model.run() != 0) return 1;
    if (step == 0) first = model.output_loss()[0];
    for (long long j = 0; j < d; ++j) w[j] -= lr * model.grad_w()[j];
    b[0] -= lr * model.grad_b()[0];
  }
  model.run();
  float last = model.output_loss()[0];
  std::printf("loss %.6f -> %.8f\n", first, last);
  std::printf("w = %.4f %.4f %.4f, b = %.4f\n", w[0], w[1], w[2], b[0]);
  bool ok = last < 1e-6f && std::fabs(w[1] - trueW[1]) < 1e-3f &&
            std::fabs(b[0] - trueB) < 1e-3f;
  std::printf("%s\n", ok ? "converged" : "did not converge");
  return ok ? 0 : 1;
}
