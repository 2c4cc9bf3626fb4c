// Module KernelPlugins: see docs/ARCHITECTURE.md.
