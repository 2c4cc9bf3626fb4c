import KernelCore
import KernelEngine
import KernelServices

extension Kernel {
    /// `run.result`: a step's result (or the run's outputs) — the stored form by default (a
    /// large value is `{$ref, size, preview}`), the whole value with `full`, or base64 chunks
    /// of its JSON text with `offset`/`length`. `GET …/steps/{step}/result` streams it.
    func registerRunResultMethods() {
        registerRetentionMethods()
        dispatcher.register("run.result", summary: "A step's result or the run's outputs: stored form (large values as {$ref, size, preview}), "
                                + "the whole value with full: true, or base64 chunks of its JSON text with offset/length.",
                            params: ["type": "object", "required": ["id"], "properties": [
                                "id": ["type": "string"],
                                "step": ["type": "string", "description": "Step id (omitted: the run's outputs)"],
                                "full": ["type": "boolean", "description": "The whole value, not its reference (up to 8 MiB inline)"],
                                "offset": ["type": "integer", "minimum": 0, "description": "Return bytes of the JSON text from here (base64)"],
                                "length": ["type": "integer", "minimum": 1, "maximum": JSON(ValueLimits.maxChunkBytes)]]]) { [unowned self] p, _ in
            try await self.requireEngine().result(try p.string("id"), step: try p.optionalString("step"),
                                                  full: try p.optionalBool("full") ?? false,
                                                  offset: try p.optionalInt("offset").map(Int64.init),
                                                  length: try p.optionalInt("length"))
        }
    }
}
