extension JSON {
    /// Content checksum: sha256 hex of `canonical()` (sorted keys, compact).
    /// Two configs that differ only in key order have the same checksum.
    public var contentChecksum: String { SHA256.hex(canonical()) }
}
