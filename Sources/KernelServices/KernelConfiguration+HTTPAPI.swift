import KernelTransport

/// The HTTP shim reads its token and `MCPK_CORS_ORIGINS` from the resolved configuration.
extension KernelConfiguration: HTTPAPIConfiguration {}
