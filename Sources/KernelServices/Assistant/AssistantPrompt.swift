import KernelCore

/// What the assistant tells the model, and how a proposal is read back from
/// its answer: the last fenced ```json block that parses as an object.
package enum AssistantPrompt {
    /// What the user is drafting.
    package enum Target: String {
        case component, workflow
    }

    /// The system prompt: the task, the selected type's JSON Schema, the current
    /// draft, the declared connections' scanned schemas (digests) and, for a
    /// workflow, the components it can use.
    package static func system(target: Target, typeName: String?, schema: JSON?, draft: JSON?,
                       connections: [(name: String, digest: String)], components: [Component]) -> String {
        var parts: [String] = []
        switch target {
        case .component:
            parts.append("""
            You help a user of the MCP Kernel write the config of a component\(typeName.map { " of type \"\($0)\"" } ?? "").
            Answer briefly. When you propose a config, end your answer with exactly one fenced ```json block holding \
            the WHOLE config object (with its "type"), valid against the JSON Schema below. The user sees it as a diff \
            and applies or rejects it.
            """)
        case .workflow:
            parts.append("""
            You help a user of the MCP Kernel draft a workflow: {name, description, inputs (a JSON Schema), steps: \
            [{id, component (an id or name from the list below), needs, inputs (values or ${inputs.x} / \
            ${steps.<ancestor>.result...} expressions), retries, timeoutSeconds, when, forEach, maxParallel}]}.
            Answer briefly. When you propose a workflow, end your answer with exactly one fenced ```json block holding \
            the WHOLE workflow definition. The user sees it as a diff and applies or rejects it.
            """)
        }
        if let schema { parts.append("JSON Schema of the config:\n```json\n\(schema.serialized())\n```") }
        if let draft { parts.append("The current draft:\n```json\n\(draft.serialized())\n```") }
        if !components.isEmpty {
            parts.append("Components available to steps (name — type — id):\n" +
                         components.map { "- \($0.name) — \($0.type.rawValue) — \($0.id)" }.joined(separator: "\n"))
        }
        for c in connections { parts.append("Declared connection \"\(c.name)\" (scanned schema):\n\(c.digest)") }
        if connections.isEmpty { parts.append("No data connection is declared.") }
        return parts.joined(separator: "\n\n")
    }

    /// The conversation as one user prompt: the last message alone when there is one,
    /// else the turns labelled, oldest first.
    package static func transcript(_ messages: [(role: String, content: String)]) -> String {
        if messages.count == 1 { return messages[0].content }
        return messages.map { "\($0.role == "assistant" ? "Assistant" : "User"): \($0.content)" }.joined(separator: "\n\n")
    }

    /// The input that renders as a literal `{{` (see `templateInputs`).
    static let literalBracesInput = "lb"

    /// The LLM executor renders its prompts (`${inputs…}`, then `{{x}}`). The assistant's prompts
    /// hold drafts full of `${…}` and whatever the user typed, so they are passed as inputs
    /// (`systemPrompt: ${inputs.system}`, `userPromptTemplate: ${inputs.message}`: a value is not
    /// rendered again) with every `{{` written as `{{lb}}`, the input whose value is `{{`.
    package static func templateInputs(system: String, message: String) -> (config: [(String, JSON)], inputs: JSON) {
        let escape = { (s: String) in s.replacing("{{", with: "{{\(literalBracesInput)}}") }
        return ([("systemPrompt", "${inputs.system}"), ("userPromptTemplate", "${inputs.message}")],
                ["system": .string(escape(system)), "message": .string(escape(message)), literalBracesInput: "{{"])
    }

    /// The last ```json (or bare ```) fenced block of `text` that parses as a JSON object.
    package static func proposal(in text: String) -> JSON? {
        var found: JSON?
        var rest = Substring(text)
        while let open = rest.firstRange(of: "```") {
            var body = rest[open.upperBound...]
            if let nl = body.firstIndex(of: "\n") {
                let lang = String(body[..<nl]).trimmingCharacters()
                if lang.isEmpty || lang.lowercased() == "json" { body = body[body.index(after: nl)...] } else {
                    guard let close = body.firstRange(of: "```") else { break }
                    rest = body[close.upperBound...]
                    continue
                }
            }
            guard let close = body.firstRange(of: "```") else { break }
            if let v = try? JSONParser.parse(String(body[..<close.lowerBound])), case .object = v { found = v }
            rest = body[close.upperBound...]
        }
        return found
    }
}
