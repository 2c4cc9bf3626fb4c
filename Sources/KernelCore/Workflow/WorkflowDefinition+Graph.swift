/// DAG helpers over `needs`.
extension WorkflowDefinition {
    /// Steps no other step needs.
    public var leafSteps: [String] {
        let needed = Set(steps.flatMap(\.needs))
        return steps.map(\.id).filter { !needed.contains($0) }
    }

    /// Steps that `id` needs directly.
    public func dependencies(of id: String) -> [String] { step(id)?.needs ?? [] }

    /// Steps that directly need `id`.
    public func dependants(of id: String) -> [String] { steps.filter { $0.needs.contains(id) }.map(\.id) }

    /// Transitive `needs` of `id`.
    public func ancestors(of id: String) -> Set<String> {
        WorkflowDefinition.ancestors(of: id, needs: Dictionary(steps.map { ($0.id, $0.needs) }, uniquingKeysWith: { a, _ in a }))
    }

    static func ancestors(of id: String, needs: [String: [String]]) -> Set<String> {
        var seen = Set<String>()
        var stack = needs[id] ?? []
        while let n = stack.popLast() {
            if seen.insert(n).inserted { stack.append(contentsOf: needs[n] ?? []) }
        }
        return seen
    }

    /// Layers of steps that can run together: layer 0 needs nothing, layer n
    /// needs only steps of earlier layers. Definition order within a layer.
    public var layers: [[String]] { WorkflowDefinition.layers(ids: steps.map(\.id), needs: steps.map(\.needs)) }

    /// A topological order (layers flattened).
    public var topologicalOrder: [String] { layers.flatMap { $0 } }

    static func layers(ids: [String], needs: [[String]]) -> [[String]] {
        var done = Set<String>()
        var remaining = Array(zip(ids, needs))
        var out: [[String]] = []
        while !remaining.isEmpty {
            let ready = remaining.filter { $0.1.allSatisfy(done.contains) }.map(\.0)
            if ready.isEmpty { break }  // cycle (reported by validation)
            out.append(ready)
            done.formUnion(ready)
            remaining.removeAll { done.contains($0.0) }
        }
        return out
    }

    /// Every elementary cycle found by a depth-first search, each as the list
    /// of step ids in `needs` order with the first repeated at the end
    /// (`a -> b -> c -> a` means a needs b, b needs c, c needs a), rotated to
    /// start at its earliest-defined step.
    static func cycles(ids: [String], needs: [String: [String]]) -> [[String]] {
        let index = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var stack: [String] = []
        var found: [[String]] = []
        var seenKeys = Set<[String]>()
        func visit(_ n: String) {
            marks[n] = .visiting
            stack.append(n)
            for m in needs[n] ?? [] where index[m] != nil {
                switch marks[m] {
                case .visiting?:
                    guard let start = stack.lastIndex(of: m) else { continue }
                    var cycle = Array(stack[start...])
                    let minPos = cycle.indices.min { (index[cycle[$0]] ?? 0) < (index[cycle[$1]] ?? 0) } ?? 0
                    cycle = Array(cycle[minPos...] + cycle[..<minPos])
                    if seenKeys.insert(cycle).inserted { found.append(cycle + [cycle[0]]) }
                case nil:
                    visit(m)
                case .done?:
                    break
                }
            }
            stack.removeLast()
            marks[n] = .done
        }
        for id in ids where marks[id] == nil { visit(id) }
        return found
    }
}
