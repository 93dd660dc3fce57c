"""TinyML on the board: reading .tflite models (model), the reference oracles (litert_ref,
host_runtime), the runtime image's mailbox (protocol), running a model (infer), its text report
and plots, and the model builders used by the tests (models).

The top of the stack below the CLI: it uses machine, firmware and cosim.
"""
