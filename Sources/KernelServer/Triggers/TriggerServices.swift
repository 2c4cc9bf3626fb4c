import KernelCore
import KernelLoop

/// The kernel's state for the entry points beyond `workflow.run` (webhooks, schedules, the MCP
/// server): one object so `Kernel` holds it in one property.
@KernelActor
final class TriggerServices {
    let webhookLimiter = WebhookRateLimiter()

    init() {}
}

extension Kernel {
    /// Wires the shim's trigger routes (`/hooks/{id}`, `/mcp`) to their handlers.
    func installTriggerRoutes(_ api: HTTPAPI) {
        api.webhookHandler = { [unowned self] request, id, requestID in
            await self.deliverWebhook(request, id: id, requestID: requestID)
        }
    }
}
