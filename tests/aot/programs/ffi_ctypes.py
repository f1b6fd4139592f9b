"""The C API from Python with nothing but ctypes, as an FFI host uses it:
compile the seed example, run x = [[1, 2], [3, 4]] forward and backward,
and check the numbers (out = mean(3 (x + 2)^2) = 64.5, x.grad = 1.5 (x + 2)),
then that a bad graph comes back as a status and a message.
Usage: ffi_ctypes.py LIBGRADC SEED_JSON"""
import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])
lib.gradc_last_error.restype = ctypes.c_char_p
lib.gradc_version.restype = ctypes.c_char_p

graph, session = ctypes.c_void_p(), ctypes.c_void_p()
if lib.gradc_compile_file(sys.argv[2].encode(), None, ctypes.byref(graph)):
    raise RuntimeError(lib.gradc_last_error().decode())
assert lib.gradc_session_create(graph, ctypes.byref(session)) == 0

Float4 = ctypes.c_float * 4
x, y, z, gx, out = Float4(1, 2, 3, 4), Float4(), Float4(), Float4(), ctypes.c_float()


def ptrs(*buffers):
    return (ctypes.c_void_p * len(buffers))(*map(ctypes.addressof, buffers))


status = lib.gradc_run(session, ptrs(x), ptrs(y, z, out), ptrs(gx), None, 0)
assert status == 0, lib.gradc_last_error()
assert abs(out.value - 64.5) < 1e-4, out.value
assert all(abs(g - 1.5 * (v + 2)) < 1e-5 for g, v in zip(gx, x)), list(gx)

bad = ctypes.c_void_p()
status = lib.gradc_compile_string(b"{", 0, b"bad.json", None, ctypes.byref(bad))
assert status == 1 and b"bad.json" in lib.gradc_last_error(), status
lib.gradc_session_free(session)
lib.gradc_graph_free(graph)
print("gradc", lib.gradc_version().decode(), "via ctypes: ok")
