import Glibc
import Testing
import KernelCore
import KernelLoop
@testable import KernelStore

/// The blob stores on both backends: content addressing (one copy per content), ranges
/// across chunk boundaries, files moved in, deletion and listing.
@Suite(.serialized) @KernelActor struct BlobStoreTests {
    /// A store of the backend: files under the fixture's home, or the chunk tables of its
    /// fresh database (migrated by opening the SQL store first).
    static func blobs(_ f: StoreFixture) async throws -> BlobStore {
        let store = try await f.open()
        defer { Task { @KernelActor in await store.close() } }
        switch f.backend {
        case .sqlite: return try FileBlobStore(root: f.home + "/blobs")
        case .postgres: return PostgresBlobStore(conninfo: f.url, location: "test")
        }
    }

    /// Bytes that differ at every chunk boundary: 2.5 chunks.
    static let sample: [UInt8] = (0..<(ValueLimits.ioChunkBytes * 5 / 2)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) }

    @Test(arguments: Backend.enabled) func storesOnceReadsRangesAndDeletes(_ backend: Backend) async throws {
        let f = try await StoreFixture(backend)
        let blobs = try await Self.blobs(f)
        defer { blobs.close() }
        let worker = WorkerThread(name: "blob-test")
        defer { worker.stop() }
        let bytes = Self.sample
        let (a, b, size, whole, middle, listed) = try await worker.run { () -> (BlobInfo, BlobInfo, Int64?, [UInt8], [UInt8], Int) in
            let a = try blobs.ingest(bytes: bytes)
            // The same content from a file: the same digest, and the file is consumed.
            let path = f.home + "/result.json"
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            let b = try blobs.ingest(file: path)
            #expect(access(path, F_OK) != 0)
            let whole = try blobs.readAll(a.digest)
            var middle: [UInt8] = []
            let from = Int64(ValueLimits.ioChunkBytes - 10)
            try blobs.read(a.digest, offset: from, length: Int64(ValueLimits.ioChunkBytes + 20)) { middle.append(contentsOf: $0) }
            return (a, b, try blobs.size(a.digest), whole, middle, try blobs.list().count)
        }
        #expect(a == b)
        #expect(a.size == Int64(bytes.count) && size == a.size)
        #expect(whole == bytes)
        let from = ValueLimits.ioChunkBytes - 10
        #expect(middle == Array(bytes[from..<(from + ValueLimits.ioChunkBytes + 20)]))
        #expect(listed == 1)
        #expect(a.digest.count == 64 && BlobReference.isDigest(a.digest))
        let gone = try await worker.run { () -> (Int64?, Bool) in
            try blobs.delete(a.digest)
            var missing = false
            do { try blobs.read(a.digest, offset: 0, length: nil) { _ in } } catch let e as KernelError { missing = e.kind == .notFound }
            return (try blobs.size(a.digest), missing)
        }
        #expect(gone.0 == nil && gone.1)
    }

    @Test(arguments: Backend.enabled) func emptyAndKnownDigest(_ backend: Backend) async throws {
        let f = try await StoreFixture(backend)
        let blobs = try await Self.blobs(f)
        defer { blobs.close() }
        let worker = WorkerThread(name: "blob-test")
        defer { worker.stop() }
        let (empty, abc) = try await worker.run { (try blobs.ingest(bytes: []), try blobs.ingest(bytes: Array("abc".utf8))) }
        #expect(empty.digest == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" && empty.size == 0)
        #expect(abc.digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(abc.reference.preview == "abc")
    }
}
