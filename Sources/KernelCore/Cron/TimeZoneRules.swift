/// The UTC offsets of one time zone, read from a TZif file of the system's tz database
/// (RFC 8536: `/usr/share/zoneinfo/<Area/City>`; reading the file is the caller's job, this
/// type only parses bytes). Instants past the file's last transition follow its POSIX-TZ footer
/// (`CET-1CEST,M3.5.0,M10.5.0/3`); no DST rule is written here.
public struct TimeZoneRules: Sendable, Equatable {
    public struct Offset: Sendable, Equatable {
        /// Seconds east of UTC.
        public var utc: Int64
        public var isDST: Bool
        public var abbreviation: String
    }

    public let name: String
    let transitions: [Int64]
    let transitionTypes: [Int]
    let types: [Offset]
    let footer: PosixRule?

    /// UTC itself.
    public static let utc = TimeZoneRules(name: "UTC", transitions: [], transitionTypes: [],
                                          types: [Offset(utc: 0, isDST: false, abbreviation: "UTC")], footer: nil)

    /// Longest TZif file accepted (the largest in tzdata is about 4 KiB "fat").
    public static let maxFileBytes = 1 << 20

    init(name: String, transitions: [Int64], transitionTypes: [Int], types: [Offset], footer: PosixRule?) {
        self.name = name; self.transitions = transitions; self.transitionTypes = transitionTypes
        self.types = types; self.footer = footer
    }

    /// Parses a TZif (version 1–4) file. A malformed file is `invalid_params` naming the zone.
    public init(name: String, tzif bytes: [UInt8]) throws {
        func bad(_ why: String) -> KernelError {
            .invalidParams("time zone '\(name)' cannot be read: \(why)", errors: [FieldError("timezone", "unreadable tz database file (\(why))")])
        }
        guard bytes.count <= TimeZoneRules.maxFileBytes else { throw bad("larger than \(TimeZoneRules.maxFileBytes) bytes") }
        var r = ByteReader(bytes: bytes)
        func header() throws -> (version: UInt8, isut: Int, isstd: Int, leap: Int, time: Int, type: Int, char: Int) {
            guard r.take(4) == Array("TZif".utf8) else { throw bad("not a TZif file") }
            guard let v = r.take(1)?.first, r.skip(15) else { throw bad("short header") }
            var counts: [Int] = []
            for _ in 0..<6 { guard let c = r.u32() else { throw bad("short header") }; counts.append(Int(c)) }
            return (v, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5])
        }
        var h = try header()
        var timeSize = 4
        if h.version >= UInt8(ascii: "2") {
            // Skip the 32-bit block; the 64-bit one follows with its own header.
            guard r.skip(h.time * 4 + h.time + h.type * 6 + h.char + h.leap * 8 + h.isstd + h.isut) else { throw bad("truncated v1 data") }
            h = try header()
            timeSize = 8
        }
        guard h.type >= 1, h.type <= 256, h.time <= 100_000, h.char <= 10_000 else { throw bad("implausible counts") }
        var transitions: [Int64] = []
        for _ in 0..<h.time {
            guard let t = timeSize == 8 ? r.i64() : r.u32().map({ Int64(Int32(bitPattern: $0)) }) else { throw bad("truncated transitions") }
            transitions.append(t)
        }
        guard let idx = r.take(h.time) else { throw bad("truncated transition types") }
        var raw: [(Int64, Bool, Int)] = []
        for _ in 0..<h.type {
            guard let off = r.u32(), let dst = r.take(1)?.first, let ai = r.take(1)?.first else { throw bad("truncated types") }
            raw.append((Int64(Int32(bitPattern: off)), dst != 0, Int(ai)))
        }
        guard let chars = r.take(h.char) else { throw bad("truncated abbreviations") }
        var types: [Offset] = []
        for (off, dst, ai) in raw {
            var end = ai
            while end < chars.count && chars[end] != 0 { end += 1 }
            let abbr = ai < chars.count ? String(decoding: chars[ai..<end], as: UTF8.self) : ""
            types.append(Offset(utc: off, isDST: dst, abbreviation: abbr))
        }
        let transitionTypes = idx.map { Int($0) }
        guard transitionTypes.allSatisfy({ $0 < types.count }) else { throw bad("transition names an unknown type") }
        var footer: PosixRule?
        if timeSize == 8, r.skip(h.leap * 12 + h.isstd + h.isut), r.take(1) == [0x0A] {
            var text: [UInt8] = []
            while let b = r.take(1)?.first, b != 0x0A { text.append(b) }
            footer = PosixRule(String(decoding: text, as: UTF8.self))
        }
        self.init(name: name, transitions: transitions, transitionTypes: transitionTypes, types: types, footer: footer)
    }

    /// The offset in effect at a UTC instant (seconds since the epoch).
    public func offset(at t: Int64) -> Offset {
        guard let last = transitions.last else { return footer?.offset(at: t) ?? types[0] }
        if t < transitions[0] { return types.first { !$0.isDST } ?? types[0] }
        if t >= last, let footer { return footer.offset(at: t) }
        var lo = 0, hi = transitions.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if transitions[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        return types[transitionTypes[lo]]
    }

    /// Local wall-clock seconds (seconds since 1970-01-01T00:00 local) of a UTC instant.
    public func wall(_ t: Int64) -> Int64 { t + offset(at: t).utc }

    /// The UTC instants showing wall-clock time `w`: one normally, none in a spring-forward gap,
    /// two in a fall-back overlap (earliest first).
    public func instants(ofWall w: Int64) -> [Int64] {
        let before = offset(at: w - 86_400).utc, after = offset(at: w + 86_400).utc
        var out: [Int64] = []
        for o in [before, after] {
            let u = w - o
            if !out.contains(u) && offset(at: u).utc + u == w { out.append(u) }
        }
        return out.sorted()
    }

    /// The offset in effect just before `w` would have been reached (for times in a gap).
    public func offsetBefore(wall w: Int64) -> Int64 { offset(at: w - 86_400).utc }
}

/// A POSIX TZ string (`std offset [dst [offset] [,start[/time],end[/time]]]`) as found in the
/// footer of TZif files. Only the `Mm.w.d` date form is used by tzdata; `Jn`/`n` are accepted too.
struct PosixRule: Sendable, Equatable {
    enum DateRule: Sendable, Equatable {
        case monthWeekDay(month: Int, week: Int, day: Int)
        case julianNoLeap(Int)  // Jn: 1…365, Feb 29 never counted
        case zeroBased(Int)     // n: 0…365
    }

    var standard: TimeZoneRules.Offset
    var daylight: TimeZoneRules.Offset?
    var start: (DateRule, Int64)?
    var end: (DateRule, Int64)?

    static func == (a: PosixRule, b: PosixRule) -> Bool {
        a.standard == b.standard && a.daylight == b.daylight && a.start?.0 == b.start?.0 && a.start?.1 == b.start?.1
            && a.end?.0 == b.end?.0 && a.end?.1 == b.end?.1
    }

    init?(_ text: String) {
        var s = Substring(text)
        func name() -> String? {
            if s.first == "<" {
                guard let close = s.firstIndex(of: ">") else { return nil }
                let n = String(s[s.index(after: s.startIndex)..<close])
                s = s[s.index(after: close)...]
                return n
            }
            let n = s.prefix { $0.isLetter }
            guard n.count >= 3 else { return nil }
            s = s.dropFirst(n.count)
            return String(n)
        }
        /// [+-]hh[:mm[:ss]] in seconds.
        func clock() -> Int64? {
            var sign: Int64 = 1
            if s.first == "+" { s = s.dropFirst() } else if s.first == "-" { sign = -1; s = s.dropFirst() }
            var parts: [Int64] = []
            while parts.count < 3 {
                let d = s.prefix { $0.isNumber }
                guard !d.isEmpty, let v = Int64(d) else { break }
                parts.append(v)
                s = s.dropFirst(d.count)
                if s.first == ":" { s = s.dropFirst() } else { break }
            }
            guard !parts.isEmpty else { return nil }
            return sign * (parts[0] * 3600 + (parts.count > 1 ? parts[1] * 60 : 0) + (parts.count > 2 ? parts[2] : 0))
        }
        func date() -> (DateRule, Int64)? {
            var rule: DateRule
            if s.first == "M" {
                s = s.dropFirst()
                let nums = s.prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
                s = s.dropFirst(s.prefix { $0.isNumber || $0 == "." }.count)
                guard nums.count == 3, (1...12).contains(nums[0]), (1...5).contains(nums[1]), (0...6).contains(nums[2]) else { return nil }
                rule = .monthWeekDay(month: nums[0], week: nums[1], day: nums[2])
            } else if s.first == "J" {
                s = s.dropFirst()
                let d = s.prefix { $0.isNumber }
                s = s.dropFirst(d.count)
                guard let n = Int(d), (1...365).contains(n) else { return nil }
                rule = .julianNoLeap(n)
            } else {
                let d = s.prefix { $0.isNumber }
                s = s.dropFirst(d.count)
                guard let n = Int(d), (0...365).contains(n) else { return nil }
                rule = .zeroBased(n)
            }
            var time: Int64 = 7200
            if s.first == "/" {
                s = s.dropFirst()
                guard let t = clock() else { return nil }
                time = t
            }
            return (rule, time)
        }
        guard let stdName = name(), let stdOff = clock() else { return nil }
        standard = TimeZoneRules.Offset(utc: -stdOff, isDST: false, abbreviation: stdName)
        if s.isEmpty { return }
        guard let dstName = name() else { return nil }
        var dstUTC = standard.utc + 3600
        if let c = s.first, c != "," { guard let o = clock() else { return nil }; dstUTC = -o }
        daylight = TimeZoneRules.Offset(utc: dstUTC, isDST: true, abbreviation: dstName)
        guard s.first == "," else { return nil }
        s = s.dropFirst()
        guard let a = date(), s.first == "," else { return nil }
        s = s.dropFirst()
        guard let b = date(), s.isEmpty else { return nil }
        start = a
        end = b
    }

    /// Local day number of a rule's date in `year`.
    static func day(_ rule: DateRule, year: Int64) -> Int64 {
        switch rule {
        case .monthWeekDay(let m, let w, let d):
            let first = CivilTime.days(year: year, month: m, day: 1)
            var day = first + Int64((d - CivilTime.weekday(days: first) + 7) % 7) + Int64(w - 1) * 7
            let last = first + Int64(CivilTime.daysIn(year: year, month: m)) - 1
            while day > last { day -= 7 }
            return day
        case .julianNoLeap(let n):
            let jan1 = CivilTime.days(year: year, month: 1, day: 1)
            return jan1 + Int64(n - 1) + (CivilTime.isLeap(year) && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            return CivilTime.days(year: year, month: 1, day: 1) + Int64(n)
        }
    }

    func offset(at t: Int64) -> TimeZoneRules.Offset {
        guard let daylight, let start, let end else { return standard }
        let year = CivilTime.civil(days: CivilTime.floorDiv(t + standard.utc, 86_400)).year
        // Start is given in standard local time, end in daylight local time.
        let startUTC = PosixRule.day(start.0, year: year) * 86_400 + start.1 - standard.utc
        let endUTC = PosixRule.day(end.0, year: year) * 86_400 + end.1 - daylight.utc
        let inDST = startUTC < endUTC ? (t >= startUTC && t < endUTC) : !(t >= endUTC && t < startUTC)
        return inDST ? daylight : standard
    }
}

/// Big-endian reads from a byte array.
struct ByteReader {
    let bytes: [UInt8]
    var at = 0

    mutating func take(_ n: Int) -> [UInt8]? {
        guard n >= 0, at + n <= bytes.count else { return nil }
        defer { at += n }
        return Array(bytes[at..<at + n])
    }

    mutating func skip(_ n: Int) -> Bool { take(n) != nil }

    mutating func u32() -> UInt32? {
        guard let b = take(4) else { return nil }
        return b.reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func i64() -> Int64? {
        guard let b = take(8) else { return nil }
        return Int64(bitPattern: b.reduce(0) { $0 << 8 | UInt64($1) })
    }
}
