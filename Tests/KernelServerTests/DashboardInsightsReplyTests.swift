import KernelCore
import KernelStore
import Testing
@testable import KernelMethods
@testable import KernelServices

/// The `dashboard.insights` reply is built by the server from the store's typed
/// `DashboardInsights`: the contract's field names, the reason texts, a null
/// `success_rate` when no run finished, and a run named after its workflow.
@Suite struct DashboardInsightsReplyTests {
    @Test func theReplyHasTheContractsFields() throws {
        let at = Timestamp(milliseconds: 1_700_000_000_000)
        let ins = DashboardInsights(
            windowDays: 7,
            recommended: [.init(id: "c1", name: "Used", type: "Utility", latestVersion: 2, updatedAt: at, uses: 3, workflows: 1, reason: .mostUsed),
                          .init(id: "c2", name: "New", type: "Output", latestVersion: 1, updatedAt: at, uses: 0, workflows: 0, reason: .recentlyUpdated)],
            trending: [.init(id: "w1", name: "Busy", runs: 4, succeeded: 1, finished: 2, daily: [0, 0, 0, 0, 0, 1, 3]),
                       .init(id: "w2", name: "Quiet", runs: 1, succeeded: 0, finished: 0, daily: [0, 0, 0, 0, 0, 0, 1])],
            names: ["w2": "Quiet", "c2": "New"], runWorkflowNames: ["r1": "Busy"])
        let reply = Kernel.insightsReply(ins)
        #expect(reply.objectValue?.keys.sorted() == ["names", "recommended_components", "trending_workflows", "window_days"])
        #expect(reply["window_days"] == 7)
        #expect(reply["recommended_components"] == [
            ["id": "c1", "name": "Used", "type": "Utility", "latest_version": 2, "updated_at": at.json, "uses": 3, "workflows": 1,
             "reason": "most used"],
            ["id": "c2", "name": "New", "type": "Output", "latest_version": 1, "updated_at": at.json, "uses": 0, "workflows": 0,
             "reason": "recently updated"],
        ])
        #expect(reply["trending_workflows"]?[0]?["success_rate"] == .double(0.5))
        #expect(reply["trending_workflows"]?[1] == [
            "id": "w2", "name": "Quiet", "runs": 1, "succeeded": 0, "finished": 0, "success_rate": .null, "daily": [0, 0, 0, 0, 0, 0, 1],
        ])
        #expect(reply["names"] == ["c2": "New", "r1": "run of Busy", "w2": "Quiet"])
        #expect(reply["names"]?.objectValue?.keys == ["c2", "r1", "w2"])
    }
}
