/* c_api: compile a graph and run it through gradc's C API.
 *
 *   c_api GRAPH
 *
 * Every input is set to ones (float inputs) or zeros; the scalar outputs
 * that require grad are the backward roots with seed 1 (a NULL seeds array),
 * like out.backward() in PyTorch. Prints outputs and gradients, runs a
 * second backward on the same forward (gradients accumulate), and shows
 * how errors are reported. */
#include <gradc/gradc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_tensor(const char *label, const gradc_tensor_info *info,
                         const void *data) {
  int64_t i;
  printf("%s =", label);
  for (i = 0; i < info->numel; ++i) {
    switch (info->dtype) {
    case GRADC_F32: printf(" %g", ((const float *)data)[i]); break;
    case GRADC_F64: printf(" %g", ((const double *)data)[i]); break;
    case GRADC_I32: printf(" %d", ((const int32_t *)data)[i]); break;
    case GRADC_I64: printf(" %lld", (long long)((const int64_t *)data)[i]); break;
    case GRADC_BOOL: printf(" %d", ((const unsigned char *)data)[i]); break;
    }
  }
  printf("\n");
}

static int fail(const char *what) {
  fprintf(stderr, "c_api: %s: %s\n", what, gradc_last_error());
  return 1;
}

int main(int argc, char **argv) {
  gradc_graph *graph = NULL;
  gradc_session *session = NULL;
  gradc_tensor_info info;
  size_t i, n_in, n_out, n_grad;
  const void **inputs;
  void **outputs, **grads;
  char label[256];
  int rc = 0;

  if (argc != 2) {
    fprintf(stderr, "usage: c_api GRAPH\n");
    return 2;
  }
  printf("gradc %s\n", gradc_version());
  if (gradc_compile_file(argv[1], NULL, &graph) != GRADC_OK)
    return fail("compile");
  n_in = gradc_num_inputs(graph);
  n_out = gradc_num_outputs(graph);
  n_grad = gradc_num_grads(graph);

  /* Buffers: the caller owns them; gradc only reads and writes them. */
  inputs = calloc(n_in ? n_in : 1, sizeof *inputs);
  outputs = calloc(n_out ? n_out : 1, sizeof *outputs);
  grads = calloc(n_grad ? n_grad : 1, sizeof *grads);
  for (i = 0; i < n_in; ++i) {
    void *buffer;
    int64_t k;
    gradc_input_info(graph, i, &info);
    buffer = calloc(info.bytes ? info.bytes : 1, 1);
    if (info.dtype == GRADC_F32)
      for (k = 0; k < info.numel; ++k) ((float *)buffer)[k] = 1.0f;
    if (info.dtype == GRADC_F64)
      for (k = 0; k < info.numel; ++k) ((double *)buffer)[k] = 1.0;
    inputs[i] = buffer;
    if (info.grad_index >= 0)
      grads[info.grad_index] = calloc(info.bytes ? info.bytes : 1, 1);
  }
  for (i = 0; i < n_out; ++i) {
    gradc_output_info(graph, i, &info);
    outputs[i] = calloc(info.bytes ? info.bytes : 1, 1);
  }

  /* One session per thread; this program has one. */
  if (gradc_session_create(graph, &session) != GRADC_OK) {
    rc = fail("session");
    goto done;
  }
  /* forward, then out.backward(retain_graph=True) twice: the second call
   * accumulates into the gradient buffers. */
  if (gradc_forward(session, inputs, outputs) != GRADC_OK ||
      gradc_backward(session, grads, NULL, 0) != GRADC_OK) {
    rc = fail("run");
    goto done;
  }
  for (i = 0; i < n_out; ++i) {
    gradc_output_info(graph, i, &info);
    print_tensor(info.name, &info, outputs[i]);
  }
  for (i = 0; i < n_in; ++i) {
    gradc_input_info(graph, i, &info);
    if (info.grad_index < 0) continue;
    snprintf(label, sizeof label, "%s.grad", info.name);
    print_tensor(label, &info, grads[info.grad_index]);
  }
  if (gradc_backward(session, grads, NULL, GRADC_ACCUMULATE) != GRADC_OK) {
    rc = fail("backward");
    goto done;
  }
  for (i = 0; i < n_in; ++i) {
    gradc_input_info(graph, i, &info);
    if (info.grad_index < 0) continue;
    snprintf(label, sizeof label, "%s.grad", info.name);
    print_tensor(label, &info, grads[info.grad_index]);
  }

  /* Errors come back as a status plus a message. */
  {
    gradc_graph *bad = NULL;
    const char *text = "{\"name\": \"bad\", \"inputs\": [], \"nodes\": "
                       "[{\"name\": \"y\", \"op\": \"nope\", \"inputs\": []}],"
                       " \"outputs\": [\"y\"]}";
    if (gradc_compile_string(text, GRADC_FORMAT_JSON, "bad.json", NULL, &bad) ==
        GRADC_OK) {
      fprintf(stderr, "c_api: a bad graph compiled\n");
      gradc_graph_free(bad);
      rc = 1;
    } else {
      printf("error as expected: %s\n", gradc_last_error());
    }
  }

done:
  gradc_session_free(session);
  for (i = 0; i < n_in; ++i) free((void *)inputs[i]);
  for (i = 0; i < n_out; ++i) free(outputs[i]);
  for (i = 0; i < n_grad; ++i) free(grads[i]);
  free(inputs);
  free(outputs);
  free(grads);
  gradc_graph_free(graph);
  return rc;
}
