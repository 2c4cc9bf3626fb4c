import Glibc

/// The one monotonic clock (`CLOCK_MONOTONIC`): durations, deadlines and latencies, which the
/// wall clock (`Timestamp.now()`) must not measure because it can jump.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (boot).
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Milliseconds, with a fraction.
    public static func milliseconds() -> Double { Double(nanoseconds()) / 1_000_000 }

    /// Whole milliseconds.
    public static func wholeMilliseconds() -> Int64 { Int64(nanoseconds() / 1_000_000) }

    /// Seconds, with a fraction.
    public static func seconds() -> Double { Double(nanoseconds()) / 1_000_000_000 }
}
