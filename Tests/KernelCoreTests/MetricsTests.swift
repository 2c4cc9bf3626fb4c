import Testing
@testable import KernelCore

@Suite struct MetricsTests {
    @Test func rendersCountersGaugesAndHistogramsByteExact() {
        let r = MetricsRegistry()
        let c = r.counter("t_requests_total", help: "Requests.", labels: ["route", "status"])
        let g = r.gauge("t_clients", help: "Clients\nnow.")
        let h = r.histogram("t_latency_seconds", help: "Latency.", labels: ["op"], buckets: [1, 0.5])
        c.increment(["route": "/a", "status": "200"])
        c.increment(["route": "/a", "status": "200"], by: 2)
        c.increment(["route": "x\"y\\z\n", "status": "500"])
        c.increment(["route": "/a", "status": "200"], by: -5)  // ignored
        g.increment(); g.increment(); g.decrement(by: 0.5)
        h.observe(0.25, ["op": "get"])
        h.observe(0.75, ["op": "get"])
        h.observe(3, ["op": "get"])
        let expected = """
        # HELP t_requests_total Requests.
        # TYPE t_requests_total counter
        t_requests_total{route="/a",status="200"} 3
        t_requests_total{route="x\\"y\\\\z\\n",status="500"} 1
        # HELP t_clients Clients\\nnow.
        # TYPE t_clients gauge
        t_clients 1.5
        # HELP t_latency_seconds Latency.
        # TYPE t_latency_seconds histogram
        t_latency_seconds_bucket{op="get",le="0.5"} 1
        t_latency_seconds_bucket{op="get",le="1"} 2
        t_latency_seconds_bucket{op="get",le="+Inf"} 3
        t_latency_seconds_sum{op="get"} 4
        t_latency_seconds_count{op="get"} 3

        """
        #expect(r.prometheusText() == expected)
        #expect(c.value(["route": "/a", "status": "200"]) == 3)
        #expect(h.count(["op": "get"]) == 3)
    }

    @Test func redeclaringReturnsTheSameFamilyAndSeriesAreBounded() {
        let r = MetricsRegistry()
        let a = r.counter("t_x_total", help: "X.", labels: ["id"])
        let b = r.counter("t_x_total", help: "other help ignored", labels: ["id"])
        for i in 0..<(MetricsRegistry.maxSeriesPerFamily + 10) { a.increment(["id": "\(i)"]) }
        b.increment(["id": "0"])
        #expect(a.value(["id": "0"]) == 2)
        #expect(a.value(["id": "_overflow"]) == 10)
        r.reset()
        #expect(a.value(["id": "0"]) == 0)
        #expect(r.prometheusText() == "# HELP t_x_total X.\n# TYPE t_x_total counter\n")
    }

    @Test func standardFamiliesAreDeclared() {
        Metrics.declareAll()
        let text = Metrics.registry.prometheusText()
        for name in ["mcpk_runs_total", "mcpk_steps_total", "mcpk_step_duration_seconds", "mcpk_sse_clients",
                     "mcpk_connections", "mcpk_http_requests_total", "mcpk_store_latency_seconds",
                     "mcpk_plugin_calls_total", "mcpk_plugin_failures_total", "mcpk_sandbox_spawns_total"] {
            #expect(text.contains("# TYPE \(name) "))
        }
    }
}
