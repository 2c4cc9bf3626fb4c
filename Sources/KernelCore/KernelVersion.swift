/// The kernel's version, in one place: `Kernel.version`, `kernel.status`, `/healthz`, the OpenAPI
/// document, the version plugins are told (`HostContext.kernelVersion`) and `mcpk --version`.
public enum KernelVersion {
    public static let current = "0.1.0"
}
