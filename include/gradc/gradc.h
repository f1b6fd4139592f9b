/*===- gradc/gradc.h - The gradc C API --------------------------*- C -*-===*
 *
 * Compile a tensor graph (JSON, DSL or IR text) with gradc's JIT and run
 * its forward and backward passes from C or any language with a C foreign
 * function interface (Python ctypes/cffi, Rust, Go, Julia, ...).
 *
 *   gradc_graph *g;
 *   if (gradc_compile_file("model.json", NULL, &g) != GRADC_OK) {
 *     fprintf(stderr, "%s\n", gradc_last_error());
 *     return 1;
 *   }
 *   gradc_session *s;
 *   gradc_session_create(g, &s);
 *   const void *inputs[] = {x};          one pointer per input
 *   void *outputs[] = {out};             one per output (NULL: discard)
 *   void *grads[] = {dx};                one per requires_grad input
 *   gradc_run(s, inputs, outputs, grads, NULL, 0);   out.backward()
 *   gradc_session_free(s);
 *   gradc_graph_free(g);
 *
 * Conventions. Every function that can fail returns a gradc_status; on
 * failure, gradc_last_error() describes the problem (per thread, until the
 * next failing call on that thread). Tensors are dense row-major buffers of
 * the declared dtype and shape. Handles are opaque; the library never
 * takes ownership of caller buffers and never keeps pointers to them
 * beyond a call.
 *
 * Threads. A gradc_graph is immutable once compiled: any number of threads
 * may query it and create sessions from it at once. A gradc_session holds
 * the scratch memory of one execution and must be used by one thread at a
 * time; give each thread its own. Compiling is thread-safe too.
 *
 * Link with -lgradc (the CMake package's gradc::capi target).
 *
 *===----------------------------------------------------------------------===*/
#ifndef GRADC_GRADC_H
#define GRADC_GRADC_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define GRADC_API __attribute__((visibility("default")))
#else
#define GRADC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** The library version, e.g. "0.1.0". */
GRADC_API const char *gradc_version(void);

/** Result of a call. */
typedef enum gradc_status {
  GRADC_OK = 0,
  /** Bad graph, compile failure, unknown name, shape or root problem. */
  GRADC_ERROR = 1,
  /** A null handle or array, an index out of range, a bad option. */
  GRADC_INVALID_ARGUMENT = 2,
  GRADC_OUT_OF_MEMORY = 3
} gradc_status;

/** Element types. */
typedef enum gradc_dtype {
  GRADC_F32 = 0,
  GRADC_F64 = 1,
  GRADC_I32 = 2,
  GRADC_I64 = 3,
  GRADC_BOOL = 4 /* one byte per element */
} gradc_dtype;

/** Graph text formats. */
typedef enum gradc_format {
  GRADC_FORMAT_JSON = 0, /* the JSON graph format */
  GRADC_FORMAT_DSL = 1,  /* the Python-like DSL (.grad) */
  GRADC_FORMAT_IR = 2    /* gradc's IR text (.gir) */
} gradc_format;

/** The message of the last failed call on this thread ("" if none). Valid
 *  until the next failing call on the same thread. */
GRADC_API const char *gradc_last_error(void);

/** Compile options. Initialize with gradc_options_init() and change fields
 *  after, so that programs keep working when fields are added. */
typedef struct gradc_options {
  size_t size;           /* sizeof(gradc_options), set by gradc_options_init */
  int opt_level;         /* clang -O level of the generated code, 0..3 (1) */
  const char *cpu;       /* target CPU as in -mcpu; NULL: the host's */
  int use_cache;         /* nonzero: use the on-disk compile cache (1) */
  const char *cache_dir; /* NULL: $GRADC_CACHE_DIR, else ~/.cache/gradc */
} gradc_options;

/** Fills *options with the defaults. */
GRADC_API void gradc_options_init(gradc_options *options);

/** A compiled graph (immutable, shareable between threads). */
typedef struct gradc_graph gradc_graph;

/** Loads the graph file at path (format by extension: .json, .grad, .gir),
 *  differentiates, optimizes and JIT-compiles it. options may be NULL for
 *  the defaults. On success *graph receives a new handle. */
GRADC_API gradc_status gradc_compile_file(const char *path,
                                          const gradc_options *options,
                                          gradc_graph **graph);

/** Like gradc_compile_file() for graph text in memory (NUL-terminated).
 *  name is used in error messages (NULL: "<string>"). */
GRADC_API gradc_status gradc_compile_string(const char *text,
                                            gradc_format format,
                                            const char *name,
                                            const gradc_options *options,
                                            gradc_graph **graph);

/** Forward mode (JVP): loads the graph file at path and compiles the graph
 *  of its Jacobian-vector product, named NAME_jvp. Its inputs are the
 *  graph's inputs plus "tangent:X" for every requires_grad input X (zeros
 *  unless set); its outputs are the graph's outputs plus "tangent:O", the
 *  JVP of every output O, computed by one gradc_run() in the same loops as
 *  the values. Run it without backward roots (it has no gradients). */
GRADC_API gradc_status gradc_compile_jvp_file(const char *path,
                                              const gradc_options *options,
                                              gradc_graph **graph);

/** Frees a graph. Its sessions must be freed first. NULL is ignored. */
GRADC_API void gradc_graph_free(gradc_graph *graph);

/** The graph's name. */
GRADC_API const char *gradc_graph_name(const gradc_graph *graph);
/** Number of inputs, outputs and gradients (requires_grad inputs). */
GRADC_API size_t gradc_num_inputs(const gradc_graph *graph);
GRADC_API size_t gradc_num_outputs(const gradc_graph *graph);
GRADC_API size_t gradc_num_grads(const gradc_graph *graph);

/** Description of an input or output. Pointers stay valid as long as the
 *  graph. */
typedef struct gradc_tensor_info {
  const char *name;     /* as written in the graph */
  gradc_dtype dtype;
  int rank;
  const int64_t *shape; /* rank extents, outermost first */
  int64_t numel;        /* product of the shape (1 for a scalar) */
  size_t bytes;         /* numel * element size */
  /* Inputs: has a gradient. Outputs: requires grad, so it can be a
   * backward root (its seed is read). */
  int requires_grad;
  /* Inputs: position in the grads array, or -1. Outputs: -1. */
  int grad_index;
} gradc_tensor_info;

/** Describes input i (0 <= i < gradc_num_inputs()). */
GRADC_API gradc_status gradc_input_info(const gradc_graph *graph, size_t i,
                                        gradc_tensor_info *info);
/** Describes output k (0 <= k < gradc_num_outputs()). */
GRADC_API gradc_status gradc_output_info(const gradc_graph *graph, size_t k,
                                         gradc_tensor_info *info);
/** Position of the input / output with this name, or -1. */
GRADC_API int gradc_input_index(const gradc_graph *graph, const char *name);
GRADC_API int gradc_output_index(const gradc_graph *graph, const char *name);

/** Scratch memory for running a graph: the workspace and the context that
 *  gradc_forward() keeps for gradc_backward(). One per thread. */
typedef struct gradc_session gradc_session;

/** Creates a session of graph (which must outlive it). */
GRADC_API gradc_status gradc_session_create(const gradc_graph *graph,
                                            gradc_session **session);
/** Frees a session. NULL is ignored. */
GRADC_API void gradc_session_free(gradc_session *session);

/** Flags of gradc_run() and gradc_backward(). */
#define GRADC_ACCUMULATE 1u /* add into grads (.grad +=) instead of storing */

/* Arguments of the run functions:
 *   inputs   gradc_num_inputs() pointers, none NULL.
 *   outputs  gradc_num_outputs() pointers; a NULL entry (or a NULL array)
 *            discards that output.
 *   grads    gradc_num_grads() pointers, in input order; a NULL entry (or a
 *            NULL array) skips that gradient.
 *   seeds    gradc_num_outputs() pointers: the seed (cotangent) of each
 *            backward root, NULL for outputs that are not roots. A NULL
 *            array means out.backward() for every scalar output that
 *            requires grad, with seed 1. A seed for an output that does not
 *            require grad is an error, as in PyTorch, and so is an array
 *            whose every entry is NULL (no root: GRADC_ERROR; use
 *            gradc_forward for a run without backward). gradc_backward
 *            with a NULL array and no scalar root is GRADC_ERROR too.
 *   flags    GRADC_ACCUMULATE or 0. */

/** Forward and backward in one fused call. */
GRADC_API gradc_status gradc_run(gradc_session *session,
                                 const void *const *inputs,
                                 void *const *outputs, void *const *grads,
                                 const void *const *seeds, unsigned flags);

/** The forward pass; saves the context in the session
 *  (retain_graph=True): gradc_backward() may then run any number of times. */
GRADC_API gradc_status gradc_forward(gradc_session *session,
                                     const void *const *inputs,
                                     void *const *outputs);

/** Backward on the context of the session's last gradc_forward(). Fails if
 *  there was none, or a gradc_run() came after it. */
GRADC_API gradc_status gradc_backward(gradc_session *session,
                                      void *const *grads,
                                      const void *const *seeds,
                                      unsigned flags);

/* Graphs with size variables ("shape": ["B", 784], docs/symbolic-sizes.md).
 * A family is a graph file whose input shapes name sizes; it makes one
 * graph per binding of its sizes, on first request, and keeps it. Bindings
 * whose code differs only in numbers share compiled code. */
typedef struct gradc_family gradc_family;

/** Reads the graph file at path (.json or .grad) and its size variables.
 *  Nothing is compiled yet. */
GRADC_API gradc_status gradc_family_open(const char *path,
                                         const gradc_options *options,
                                         gradc_family **family);
/** Frees a family and every graph it handed out (their sessions must be
 *  freed first). NULL is ignored. */
GRADC_API void gradc_family_free(gradc_family *family);
/** Number of size variables, and the name of the i-th (NULL out of
 *  range), in order of first appearance. */
GRADC_API size_t gradc_family_num_sizes(const gradc_family *family);
GRADC_API const char *gradc_family_size_name(const gradc_family *family,
                                             size_t i);
/** The graph for the sizes that the shapes of the inputs the caller will
 *  pass bind: n inputs, names[i] with rank ranks[i] and extents shapes[i].
 *  sizes ("B=64,T=32", or NULL) binds sizes explicitly. A name given twice
 *  there, two values for one size, a negative size, a shape that does not fit its declaration, a size
 *  left unbound, or buffers past the memory cap are GRADC_ERROR, before any
 *  compile. The graph is made on the first request for its sizes (compiled,
 *  or linked from code compiled for other sizes) and the same handle is
 *  returned after; it belongs to the family (do not
 *  gradc_graph_free it). */
GRADC_API gradc_status gradc_family_graph(gradc_family *family, size_t n,
                                          const char *const *names,
                                          const int *ranks,
                                          const int64_t *const *shapes,
                                          const char *sizes,
                                          const gradc_graph **graph);
/** Number of compiles so far. Bindings whose code differs only in numbers
 *  share one compiled code template, linked per binding (docs/
 *  symbolic-sizes.md); a binding no template covers compiles alone. */
GRADC_API size_t gradc_family_compile_count(const gradc_family *family);

#ifdef __cplusplus
}
#endif

#endif /* GRADC_GRADC_H */
