extension CronExpression {
    /// How far ahead `nextFire` looks before deciding an expression does not fire (years).
    public static let searchYears: Int64 = 30
    /// Longest DST overlap considered (seconds): wall times this far back may still lie ahead.
    static let maxOverlapSeconds: Int64 = 3 * 3600

    func matchesDay(year: Int64, month: Int, day: Int) -> Bool {
        let dom = daysOfMonth & (1 << UInt64(day)) != 0
        let dow = weekdays & (1 << UInt64(CivilTime.weekday(days: CivilTime.days(year: year, month: month, day: day)))) != 0
        switch (dayOfMonthRestricted, weekdayRestricted) {
        case (true, true): return dom || dow
        case (true, false): return dom
        case (false, true): return dow
        case (false, false): return true
        }
    }

    /// The first wall-clock time (local seconds since the epoch) at or after `w` whose fields
    /// match, or nil past `limit`.
    func nextMatchingWall(from w: Int64, limit: Int64) -> Int64? {
        let day0 = CivilTime.floorDiv(w, 86_400)
        var (y, mo, d) = CivilTime.civil(days: day0)
        var sod = Int(w - day0 * 86_400)
        var h = sod / 3600, mi = (sod / 60) % 60, s = sod % 60
        func nextDay() { d += 1; h = 0; mi = 0; s = 0 }
        while true {
            if d > CivilTime.daysIn(year: y, month: mo) { d = 1; mo += 1; h = 0; mi = 0; s = 0 }
            if mo > 12 { mo = 1; y += 1 }
            let wall = CivilTime.days(year: y, month: mo, day: d) * 86_400 + Int64(h * 3600 + mi * 60 + s)
            if wall > limit { return nil }
            if months & (1 << UInt64(mo)) == 0 { mo += 1; d = 1; h = 0; mi = 0; s = 0; continue }
            if !matchesDay(year: y, month: mo, day: d) { nextDay(); continue }
            if hours & (1 << UInt64(h)) == 0 {
                h += 1; mi = 0; s = 0
                if h > 23 { nextDay() }
                continue
            }
            if minutes & (1 << UInt64(mi)) == 0 {
                mi += 1; s = 0
                if mi > 59 { mi = 0; h += 1; if h > 23 { nextDay() } }
                continue
            }
            if seconds & (1 << UInt64(s)) == 0 {
                s += 1
                if s > 59 { s = 0; mi += 1; if mi > 59 { mi = 0; h += 1; if h > 23 { nextDay() } } }
                continue
            }
            sod = h * 3600 + mi * 60 + s
            return wall
        }
    }

    /// The UTC instants a matching wall time fires at. In a spring-forward gap a time with a
    /// fixed hour fires at the instant it would have been (02:30 → 03:30 new time); a `*` hour
    /// has no such time that day. In a fall-back overlap a fixed hour fires once (the first
    /// occurrence), a `*` hour at both.
    func instants(ofWall w: Int64, in zone: TimeZoneRules) -> [Int64] {
        let found = zone.instants(ofWall: w)
        if found.isEmpty { return everyHour ? [] : [w - zone.offsetBefore(wall: w)] }
        if found.count > 1 && !everyHour { return [found[0]] }
        return found
    }

    /// The first fire time strictly after `t` (UTC seconds since the epoch) in `zone`, or nil
    /// when none lies within `searchYears`.
    public func nextFire(after t: Int64, in zone: TimeZoneRules) -> Int64? {
        // Wall order and instant order differ only around a fall-back transition: only then
        // start earlier than the wall time of t+1, and keep looking past the first match.
        func nearTransition(_ u: Int64) -> Bool {
            zone.offset(at: u - CronExpression.maxOverlapSeconds).utc != zone.offset(at: u + CronExpression.maxOverlapSeconds).utc
        }
        let start = zone.wall(t + 1) - (nearTransition(t + 1) ? CronExpression.maxOverlapSeconds : 0)
        let limit = start + CronExpression.searchYears * 366 * 86_400
        var w = start
        var best: Int64?
        var bestWall: Int64 = 0
        while let cand = nextMatchingWall(from: w, limit: limit) {
            if let b = best, !nearTransition(b) || cand > bestWall + 2 * CronExpression.maxOverlapSeconds { break }
            for u in instants(ofWall: cand, in: zone) where u > t {
                if let b = best, u >= b { continue }
                best = u
                bestWall = cand
            }
            w = cand + 1
        }
        return best
    }

    /// Every fire time in `(after, through]`, at most `limit` of them (oldest first).
    public func fires(after: Int64, through: Int64, in zone: TimeZoneRules, limit: Int) -> [Int64] {
        var out: [Int64] = []
        var t = after
        while out.count < limit, let n = nextFire(after: t, in: zone), n <= through {
            out.append(n)
            t = n
        }
        return out
    }
}
