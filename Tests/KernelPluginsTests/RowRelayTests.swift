import Foundation
import KernelCore
import KernelLoop
import Testing
@testable import KernelPlugins

/// `RowRelay`: the bounded hand-off between a connection's worker thread and an executor
/// plugin's thread (a Data step's streamed rows). Real threads; no timing.
@Suite struct RowRelayTests {
    /// A value handed from the producer thread back to the test.
    final class Handoff<T>: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var value: T?
        func put(_ v: T) { value = v; done.signal() }
        func take() -> T? { done.wait(); return value }
    }

    /// Produces on a thread of its own; `body` consumes on this one; returns the producer's row() answers.
    static func produce(_ relay: RowRelay, rows: Int, _ body: () -> Void) -> [Bool] {
        let box = Handoff<[Bool]>()
        let thread = Thread {
            var answers: [Bool] = []
            _ = relay.columns([QueryColumn(name: "n", type: "int64", typeName: nil)])
            for i in 0..<rows { answers.append(relay.row([.int(Int64(i))])) }
            relay.end(truncated: false, rowsAffected: nil)
            relay.finishProducing()
            box.put(answers)
        }
        thread.start()
        body()
        return box.take() ?? []
    }

    @Test func everyItemArrivesInOrderThroughASmallQueue() {
        let relay = RowRelay(maxRows: -1)
        let count = RowRelay.capacity * 5 + 7  // the producer must wait for the consumer several times
        var seen: [Int64] = []
        var columns = 0, ends = 0
        let answers = Self.produce(relay, rows: count) {
            while let item = relay.next() {
                switch item {
                case .columns: columns += 1
                case .row(let r): seen.append(r.first?.intValue ?? -1)
                case .end: ends += 1
                }
            }
        }
        #expect(columns == 1 && ends == 1)
        #expect(seen == (0..<Int64(count)).map { $0 })
        #expect(answers.allSatisfy { $0 } && !relay.stoppedByLimit)
    }

    @Test func rowsPastMaxRowsAreRefusedAndMarkTheLimit() {
        let relay = RowRelay(maxRows: 3)
        var rows = 0
        // The producer stops at the first refusal, like a connector whose sink returned false.
        let box = Handoff<Bool>()
        let thread = Thread {
            _ = relay.columns([])
            var i = 0
            while relay.row([.int(Int64(i))]) { i += 1 }
            box.put(relay.stoppedByLimit)
            relay.finishProducing()
        }
        thread.start()
        while let item = relay.next() { if case .row = item { rows += 1 } }
        #expect(box.take() == true)
        #expect(rows == 3)
    }

    @Test func stopReleasesABlockedProducer() {
        let relay = RowRelay(maxRows: -1)
        var got = 0
        let answers = Self.produce(relay, rows: RowRelay.capacity * 3) {
            // Take a few, then refuse the rest: the producer, waiting on a full queue, gets false.
            while let item = relay.next() {
                if case .row = item { got += 1 }
                if got == 10 { relay.stop(); break }
            }
        }
        #expect(got == 10)
        #expect(answers.contains(false), "the producer learned it was stopped")
        #expect(relay.next() == nil)
    }
}
