"""Graphs whose input shapes name size variables (``"shape": ["B", 784]``).

gradc.compile() returns a SizedGraph for such a graph. It is used like a
CompiledGraph; the sizes of each call are bound from the shapes of the arrays
given as inputs (and from ``sizes=`` given to gradc.compile), and the call
runs the graph of those sizes: made on first use, reused after. Sizes whose
code differs only in numbers share compiled code (a code template linked per
binding), so a new batch size mostly costs no compile.
Input values and the ``.grad`` of every input whose shape names no size
variable (the parameters) carry over when the sizes change, as they do in
PyTorch when the last batch of an epoch is shorter; a ``.grad`` whose shape
changed is None again. See docs/symbolic-sizes.md.
"""

import numpy as _np

from . import _gradc


class SizedGraph:
    """A graph with size variables, compiled per binding of its sizes."""

    def __init__(self, compiler, source, kind, name, signature, sizes):
        self._compiler = compiler
        self._sized = _gradc.SizedCompiler(compiler, source, kind, name)
        self._signature = signature
        self._explicit = {str(k): int(v) for k, v in dict(sizes or {}).items()}
        self._members = {}
        self._current = None
        self._key = None
        self._sizes = {}
        self._inputs = {}

    # -- binding --------------------------------------------------------
    def _member(self, inputs):
        """The member for the sizes the inputs bind, made current."""
        if inputs is not None:
            self._inputs.update(dict(inputs))
        shapes = {k: tuple(int(d) for d in _np.shape(v)) for k, v in self._inputs.items()}
        sizes = self._signature.bind(self._explicit, shapes)
        key = tuple(sorted(sizes.items()))
        if self._current is not None and key == self._key:
            return self._current
        g = self._members.get(key)
        if g is None:
            g = self._sized.compile(sizes)
            self._members[key] = g
        old = self._current
        if old is not None:
            for info in g.inputs:
                if not info["requires_grad"]:
                    continue
                v = old.grad(info["name"])
                same = v is not None and list(v.shape) == list(info["shape"])
                g.set_grad(info["name"], v if same else None)
        if self._inputs:
            g.set_inputs(self._inputs)
        self._current, self._key, self._sizes = g, key, dict(sizes)
        return g

    def _now(self):
        if self._current is None:
            raise _gradc.Error("the graph has not run yet: its sizes (%s) are "
                               "bound by the first call's inputs"
                               % ", ".join(self._signature.size_names))
        return self._current

    # -- running ----------------------------------------------------------
    def run(self, inputs=None, seeds=None, backward=None, accumulate=False):
        """As CompiledGraph.run, at the sizes the inputs bind."""
        return self._member(inputs).run(inputs=inputs, seeds=seeds,
                                        backward=backward, accumulate=accumulate)

    def forward(self, inputs=None):
        """As CompiledGraph.forward, at the sizes the inputs bind."""
        return self._member(inputs).forward(inputs=inputs)

    def backward(self, outputs=None, seeds=None):
        """As CompiledGraph.backward, on the last forward()."""
        return self._now().backward(outputs=outputs, seeds=seeds)

    def set_inputs(self, inputs):
        """Sets input values for later calls (their shapes bind sizes then)."""
        self._inputs.update(dict(inputs))
        if self._current is not None:
            self._member(None)

    # -- .grad --------------------------------------------------------------
    def grad(self, name):
        return None if self._current is None else self._current.grad(name)

    def set_grad(self, name, value):
        self._now().set_grad(name, value)

    def _grads(self):
        return {} if self._current is None else self._current._grads()

    def zero_grad(self, set_to_none=True):
        if self._current is not None:
            self._current.zero_grad(set_to_none)

    # -- description --------------------------------------------------------
    @property
    def size_names(self):
        """The size variables, in order of first appearance."""
        return list(self._signature.size_names)

    @property
    def sizes(self):
        """The sizes of the last call ({} before the first)."""
        return dict(self._sizes)

    @property
    def compile_count(self):
        """How many compiles the sizes so far took: code templates shared by
        a range of sizes, and sizes compiled alone."""
        return self._sized.compile_count

    @property
    def instance_count(self):
        """How many sizes so far linked a template's code, compiling nothing."""
        return self._sized.instance_count

    @property
    def inputs(self):
        return self._now().inputs

    @property
    def outputs(self):
        return self._now().outputs

    @property
    def name(self):
        return self._now().name

    @property
    def cpp_source(self):
        return self._now().cpp_source

    @property
    def times(self):
        return self._now().times

    def __repr__(self):
        return "<gradc.SizedGraph: sizes %s, %d bound, %d compiles>" % (
            ", ".join(self.size_names), len(self._members), self.compile_count)
