import Foundation

/// Writes a float32 `.npy` or `.safetensors` array of known shape piece by piece — rows in any
/// order — into a hidden temporary file beside `url`, which `commit()` renames into place.
/// Until then nothing exists under `url`; `discard()` (or releasing an uncommitted writer)
/// removes the temporary file. Memory use does not depend on the array's size.
///
/// A `.safetensors` file holds one tensor, `samples`, with `metadata` in `__metadata__`; a
/// `.npy` file has no room for metadata (NumPy refuses extra header keys), so it is ignored.
/// The bytes equal `ArrayFile.encode` of the whole array.
public final class ArrayFileWriter: SampleSink {
    /// Where the file goes.
    public let url: URL
    /// The array's shape, rows first.
    public let shape: [Int]
    private let rowBytes: Int, dataStart: Int
    private let temporary: URL
    private var handle: FileHandle?
    private var rowsWritten = 0, committed = false

    /// Extensions the writer supports.
    public static let formats = ["npy", "safetensors"]

    /// Starts the temporary file for an array of `shape` (rows first).
    public init(url: URL, shape: [Int], metadata: [String: String] = [:]) throws {
        self.url = url
        self.shape = shape
        let header: Data
        switch url.pathExtension.lowercased() {
        case "npy": header = NPY.header(shape: shape)
        case "safetensors": header = try Safetensors.header([("samples", shape)], metadata: metadata)
        default: throw FileFormatError.unsupportedExtension(url.path, valid: Self.formats)
        }
        rowBytes = 4 * shape.dropFirst().reduce(1, *)
        dataStart = header.count
        temporary = try AtomicFile.temporaryURL(for: url)
        guard FileManager.default.createFile(atPath: temporary.path, contents: header),
              let handle = FileHandle(forWritingAtPath: temporary.path) else {
            throw FileFormatError.cannotWrite(url.path, reason: "folder \(temporary.deletingLastPathComponent().path) is not writable")
        }
        self.handle = handle
        try handle.truncate(atOffset: UInt64(dataStart + rowBytes * shape[0]))
    }

    deinit { if !committed { discard() } }

    /// The path of the temporary file being written (for removing it on an interrupt).
    public var temporaryPath: String { temporary.path }

    /// Writes `samples`' rows at rows `positions` of the array (runs of consecutive positions
    /// in one write).
    public func receive(_ samples: Tensor, at positions: [Int]) throws {
        precondition(samples.rows == positions.count && 4 * samples.rowSize == rowBytes, "rows do not fit the file")
        var r = 0
        while r < positions.count {
            var end = r + 1
            while end < positions.count, positions[end] == positions[end - 1] + 1 { end += 1 }
            let values = samples.scalars[(r * samples.rowSize)..<(end * samples.rowSize)]
            try write(values.withUnsafeBytes { Data($0) }, atRow: positions[r])
            r = end
        }
    }

    /// Writes whole rows of raw little-endian float32 bytes starting at row `row`.
    public func write(_ bytes: Data, atRow row: Int) throws {
        guard let handle else { throw FileFormatError.cannotWrite(url.path, reason: "the writer was closed") }
        precondition(bytes.count % rowBytes == 0 && row >= 0 && row + bytes.count / rowBytes <= shape[0], "rows outside the file")
        do {
            try handle.seek(toOffset: UInt64(dataStart + row * rowBytes))
            try handle.write(contentsOf: bytes)
        } catch {
            throw FileFormatError.cannotWrite(url.path, reason: error.localizedDescription)
        }
        rowsWritten += bytes.count / rowBytes
    }

    /// Closes the file and renames it to `url`; throws (and removes it) unless every row was written.
    public func commit() throws {
        guard rowsWritten == shape[0] else {
            discard()
            throw FileFormatError.cannotWrite(url.path, reason: "only \(rowsWritten) of \(shape[0]) rows were written")
        }
        do { try handle?.synchronize(); try handle?.close() } catch {
            discard()
            throw FileFormatError.cannotWrite(url.path, reason: error.localizedDescription)
        }
        handle = nil
        try AtomicFile.moveIntoPlace(temporary, url)
        committed = true
    }

    /// Abandons the file: closes and removes the temporary file; nothing appears under `url`.
    public func discard() {
        try? handle?.close()
        handle = nil
        try? FileManager.default.removeItem(at: temporary)
    }
}

/// Reads a float32 `.npy` or `.safetensors` array (one tensor, or one named `samples`) a range
/// of rows at a time, without loading the file: for merging shards in bounded memory.
public final class ArrayFileReader {
    /// The file.
    public let url: URL
    /// The array's shape, rows first.
    public let shape: [Int]
    /// The safetensors `__metadata__` (empty for `.npy`).
    public let metadata: [String: String]
    private let dataStart: Int, rowBytes: Int
    private let handle: FileHandle

    /// Opens `url` and checks its header: float32, C order, data size matching the shape.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw FileFormatError.cannotRead(path, reason: exists ? "permission denied or not a file" : "no such file")
        }
        self.handle = handle
        let size = Int(try handle.seekToEnd())
        let layout: (shape: [Int], metadata: [String: String], dataStart: Int)
        switch url.pathExtension.lowercased() {
        case "npy": layout = try Self.npyLayout(handle, size: size, path: path)
        case "safetensors": layout = try Self.safetensorsLayout(handle, size: size, path: path)
        default: throw FileFormatError.unsupportedExtension(path, valid: ArrayFileWriter.formats)
        }
        (shape, metadata, dataStart) = layout
        rowBytes = 4 * shape.dropFirst().reduce(1, *)
        guard size - dataStart == rowBytes * shape[0] else {
            throw FileFormatError.malformed(path, reason: "shape \(shape) needs \(rowBytes * shape[0]) bytes of data, found \(size - dataStart)")
        }
    }

    deinit { try? handle.close() }

    /// The raw little-endian float32 bytes of rows `rows`.
    public func bytes(ofRows rows: Range<Int>) throws -> Data {
        try handle.seek(toOffset: UInt64(dataStart + rows.lowerBound * rowBytes))
        let data = try handle.read(upToCount: rows.count * rowBytes) ?? Data()
        guard data.count == rows.count * rowBytes else { throw FileFormatError.malformed(url.path, reason: "data ends early") }
        return data
    }

    private static func read(_ handle: FileHandle, _ range: Range<Int>) throws -> [UInt8] {
        try handle.seek(toOffset: UInt64(range.lowerBound))
        return [UInt8](try handle.read(upToCount: range.count) ?? Data())
    }

    private static func npyLayout(_ handle: FileHandle, size: Int, path: String) throws -> ([Int], [String: String], Int) {
        let prefix = try read(handle, 0..<min(size, 12))
        guard prefix.count >= 10 else { throw FileFormatError.malformed(path, reason: "not a .npy file (bad magic)") }
        let length = prefix[6] == 1 ? Int(prefix[8]) | Int(prefix[9]) << 8
            : prefix.count >= 12 ? (0..<4).reduce(0) { $0 | Int(prefix[8 + $1]) << (8 * $1) } : size
        let info = try NPY.headerInfo(try read(handle, 0..<min(size, 12 + length)), path: path)
        guard info.width == 4 else { throw FileFormatError.malformed(path, reason: "holds float64 values; expected float32") }
        return (info.shape, [:], info.dataStart)
    }

    private static func safetensorsLayout(_ handle: FileHandle, size: Int, path: String) throws -> ([Int], [String: String], Int) {
        let prefix = try read(handle, 0..<min(size, 8))
        guard prefix.count == 8 else { throw FileFormatError.malformed(path, reason: "shorter than the 8-byte header length") }
        let length = prefix.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(size - 8), length <= 100_000_000 else {
            throw FileFormatError.malformed(path, reason: "header length \(length) exceeds the file's \(size - 8) remaining bytes")
        }
        let headerEnd = 8 + Int(length)
        let (metadata, entries) = try Safetensors.parseHeader(Data(try read(handle, 8..<headerEnd)), dataSize: size - headerEnd, path: path)
        guard let entry = entries.count == 1 ? entries[0] : entries.first(where: { $0.name == "samples" }) else {
            throw FileFormatError.malformed(path, reason: "holds \(entries.count) tensors; expected one, or one named 'samples'")
        }
        guard entries.count == 1 else { throw FileFormatError.malformed(path, reason: "holds tensors besides 'samples'") }
        guard entry.dtype == .F32 else { throw FileFormatError.malformed(path, reason: "tensor '\(entry.name)' is \(entry.dtype.rawValue); expected F32") }
        guard !entry.shape.isEmpty else { throw FileFormatError.malformed(path, reason: "a 0-d tensor holds no samples") }
        return (entry.shape, metadata, headerEnd + entry.byteRange.lowerBound)
    }
}
