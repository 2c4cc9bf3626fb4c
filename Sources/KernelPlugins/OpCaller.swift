import CLibFFI
import Glibc
import KernelCore

/// Calls an extra operation through libffi: checks the JSON arguments against
/// the signature (wrong arity or type → `invalid_params`, the function is not
/// called), marshals them to C, and the result back to JSON.
enum OpCaller {
    static func call(op: String, signature sig: OpSignature, fn: UnsafeMutableRawPointer, args: [JSON]) throws -> JSON {
        guard args.count == sig.arguments.count else {
            throw KernelError.invalidParams("op \(op) takes \(sig.arguments.count) argument(s) (\(sig)), got \(args.count)",
                                            errors: [FieldError("args", "expected \(sig.arguments.count) argument(s)")])
        }
        // 8 bytes of storage per argument; strings are strdup'ed and freed after the call.
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, args.count) * 8, alignment: 8)
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer {
            for s in strings { free(s) }
            storage.deallocate()
        }
        var fieldErrors: [FieldError] = []
        for (i, (code, value)) in zip(sig.arguments, args).enumerated() {
            let slot = storage + i * 8
            switch code {
            case .bool:
                if let b = value.boolValue { slot.storeBytes(of: Int32(b ? 1 : 0), as: Int32.self) }
                else { fieldErrors.append(FieldError("args[\(i)]", "expected boolean, got \(value.typeName)")) }
            case .int32:
                if let v = value.intValue, let n = Int32(exactly: v) { slot.storeBytes(of: n, as: Int32.self) }
                else { fieldErrors.append(FieldError("args[\(i)]", "expected 32-bit integer, got \(value.typeName)")) }
            case .int64:
                if let v = value.intValue { slot.storeBytes(of: v, as: Int64.self) }
                else { fieldErrors.append(FieldError("args[\(i)]", "expected integer, got \(value.typeName)")) }
            case .double:
                if let v = value.doubleValue { slot.storeBytes(of: v, as: Double.self) }
                else { fieldErrors.append(FieldError("args[\(i)]", "expected number, got \(value.typeName)")) }
            case .string:
                if let s = value.stringValue, let c = strdup(s) {
                    strings.append(c)
                    slot.storeBytes(of: UnsafeRawPointer(c), as: UnsafeRawPointer.self)
                } else { fieldErrors.append(FieldError("args[\(i)]", "expected string, got \(value.typeName)")) }
            case .void:
                fieldErrors.append(FieldError("args[\(i)]", "void argument"))
            }
        }
        if !fieldErrors.isEmpty {
            throw KernelError.invalidParams("arguments do not match op \(op) signature \(sig)", errors: fieldErrors)
        }
        var cif = ffi_cif()
        let atypes = UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>.allocate(capacity: max(1, args.count))
        let avalues = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: max(1, args.count))
        defer { atypes.deallocate(); avalues.deallocate() }
        for (i, code) in sig.arguments.enumerated() {
            atypes[i] = mcpk_ffi_type_for(CChar(code.rawValue.asciiValue ?? 0))
            avalues[i] = storage + i * 8
        }
        guard let rtype = mcpk_ffi_type_for(CChar(sig.returns.rawValue.asciiValue ?? 0)),
              mcpk_ffi_prep_cif(&cif, UInt32(args.count), rtype, atypes) == FFI_OK else {
            throw KernelError.internal("libffi could not prepare a call for signature \(sig)")
        }
        var rvalue: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &rvalue) { r in
            ffi_call(&cif, unsafeBitCast(fn, to: (@convention(c) () -> Void).self), r.baseAddress, avalues)
        }
        return withUnsafeBytes(of: rvalue) { r -> JSON in
            switch sig.returns {
            case .void: return .null
            case .bool: return .bool(Int32(truncatingIfNeeded: r.load(as: Int64.self)) != 0)
            case .int32: return .int(Int64(Int32(truncatingIfNeeded: r.load(as: Int64.self))))
            case .int64: return .int(r.load(as: Int64.self))
            case .double:
                let d = r.load(as: Double.self)
                return d.isFinite ? .double(d) : .null
            case .string:
                guard let p = r.load(as: UnsafeMutablePointer<CChar>?.self) else { return .null }
                defer { free(p) }  // allocated with mcpk_host.alloc (malloc)
                return .string(String(cString: p))
            }
        }
    }
}
