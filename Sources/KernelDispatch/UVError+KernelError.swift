import KernelCore
import KernelLoop

/// A libuv failure as clients see it: `unavailable`, with the call and libuv's message. Here,
/// not in KernelLoop, so the loop layer does not depend on the domain types.
extension UVError {
    package var kernelError: KernelError { .unavailable(description) }
}
