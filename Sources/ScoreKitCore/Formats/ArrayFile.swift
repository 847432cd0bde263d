import Foundation

/// Reads and writes sample arrays by file extension: `.npy` (float32, C order),
/// `.safetensors` (one F32 tensor named `samples`), `.csv` (one sample per line), and — for
/// writing only — `.png` (a scatter plot of 2-D samples, or a grid of image samples).
public enum ArrayFile {
    /// Extensions `read` accepts.
    public static let readable = ["npy", "safetensors", "csv"]
    /// Extensions `write` accepts.
    public static let writable = ["npy", "safetensors", "csv", "png"]

    /// The array in `url`. A safetensors file must hold one tensor, or one named `samples`.
    public static func read(_ url: URL) throws -> Tensor {
        let ext = url.pathExtension.lowercased()
        guard readable.contains(ext) else { throw FileFormatError.unsupportedExtension(url.path, valid: readable) }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw FileFormatError.cannotRead(url.path, reason: exists ? "permission denied or not a file" : "no such file")
        }
        switch ext {
        case "npy": return try NPY.decode(data, path: url.path)
        case "csv": return try CSV.decode(data, path: url.path)
        default:
            let file = try Safetensors(data: data, path: url.path)
            if file.entries.count == 1 { return try file.tensor(file.entries[0].name) }
            guard file.entry("samples") != nil else {
                throw FileFormatError.malformed(url.path, reason: "holds \(file.entries.count) tensors (\(file.entries.map(\.name).joined(separator: ", "))); expected one, or one named 'samples'")
            }
            return try file.tensor("samples")
        }
    }

    /// Writes `tensor` to `url` atomically in the format its extension names.
    public static func write(_ tensor: Tensor, to url: URL, metadata: [String: String] = [:]) throws {
        try AtomicFile.write(try encode(tensor, for: url, metadata: metadata), to: url)
    }

    /// The bytes `write` would put in `url`; throws for an unsupported extension or a tensor
    /// the format cannot draw.
    public static func encode(_ tensor: Tensor, for url: URL, metadata: [String: String] = [:]) throws -> Data {
        switch url.pathExtension.lowercased() {
        case "npy": return NPY.encode(tensor)
        case "csv": return CSV.encode(tensor)
        case "safetensors": return try Safetensors.encode([("samples", tensor)], metadata: metadata)
        case "png":
            if tensor.shape.count == 2, tensor.shape[1] == 2 { return SamplePlot.scatter(tensor).pngData() }
            if tensor.shape.count >= 3 { return SamplePlot.grid(tensor).pngData() }
            throw FileFormatError.cannotWrite(url.path, reason: "a .png shows 2-D points or images; these samples have shape \(tensor.rowShape)")
        default:
            throw FileFormatError.unsupportedExtension(url.path, valid: writable)
        }
    }
}
