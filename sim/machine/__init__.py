"""A board assembled from a platform: the bus, the run loop, the console and the run's results.

This is where core, timing and peripherals meet; it depends on them and on firmware (ELF loading)
and reports (profiles), never on tinyml, cosim or the CLI.
"""
