/// The kernel's version: `Kernel.version`, `kernel.status`, `/healthz` and the OpenAPI document.
public enum KernelVersion {
    public static let current = "0.1.0"
}
