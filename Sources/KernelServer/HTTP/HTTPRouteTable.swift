/// THE route table of the HTTP shim (contract: DESIGN.md §5). Every REST
/// route is one row mapping onto a control method; no business logic here.
/// A row whose control method is not registered (yet) answers 404 `not_found`.
public enum HTTPRouteTable {
    public static let prefix = "/api/v1"

    public static let routes: [HTTPRoute] = [
        // Components
        HTTPRoute("GET", "/api/v1/components", .control("component.list"), query: true,
                  tag: "components", "List components"),
        HTTPRoute("POST", "/api/v1/components", .control("component.create"), body: .merge, status: 201,
                  location: "/api/v1/components/{id}", tag: "components", "Create a component"),
        HTTPRoute("GET", "/api/v1/components/{id}", .control("component.get"), query: true,
                  tag: "components", "Get a component with its latest version"),
        HTTPRoute("PUT", "/api/v1/components/{id}", .control("component.update"), body: .merge,
                  tag: "components", "Replace a component (new version when the config changes)"),
        HTTPRoute("PATCH", "/api/v1/components/{id}", .control("component.update"), body: .merge,
                  tag: "components", "Update some fields of a component"),
        HTTPRoute("DELETE", "/api/v1/components/{id}", .control("component.delete"),
                  tag: "components", "Delete a component"),
        HTTPRoute("GET", "/api/v1/components/{id}/versions", .control("component.versions"), query: true,
                  tag: "components", "List the immutable versions of a component"),
        HTTPRoute("GET", "/api/v1/component-types", .control("component.schema"), query: true,
                  tag: "components", "JSON Schema of every component type's config"),

        // Workflows
        HTTPRoute("GET", "/api/v1/workflows", .control("workflow.list"), query: true,
                  tag: "workflows", "List workflows"),
        HTTPRoute("POST", "/api/v1/workflows", .control("workflow.create"), body: .merge, status: 201,
                  location: "/api/v1/workflows/{id}", tag: "workflows", "Create a workflow"),
        HTTPRoute("GET", "/api/v1/workflows/{id}", .control("workflow.get"), query: true,
                  tag: "workflows", "Get a workflow"),
        HTTPRoute("PUT", "/api/v1/workflows/{id}", .control("workflow.update"), body: .merge,
                  tag: "workflows", "Update a workflow"),
        HTTPRoute("DELETE", "/api/v1/workflows/{id}", .control("workflow.delete"),
                  tag: "workflows", "Delete a workflow"),
        HTTPRoute("POST", "/api/v1/workflows/{id}/validate", .control("workflow.validate"), body: .merge,
                  tag: "workflows", "Validate a workflow definition"),
        HTTPRoute("POST", "/api/v1/workflows/{id}/runs", .control("workflow.run"), body: .merge, status: 202,
                  location: "/api/v1/workflow-runs/{run_id}", tag: "workflows", "Execute a workflow (returns the run id at once)"),

        // Runs
        HTTPRoute("GET", "/api/v1/workflow-runs", .control("run.list"), query: true,
                  tag: "runs", "List runs (filters, cursor)"),
        HTTPRoute("GET", "/api/v1/workflow-runs/{run_id}", .control("run.get"), query: true, params: ["run_id": "id"],
                  tag: "runs", "Get a run with its steps"),
        HTTPRoute("POST", "/api/v1/workflow-runs/{run_id}/cancel", .control("run.cancel"), body: .merge,
                  params: ["run_id": "id"], tag: "runs", "Cancel a run (idempotent)"),
        HTTPRoute("GET", "/api/v1/workflow-runs/{run_id}/events", .control("run.events"), query: true,
                  params: ["run_id": "id"], tag: "runs", "A page of stored run events after a seq"),
        HTTPRoute("GET", "/api/v1/workflow-runs/{run_id}/stream", .stream(subscribe: "run.subscribe", unsubscribe: "run.unsubscribe"),
                  query: true, params: ["run_id": "id"], tag: "runs", "Live run events (Server-Sent Events)"),
        HTTPRoute("GET", "/api/v1/workflow-runs/{run_id}/artifacts", .control("run.artifacts"), query: true,
                  params: ["run_id": "id"], tag: "runs", "List a run's artifacts"),
        HTTPRoute("GET", "/api/v1/workflow-runs/{run_id}/artifacts/{name}", .download("run.artifact"),
                  params: ["run_id": "id"], tag: "runs", "Download one artifact"),
        HTTPRoute("GET", "/api/v1/workflow-runs/{run_id}/steps/{step}/result", .download("run.result"),
                  params: ["run_id": "id"], tag: "runs", "A step's whole result (JSON text, streamed from the blob store)"),
        HTTPRoute("GET", "/api/v1/events", .stream(subscribe: "events.subscribe", unsubscribe: "events.unsubscribe"),
                  query: true, tag: "runs", "Dashboard-wide feed of run status changes (Server-Sent Events)"),

        // External databases (connections)
        HTTPRoute("GET", "/api/v1/external-databases", .control("connection.list"), query: true,
                  tag: "external-databases", "List connections"),
        HTTPRoute("POST", "/api/v1/external-databases", .control("connection.create"), body: .merge, status: 201,
                  location: "/api/v1/external-databases/{id}", tag: "external-databases", "Create a connection"),
        HTTPRoute("GET", "/api/v1/external-databases/{id}", .control("connection.get"), query: true,
                  tag: "external-databases", "Get a connection (secrets never returned)"),
        HTTPRoute("PUT", "/api/v1/external-databases/{id}", .control("connection.update"), body: .merge,
                  tag: "external-databases", "Update a connection"),
        HTTPRoute("DELETE", "/api/v1/external-databases/{id}", .control("connection.delete"),
                  tag: "external-databases", "Delete a connection"),
        HTTPRoute("POST", "/api/v1/external-databases/{id}/test", .control("connection.test"), body: .merge,
                  tag: "external-databases", "Test a connection"),
        HTTPRoute("POST", "/api/v1/external-databases/{id}/scan", .control("connection.scan"), body: .merge,
                  tag: "external-databases", "Scan a connection's schema"),
        HTTPRoute("POST", "/api/v1/external-databases/{id}/query", .control("connection.query"), body: .merge,
                  tag: "external-databases", "Run SQL with params and max_rows"),

        // Plugins, dashboard, entities, audit
        HTTPRoute("GET", "/api/v1/plugins", .control("plugin.list"), query: true,
                  tag: "plugins", "List loaded plugins"),
        HTTPRoute("POST", "/api/v1/plugins", .control("plugin.load"), body: .merge, status: 201,
                  tag: "plugins", "Load a plugin library by absolute path (the console's \"load by path\")"),
        HTTPRoute("GET", "/api/v1/dashboard/summary", .control("dashboard.summary"), query: true,
                  tag: "dashboard", "Counts for the dashboard"),
        HTTPRoute("GET", "/api/v1/dashboard/system-health", .control("dashboard.health"), query: true,
                  tag: "dashboard", "Kernel, store, plugin and sandbox health"),
        HTTPRoute("GET", "/api/v1/cluster/status", .control("cluster.status"), query: true,
                  tag: "dashboard", "Kernels sharing this store (id, host, version, last heartbeat, running steps, capacity)"),
        HTTPRoute("GET", "/api/v1/entities/{entity_type}/{entity_id}", .control("entity.get"), query: true,
                  params: ["entity_type": "type", "entity_id": "id"], tag: "entities", "Get any entity by type and id"),
        HTTPRoute("GET", "/api/v1/action-logs", .control("audit.list"), query: true,
                  tag: "audit", "Audit entries, optionally for one entity"),

        // Step runtimes
        HTTPRoute("GET", "/api/v1/runtimes", .control("runtime.status"), tag: "runtimes",
                  "Every step runtime: state, versions, size on disk, path, pins hash vs installed"),
        HTTPRoute("POST", "/api/v1/runtimes/install", .control("runtime.install"), body: .merge, tag: "runtimes",
                  "Build the Python runtime / check the Node runtime (wait=false answers at once)"),
        HTTPRoute("POST", "/api/v1/runtimes/gc", .control("runtime.gc"), body: .merge, tag: "runtimes",
                  "Remove unreferenced requirement venvs and stale runtimes (dry_run lists them)"),

        // Webhooks (issue 18): CRUD under the API; deliveries at /hooks/{id}, signed instead of token-authenticated.
        HTTPRoute("GET", "/api/v1/webhooks", .control("webhook.list"), query: true, tag: "webhooks", "List webhooks"),
        HTTPRoute("POST", "/api/v1/webhooks", .control("webhook.create"), body: .merge, status: 201,
                  location: "/api/v1/webhooks/{id}", tag: "webhooks", "Create a webhook (returns its id and url /hooks/{id})"),
        HTTPRoute("GET", "/api/v1/webhooks/{id}", .control("webhook.get"), query: true, tag: "webhooks", "Get a webhook (never its secret)"),
        HTTPRoute("PUT", "/api/v1/webhooks/{id}", .control("webhook.update"), body: .merge, tag: "webhooks", "Update a webhook"),
        HTTPRoute("DELETE", "/api/v1/webhooks/{id}", .control("webhook.delete"), tag: "webhooks", "Delete a webhook"),
        HTTPRoute("POST", "/hooks/{id}", .webhook, status: 202, tag: "webhooks",
                  "Deliver a webhook: the body becomes the run's inputs; 202 {run_id}, or the result with ?wait=30s"),

        // The kernel as an MCP server (issue 18): streamable HTTP, bearer token as for the API.
        HTTPRoute("POST", "/mcp", .mcp, tag: "mcp", "MCP endpoint (JSON-RPC: tools = exposed workflows, resources = runs)"),

        // Schedules (issue 18)
        HTTPRoute("GET", "/api/v1/schedules", .control("schedule.list"), query: true, tag: "schedules", "List schedules with their next fire times"),
        HTTPRoute("POST", "/api/v1/schedules", .control("schedule.create"), body: .merge, status: 201,
                  location: "/api/v1/schedules/{id}", tag: "schedules", "Create a schedule"),
        HTTPRoute("GET", "/api/v1/schedules/{id}", .control("schedule.get"), query: true, tag: "schedules", "Get a schedule with its recent ticks"),
        HTTPRoute("PUT", "/api/v1/schedules/{id}", .control("schedule.update"), body: .merge, tag: "schedules", "Update a schedule"),
        HTTPRoute("DELETE", "/api/v1/schedules/{id}", .control("schedule.delete"), tag: "schedules", "Delete a schedule"),
        HTTPRoute("POST", "/api/v1/schedules/{id}/pause", .control("schedule.pause"), body: .merge, tag: "schedules", "Pause a schedule"),
        HTTPRoute("POST", "/api/v1/schedules/{id}/resume", .control("schedule.resume"), body: .merge, tag: "schedules", "Resume a schedule from now"),
        HTTPRoute("GET", "/api/v1/schedules/{id}/ticks", .control("schedule.ticks"), query: true, tag: "schedules",
                  "A schedule's claimed ticks with their runs"),

        // Kernel
        HTTPRoute("GET", "/api/v1/kernel/status", .control("kernel.status"), tag: "kernel",
                  "Kernel version, uptime, store, addresses"),
        HTTPRoute("GET", "/api/v1/kernel/ping", .control("kernel.ping"), query: true, tag: "kernel",
                  "Liveness and latency probe (echo after delay_ms)"),
        HTTPRoute("GET", "/api/v1/openapi.json", .openAPI, tag: "kernel", "This OpenAPI 3.1 document"),
        HTTPRoute("GET", "/metrics", .metrics, tag: "kernel", "Prometheus metrics"),
        HTTPRoute("GET", "/healthz", .health, tag: "kernel", "Liveness (no authentication)"),
    ]
}
