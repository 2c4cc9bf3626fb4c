// Module KernelEngine: see docs/ARCHITECTURE.md.
