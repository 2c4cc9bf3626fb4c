import CLibYAML

/// YAML input (MCP server configurations) over libyaml, Debian's maintained YAML 1.1 parser:
/// libyaml does the syntax (block and flow collections, every scalar style, comments,
/// directives) and reports errors with their line and column; this file turns its event stream
/// into JSON. Mappings keep their key order; plain scalars resolve by the YAML 1.2 core schema
/// (null, booleans, integers, floats, else a string); quoted and block scalars stay strings.
/// Anchors, aliases, tags, complex keys, duplicate keys and more than one document are refused
/// rather than misread.
public enum YAML {
    /// Deepest nesting accepted.
    public static let maxDepth = 64
    /// Largest document accepted, in bytes.
    public static let maxBytes = 1 << 20

    /// A parse error at a 1-based line and column.
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let column: Int
        public let message: String
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// Parses one document into JSON (an empty document is `null`).
    public static func parse(_ text: String) throws -> JSON {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else {
            throw Error(line: 1, column: 1, message: "document is \(bytes.count) bytes, over the limit of \(maxBytes) bytes (YAML.maxBytes)")
        }
        return try bytes.withUnsafeBufferPointer { (input: UnsafeBufferPointer<UInt8>) throws(Error) -> JSON in
            var builder = Builder(input: input)
            return try builder.run()
        }
    }

    /// One open collection while events arrive.
    enum Frame {
        case sequence([JSON])
        /// A mapping and the key waiting for its value (with the key's position, for errors).
        case mapping(JSONObject, key: (name: String, line: Int, column: Int)?)
    }

    struct Builder {
        let input: UnsafeBufferPointer<UInt8>
        /// On the heap: libyaml's string reader points back at the parser, which must not move.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        var stack: [Frame] = []
        var result: JSON?
        var documents = 0

        init(input: UnsafeBufferPointer<UInt8>) { self.input = input }

        mutating func run() throws(Error) -> JSON {
            defer { parser.deallocate() }
            guard let base = input.baseAddress, input.count > 0 else { return .null }
            guard yaml_parser_initialize(parser) == 1 else { throw Error(line: 1, column: 1, message: "libyaml could not start (out of memory)") }
            defer { yaml_parser_delete(parser) }
            yaml_parser_set_input_string(parser, base, input.count)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(parser, &event) == 1 else { throw parserError() }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return result ?? .null }
                try handle(event)
            }
        }

        /// A mark's 1-based line and column; a mark at the end of the input (libyaml's implied
        /// final line break) is placed just after the last character.
        func position(_ mark: yaml_mark_t) -> (line: Int, column: Int) {
            Int(mark.index) >= input.count ? position(ofOffset: input.count) : (Int(mark.line) + 1, Int(mark.column) + 1)
        }

        /// The 1-based line and column (in characters) of a byte offset.
        func position(ofOffset offset: Int) -> (line: Int, column: Int) {
            var line = 1, column = 1
            for b in input[0..<min(max(offset, 0), input.count)] {
                if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
            }
            return (line, column)
        }

        func fail(_ message: String, at mark: yaml_mark_t) -> Error {
            let p = position(mark)
            return Error(line: p.line, column: p.column, message: message)
        }

        /// libyaml's own error: its problem, and the construct it was reading when the problem
        /// is found later than where that construct began.
        func parserError() -> Error {
            let parser = self.parser.pointee
            let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
            if parser.error == YAML_READER_ERROR {
                // Reader errors carry a byte offset, not a mark.
                let p = position(ofOffset: Int(parser.problem_offset))
                return Error(line: p.line, column: p.column, message: problem)
            }
            var message = problem
            if let context = parser.context {
                let at = position(parser.context_mark)
                message += " (\(String(cString: context)) at line \(at.line), column \(at.column))"
            }
            return fail(message, at: parser.problem_mark)
        }

        static func text(_ p: UnsafeMutablePointer<yaml_char_t>?, _ length: Int) -> String {
            guard let p else { return "" }
            return String(decoding: UnsafeBufferPointer(start: p, count: length), as: UTF8.self)
        }

        mutating func handle(_ event: yaml_event_t) throws(Error) {
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 { throw fail("multiple documents are not supported", at: event.start_mark) }
            case YAML_ALIAS_EVENT:
                throw fail("anchors, aliases and tags are not supported", at: event.start_mark)
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                if s.anchor != nil || s.tag != nil { throw fail("anchors, aliases and tags are not supported", at: event.start_mark) }
                let text = Builder.text(s.value, s.length)
                try add(s.style == YAML_PLAIN_SCALAR_STYLE ? YAML.plainScalar(text) : .string(text), keyText: text, event)
            case YAML_SEQUENCE_START_EVENT:
                let s = event.data.sequence_start
                if s.anchor != nil || s.tag != nil { throw fail("anchors, aliases and tags are not supported", at: event.start_mark) }
                try open(.sequence([]), event)
            case YAML_MAPPING_START_EVENT:
                let m = event.data.mapping_start
                if m.anchor != nil || m.tag != nil { throw fail("anchors, aliases and tags are not supported", at: event.start_mark) }
                try open(.mapping(JSONObject(), key: nil), event)
            case YAML_SEQUENCE_END_EVENT:
                guard case .sequence(let items)? = stack.popLast() else { throw fail("unbalanced sequence end", at: event.start_mark) }
                try add(.array(items), keyText: nil, event)
            case YAML_MAPPING_END_EVENT:
                guard case .mapping(let object, _)? = stack.popLast() else { throw fail("unbalanced mapping end", at: event.start_mark) }
                try add(.object(object), keyText: nil, event)
            default:
                break  // stream start, document end
            }
        }

        mutating func open(_ frame: Frame, _ event: yaml_event_t) throws(Error) {
            if case .mapping(_, nil)? = stack.last { throw fail("complex keys are not supported", at: event.start_mark) }
            guard stack.count < YAML.maxDepth else {
                throw fail("nesting deeper than \(YAML.maxDepth) (YAML.maxDepth)", at: event.start_mark)
            }
            stack.append(frame)
        }

        /// A finished value: the document itself, a sequence item, a mapping key or its value.
        mutating func add(_ value: JSON, keyText: String?, _ event: yaml_event_t) throws(Error) {
            guard let top = stack.popLast() else { result = value; return }
            switch top {
            case .sequence(var items):
                items.append(value)
                stack.append(.sequence(items))
            case .mapping(let object, key: nil):
                guard let name = keyText else { throw fail("complex keys are not supported", at: event.start_mark) }
                let p = position(event.start_mark)
                if object[name] != nil { throw Error(line: p.line, column: p.column, message: "duplicate key '\(name)'") }
                stack.append(.mapping(object, key: (name, p.line, p.column)))
            case .mapping(var object, key: let key?):
                object[key.name] = value
                stack.append(.mapping(object, key: nil))
            }
        }
    }

    /// Resolves a plain scalar to null, bool, int, float or string (YAML 1.2 core schema).
    static func plainScalar(_ s: String) -> JSON {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = Int64(s) { return .int(i) }
        let numberChars = Set("0123456789+-.eE")
        if s.contains(where: { $0.isNumber }) && s.allSatisfy({ numberChars.contains($0) }), let d = Double(s) {
            return .double(d)
        }
        return .string(s)
    }
}
