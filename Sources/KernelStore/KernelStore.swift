// Module KernelStore: see docs/ARCHITECTURE.md.
