import Testing
@testable import KernelCore
@testable import KernelTransport

@Suite struct HTTPSSEEncoderTests {
    @Test func retryFrame() {
        #expect(SSEEncoder.retry(2000) == "retry: 2000\n\n")
    }

    @Test func singleLineEvent() {
        #expect(SSEEncoder.event(id: "7", event: "log", data: #"{"line":"hi"}"#)
            == "id: 7\nevent: log\ndata: {\"line\":\"hi\"}\n\n")
    }

    @Test func multiLineDataIsSplitOnEveryLineBreakKind() {
        #expect(SSEEncoder.event(data: "a\nb\r\nc\rd") == "data: a\ndata: b\ndata: c\ndata: d\n\n")
        #expect(SSEEncoder.event(data: "x\n") == "data: x\ndata: \n\n")
        #expect(SSEEncoder.event(data: "") == "data: \n\n")
        #expect(SSEEncoder.event(data: "\r\n\r\n") == "data: \ndata: \ndata: \n\n")
    }

    @Test func idAndEventCannotBreakTheFrame() {
        #expect(SSEEncoder.event(id: "1\n2", event: "a\r\nb", data: "d") == "id: 12\nevent: ab\ndata: d\n\n")
    }

    @Test func comments() {
        #expect(SSEEncoder.comment("heartbeat") == ": heartbeat\n\n")
        #expect(SSEEncoder.comment() == ":\n\n")
        #expect(SSEEncoder.comment("a\nb") == ": a\n: b\n\n")
    }

    @Test func framesFromNotifications() {
        let flat: JSON = ["seq": 3, "type": "log", "payload": ["line": "x\ny"]]
        let f = SSEStream.frame("run.event", flat)
        #expect(f.seq == 3)
        #expect(f.type == "log")
        // Compact JSON never contains a raw newline (it is escaped), so one data line.
        #expect(f.text == "id: 3\nevent: log\ndata: {\"seq\":3,\"type\":\"log\",\"payload\":{\"line\":\"x\\ny\"}}\n\n")
        let wrapped: JSON = ["subscription": "s1", "event": ["seq": 9, "type": "end"]]
        let g = SSEStream.frame("run.event", wrapped)
        #expect(g.text == "id: 9\nevent: end\ndata: {\"seq\":9,\"type\":\"end\"}\n\n")
        let noSeq = SSEStream.frame("run.status", ["run_id": "r"])
        #expect(noSeq.text == "event: run.status\ndata: {\"run_id\":\"r\"}\n\n")
    }
}
