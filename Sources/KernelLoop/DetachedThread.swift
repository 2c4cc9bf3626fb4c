import Glibc

/// A thread of its own that runs one closure and ends; nobody joins it. For work
/// that must not wait behind a busy cooperative pool or the loop (a watchdog, a
/// repeated cancel). The closure is retained until it returns.
public enum DetachedThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body`; false when no thread could be created (then `body` never runs).
    @discardableResult
    public static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var tid = pthread_t()
        guard pthread_create(&tid, nil, { arg in
            Unmanaged<Body>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box) == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            return false
        }
        pthread_detach(tid)
        return true
    }
}
