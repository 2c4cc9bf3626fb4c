import Testing
@testable import KernelCore

@Suite struct RecordsJSONTests {
    let t0 = Timestamp(milliseconds: 1_795_000_000_123)
    let t1 = Timestamp(milliseconds: 1_795_000_060_000)

    @Test func componentAndVersion() {
        let c = Component(id: "c1", name: "Fetch", type: .pythonScript, description: "d", tags: ["x"], owner: "ops",
                          latestVersion: 2, createdAt: t0, updatedAt: t1)
        #expect(c.json.serialized() == #"{"id":"c1","name":"Fetch","type":"Python Script","description":"d","tags":["x"],"owner":"ops","latest_version":2,"created_at":"2026-11-18T11:06:40.123Z","updated_at":"2026-11-18T11:07:40.000Z"}"#)
        let v = ComponentVersion(componentID: "c1", version: 2, type: .output, config: ["type": "Output"], checksum: "ab", createdAt: t0)
        #expect(v.json.objectValue?.keys == ["component_id", "version", "type", "config", "checksum", "created_at"])
    }

    @Test func workflowRunStepEventAudit() {
        let w = Workflow(id: "w", name: "W", definition: ["steps": []], createdAt: t0, updatedAt: t0)
        #expect(w.json.objectValue?.keys == ["id", "name", "description", "latest_version", "definition", "created_at", "updated_at"])
        let wv = WorkflowVersion(workflowID: "w", version: 1, definition: [:], checksum: "x", createdAt: t0)
        #expect(wv.json.objectValue?.keys == ["workflow_id", "version", "definition", "checksum", "created_at"])
        let r = WorkflowRun(id: "r", workflowID: "w", workflowVersion: 1, status: .timedOut, error: "slow", createdAt: t0, startedAt: t0)
        #expect(r.json["status"] == "timed_out")
        #expect(r.json["error"] == "slow")
        #expect(r.json["finished_at"] == .null)
        #expect(r.json["started_at"] == "2026-11-18T11:06:40.123Z")
        let s = StepRun(runID: "r", stepID: "a", attempt: 2, status: .retrying, componentID: "c", componentVersion: 3)
        #expect(s.json.serialized() == #"{"run_id":"r","step_id":"a","attempt":2,"status":"retrying","component_id":"c","component_version":3,"result":null,"error":null,"started_at":null,"finished_at":null}"#)
        let e = RunEvent(runID: "r", seq: 7, type: .resultPreview, stepID: "a", payload: ["p": 1], at: t0)
        #expect(e.json.serialized() == #"{"run_id":"r","seq":7,"type":"result_preview","step_id":"a","payload":{"p":1},"at":"2026-11-18T11:06:40.123Z"}"#)
        let a = ActionLog(id: "l", at: t0, actor: "uid:0", actionType: "component.create", entityType: "component",
                          entityID: "c1", details: ["name": "Fetch"])
        #expect(a.json.objectValue?.keys == ["id", "at", "actor", "action_type", "entity_type", "entity_id", "details"])
    }

    @Test func connectionNeverRendersASecretValue() {
        var c = Connection(id: "k", name: "pg", plugin: "postgres", config: ["host": "db"], readOnly: true, hasSecret: true,
                           createdAt: t0, updatedAt: t0)
        #expect(c.json["secret"] == "set")
        #expect(c.json["read_only"] == true)
        c.hasSecret = false
        #expect(c.json["secret"] == .null)
        #expect(c.json.objectValue?.keys == ["id", "name", "plugin", "config", "read_only", "secret", "created_at", "updated_at"])
    }
}
