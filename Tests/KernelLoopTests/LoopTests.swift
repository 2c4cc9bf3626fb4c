import Glibc
import Testing
@testable import KernelLoop

/// Each test runs a private loop on the test's own thread, then proves the
/// loop closes with no handle left open.
@Suite struct LoopTests {
    @Test func emptyLoopClosesCleanly() throws {
        let loop = try Loop()
        loop.run()
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }

    @Test func closingLoopWithOpenHandleFailsUntilClosed() throws {
        let loop = try Loop()
        let t = try Timer(loop: loop)
        #expect(loop.openHandleCount == 1)
        #expect(throws: UVError.self) { try loop.close() }
        var closed = false
        t.close { closed = true }
        loop.run()
        #expect(closed)
        #expect(t.state == .closed)
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }

    @Test func timerFiresRepeatsAndStops() throws {
        let loop = try Loop()
        let t = try Timer(loop: loop)
        var fired = 0
        t.start(timeoutMs: 1, repeatMs: 1) {
            fired += 1
            if fired == 3 { t.close() }
        }
        loop.run()
        #expect(fired == 3)
        try loop.close()
    }

    @Test func closeIsIdempotentAndCallbacksAllRun() throws {
        let loop = try Loop()
        let t = try Timer(loop: loop)
        var calls = 0
        t.close { calls += 1 }
        t.close { calls += 1 }
        loop.run()
        t.close { calls += 1 }  // already closed: runs at once
        #expect(calls == 3)
        try loop.close()
    }

    @Test func asyncWakesLoopFromAnotherThread() throws {
        let loop = try Loop()
        var woke = 0
        var a: Async?
        a = try Async(loop: loop) {
            woke += 1
            a?.close()
        }
        let sender = a!
        let worker = WorkerThread(name: "test-sender")
        worker.submit { sender.send() }
        loop.run()
        worker.join()
        #expect(woke == 1)
        try loop.close()
    }

    @Test func pipePairWritesLargePayloadInOrderWithPartialWrites() throws {
        let loop = try Loop()
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        let a = try Pipe(loop: loop)
        let b = try Pipe(loop: loop)
        try a.open(fd: fds[0])
        try b.open(fd: fds[1])
        // 8 MiB is far more than a socket buffer: uv_try_write writes part,
        // the rest is queued and written as the reader drains.
        let size = 8 * 1024 * 1024
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var received: [UInt8] = []
        received.reserveCapacity(size)
        var sawQueued = false
        var drained = false
        a.onDrain = { drained = true }
        b.onRead = { buf in received.append(contentsOf: buf) }
        b.onEnd = { _ in
            b.close()
        }
        try b.startReading()
        a.write(payload)
        sawQueued = a.queuedBytes > 0
        a.shutdown { _ in a.close() }
        loop.run()
        #expect(sawQueued)
        #expect(drained)
        #expect(received.count == size)
        #expect(received == payload)
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }

    @Test func writeToClosedPeerReportsErrorWithoutCrashing() throws {
        signal(SIGPIPE, SIG_IGN)
        let loop = try Loop()
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        Glibc.close(fds[1])
        let a = try Pipe(loop: loop)
        try a.open(fd: fds[0])
        var failed = false
        a.onWriteError = { _ in
            failed = true
            a.close()
        }
        a.write([UInt8](repeating: 1, count: 4 * 1024 * 1024))
        if !failed && a.queuedBytes == 0 { a.close() }
        loop.run()
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }

    @Test func tcpServerAcceptsAndEchoes() throws {
        let loop = try Loop()
        let server = try TCP(loop: loop)
        try server.bind(host: "127.0.0.1", port: 0)
        var echoed: [UInt8] = []
        var serverSide: TCP?
        try server.listen { status in
            guard status == 0, let c = try? server.accept() else { return }
            serverSide = c
            c.onRead = { buf in c.write(Array(buf)) }
            c.onEnd = { _ in c.close(); server.close() }
            try? c.startReading()
        }
        let port = server.localPort
        #expect(port > 0)
        let worker = WorkerThread(name: "tcp-client")
        worker.submit {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            let msg: [UInt8] = Array("hello".utf8)
            _ = Glibc.send(fd, msg, msg.count, 0)
            var buf = [UInt8](repeating: 0, count: 5)
            var got = 0
            while got < 5 {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, 5 - got, 0) }
                if n <= 0 { break }
                got += n
            }
            echoed = Array(buf[0..<got])
            Glibc.shutdown(fd, Int32(SHUT_WR))
            var tmp = [UInt8](repeating: 0, count: 1)
            _ = recv(fd, &tmp, 1, 0)
            Glibc.close(fd)
        }
        loop.run()
        worker.join()
        _ = serverSide
        #expect(String(decoding: echoed, as: UTF8.self) == "hello")
        try loop.close()
    }
}
