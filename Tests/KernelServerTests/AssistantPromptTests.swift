import KernelCore
import Testing
@testable import KernelServices

/// The assistant's prompt plumbing (issue 19): the proposal read back from an
/// answer, the transcript, and the escaping that keeps drafts' `${…}` and a
/// user's `{{…}}` away from the LLM executor's template rendering.
@Suite("Assistant prompt")
struct AssistantPromptTests {
    @Test func theLastFencedJSONObjectIsTheProposal() {
        let text = """
        First idea:
        ```json
        {"a": 1}
        ```
        Some shell, not a proposal:
        ```sh
        echo {"b": 2}
        ```
        Better:
        ```
        {"a": 2, "s": "${inputs.x}"}
        ```
        """
        #expect(AssistantPrompt.proposal(in: text) == ["a": 2, "s": "${inputs.x}"])
        #expect(AssistantPrompt.proposal(in: "no block here") == nil)
        #expect(AssistantPrompt.proposal(in: "```json\n[1, 2]\n```") == nil)  // an array is not a draft
        #expect(AssistantPrompt.proposal(in: "```json\n{\"unclosed\": \n") == nil)
        #expect(AssistantPrompt.proposal(in: "```json\n{not json}\n```") == nil)
    }

    @Test func oneMessageIsSentAsIsSeveralAsALabelledTranscript() {
        #expect(AssistantPrompt.transcript([("user", "hi")]) == "hi")
        #expect(AssistantPrompt.transcript([("user", "a"), ("assistant", "b"), ("user", "c")]) == "User: a\n\nAssistant: b\n\nUser: c")
    }

    @Test func promptsTravelAsInputsWithLiteralBracesEscaped() {
        let (config, inputs) = AssistantPrompt.templateInputs(system: "schema ${inputs.x} {{y}}", message: "use {{{name}}}")
        #expect(config.map(\.0) == ["systemPrompt", "userPromptTemplate"])
        #expect(config.map(\.1) == ["${inputs.system}", "${inputs.message}"])
        #expect(inputs["system"] == "schema ${inputs.x} {{lb}}y}}")
        #expect(inputs["message"] == "use {{lb}}{name}}}")
        #expect(inputs["lb"] == "{{")
    }

    @Test func theSystemPromptCarriesSchemaDraftConnectionsAndComponents() {
        let s = AssistantPrompt.system(target: .component, typeName: "Data", schema: ["type": "object"], draft: ["query": "SELECT 1"],
                                       connections: [("shop", "table orders(id integer)")], components: [])
        #expect(s.contains("of type \"Data\""))
        #expect(s.contains("JSON Schema of the config:\n```json\n{\"type\":\"object\"}\n```"))
        #expect(s.contains("The current draft:\n```json\n{\"query\":\"SELECT 1\"}\n```"))
        #expect(s.contains("Declared connection \"shop\" (scanned schema):\ntable orders(id integer)"))
        let w = AssistantPrompt.system(target: .workflow, typeName: nil, schema: nil, draft: nil, connections: [], components: [])
        #expect(w.contains("draft a workflow") && w.contains("No data connection is declared."))
    }
}
