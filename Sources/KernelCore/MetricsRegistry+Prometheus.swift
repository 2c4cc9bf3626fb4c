extension MetricsRegistry {
    /// The registry in the Prometheus text exposition format 0.0.4
    /// (`Content-Type: text/plain; version=0.0.4`).
    public func prometheusText() -> String {
        var out = ""
        for family in snapshot() {
            out += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for key in family.order {
                guard let series = family.series[key] else { continue }
                let pairs = Array(zip(family.labelNames, key))
                switch family.kind {
                case .counter, .gauge:
                    out += family.name + Self.labelText(pairs) + " " + Self.format(series.value) + "\n"
                case .histogram:
                    var cumulative: UInt64 = 0
                    for (i, bound) in family.buckets.enumerated() {
                        cumulative += series.bucketCounts[i]
                        out += family.name + "_bucket" + Self.labelText(pairs + [("le", Self.format(bound))])
                            + " \(cumulative)\n"
                    }
                    out += family.name + "_bucket" + Self.labelText(pairs + [("le", "+Inf")]) + " \(series.count)\n"
                    out += family.name + "_sum" + Self.labelText(pairs) + " " + Self.format(series.sum) + "\n"
                    out += family.name + "_count" + Self.labelText(pairs) + " \(series.count)\n"
                }
            }
        }
        return out
    }

    static func labelText(_ pairs: [(String, String)]) -> String {
        if pairs.isEmpty { return "" }
        return "{" + pairs.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape `\`, `"` and newline.
    static func escapeLabel(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// HELP text escapes `\` and newline.
    static func escapeHelp(_ s: String) -> String {
        s.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }

    /// Integral values without a fraction, others in Swift's shortest form,
    /// and the Prometheus spellings of the non-finite values.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
