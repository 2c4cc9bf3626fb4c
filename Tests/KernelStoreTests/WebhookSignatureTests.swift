import KernelStore
import Testing

/// `WebhookSignature` against GitHub's published example ("Validating webhook deliveries":
/// secret "It's a Secret to Everybody", payload "Hello, World!").
@Suite struct WebhookSignatureTests {
    static let secret = "It's a Secret to Everybody"
    static let body = Array("Hello, World!".utf8)
    static let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

    @Test func matchesGitHubsExample() {
        #expect(WebhookSignature.sign(secret: Self.secret, body: Self.body) == Self.expected)
        #expect(WebhookSignature.verify(Self.expected, secret: Self.secret, body: Self.body))
        #expect(WebhookSignature.verify("sha256=" + Self.expected.dropFirst(7).uppercased(), secret: Self.secret, body: Self.body))
    }

    @Test func refusesEverythingElse() {
        #expect(!WebhookSignature.verify(nil, secret: Self.secret, body: Self.body))
        #expect(!WebhookSignature.verify(Self.expected, secret: "other", body: Self.body))
        #expect(!WebhookSignature.verify(Self.expected, secret: Self.secret, body: Array("Hello, World?".utf8)))
        #expect(!WebhookSignature.verify(String(Self.expected.dropLast()), secret: Self.secret, body: Self.body))
        #expect(!WebhookSignature.verify("sha1=" + Self.expected.dropFirst(7), secret: Self.secret, body: Self.body))
        #expect(!WebhookSignature.verify("sha256=" + String(repeating: "z", count: 64), secret: Self.secret, body: Self.body))
    }
}
