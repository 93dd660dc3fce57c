"""Users' RTL as Verilated shared libraries driven from C: the port convention (``ports``), the
cached build and the ctypes driver (``model``), and the bus-driver shim (``shim.cpp``)."""
