import CLibUV
import Glibc

/// Base class of every libuv handle wrapper.
///
/// Ownership: the `uv_*_t` is heap-allocated with the exact size libuv asks
/// for; `handle->data` holds a retained reference to this object from
/// `init` until libuv's close callback, where the reference is released and
/// the memory freed. Nothing else frees it. Loop-thread only.
open class Handle {
    public let loop: Loop
    public let handle: UnsafeMutablePointer<uv_handle_t>
    public private(set) var state: State = .open
    private var closeCallbacks: [() -> Void] = []

    public enum State: Equatable { case open, closing, closed }

    init(loop: Loop, type: uv_handle_type) {
        self.loop = loop
        let size = uv_handle_size(type)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        handle = raw.assumingMemoryBound(to: uv_handle_t.self)
    }

    /// Call once the uv_*_init succeeded: from now on libuv refers to us.
    func adopt() {
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Frees the memory of a handle whose init failed (never adopted).
    func discardUninitialized() {
        state = .closed
        UnsafeMutableRawPointer(handle).deallocate()
    }

    public var isOpen: Bool { state == .open }

    /// Closes the handle; `done` runs from libuv's close callback.
    /// Idempotent: later calls only add their callback.
    public func close(_ done: (() -> Void)? = nil) {
        if let done {
            if state == .closed { done(); return }
            closeCallbacks.append(done)
        }
        guard state == .open else { return }
        state = .closing
        willClose()
        uv_close(handle) { h in
            guard let h, let data = h.pointee.data else { return }
            let owner = Unmanaged<Handle>.fromOpaque(data).takeRetainedValue()
            owner.state = .closed
            h.pointee.data = nil
            UnsafeMutableRawPointer(h).deallocate()
            let callbacks = owner.closeCallbacks
            owner.closeCallbacks = []
            owner.didClose()
            for cb in callbacks { cb() }
        }
    }

    /// Hook for subclasses: runs before uv_close (stop reads, fail writes).
    open func willClose() {}

    /// Hook for subclasses: runs in the close callback.
    open func didClose() {}

    /// Keeps or stops keeping the loop alive for this handle.
    public func ref(_ on: Bool) {
        guard state == .open else { return }
        if on { uv_ref(handle) } else { uv_unref(handle) }
    }

    static func owner<T: Handle>(_ h: UnsafeMutableRawPointer?, as: T.Type) -> T? {
        guard let h else { return nil }
        let base = h.assumingMemoryBound(to: uv_handle_t.self)
        guard let data = base.pointee.data else { return nil }
        return Unmanaged<Handle>.fromOpaque(data).takeUnretainedValue() as? T
    }
}
