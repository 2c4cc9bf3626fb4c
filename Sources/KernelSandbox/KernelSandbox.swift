// Module KernelSandbox: see docs/ARCHITECTURE.md.
