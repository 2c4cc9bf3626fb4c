// Module KernelServer: see docs/ARCHITECTURE.md.
