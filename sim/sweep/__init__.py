"""Accelerator design-space sweeps (``tandem sweep``): design points from parameters
(:mod:`spec`), one overlay per point (:mod:`overlay`), area from yosys (:mod:`synth`), the points
on a local pool or a Dask cluster (:mod:`engine`, :mod:`driver`), the table and plots
(:mod:`report`)."""
