import Glibc

/// Milliseconds since the Unix epoch (UTC). Stored as integers; rendered as
/// RFC 3339 strings in API responses.
public struct Timestamp: Sendable, Hashable, Comparable {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(milliseconds: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.milliseconds < b.milliseconds }

    /// `2026-11-21T19:36:26.123Z`
    public var rfc3339: String {
        // Floor division: -1 ms is 1969-12-31T23:59:59.999Z, not 1970-01-01T00:00:00.999Z.
        let ms = Int(((milliseconds % 1000) + 1000) % 1000)
        var t = time_t((milliseconds - Int64(ms)) / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else { return Timestamp.wideRFC3339(year: year, parts, ms: ms) }
        // Fixed-width fields written into one 24-byte buffer (no per-field strings).
        return String(unsafeUninitializedCapacity: Timestamp.rfc3339Length) { buf in
            var i = 0
            func put(_ v: Int, _ width: Int) {
                var v = v
                var k = width - 1
                while k >= 0 {
                    buf[i + k] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                    v /= 10
                    k -= 1
                }
                i += width
            }
            func sep(_ c: Unicode.Scalar) { buf[i] = UInt8(ascii: c); i += 1 }
            put(year, 4); sep("-"); put(Int(parts.tm_mon) + 1, 2); sep("-")
            put(Int(parts.tm_mday), 2); sep("T"); put(Int(parts.tm_hour), 2); sep(":")
            put(Int(parts.tm_min), 2); sep(":"); put(Int(parts.tm_sec), 2); sep(".")
            put(ms, 3); sep("Z")
            return i
        }
    }

    /// Years outside 0…9999: the year is written unpadded beyond four digits (with its sign).
    private static func wideRFC3339(year: Int, _ parts: tm, ms: Int) -> String {
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(ms, 3))Z"
    }

    /// Length of `rfc3339` for years 0…9999.
    static let rfc3339Length = 24

    public var json: JSON { .string(rfc3339) }

    /// Parses the `rfc3339` form (and the same without milliseconds).
    public init?(rfc3339 s: String) {
        let u = Array(s.utf8)
        guard u.count >= 20 else { return nil }
        func num(_ a: Int, _ n: Int) -> Int32? {
            guard a + n <= u.count else { return nil }
            var v: Int32 = 0
            for i in a..<(a + n) {
                guard u[i] >= 48, u[i] <= 57 else { return nil }
                v = v * 10 + Int32(u[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2),
              let mi = num(14, 2), let se = num(17, 2) else { return nil }
        var ms: Int64 = 0
        if u.count >= 24, u[19] == UInt8(ascii: "."), let f = num(20, 3) { ms = Int64(f) }
        var parts = tm()
        parts.tm_year = y - 1900; parts.tm_mon = mo - 1; parts.tm_mday = d
        parts.tm_hour = h; parts.tm_min = mi; parts.tm_sec = se
        let t = timegm(&parts)
        milliseconds = Int64(t) * 1000 + ms
    }
}
