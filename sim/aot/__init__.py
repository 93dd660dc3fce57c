"""The ahead-of-time runtime: C generated for one model (``tandem compile``), built with the
interpreter's own kernels; see :mod:`tandem.aot.generate` and :mod:`tandem.aot.image`."""
