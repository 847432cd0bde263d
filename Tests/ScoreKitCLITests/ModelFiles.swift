import Foundation

/// Model files for CLI tests: the shipped checkpoints with their config replaced, and
/// mixture specs.
enum ModelFiles {
    /// The checkpoints shipped in Models/Resources.
    static let shippedNames = ["moons", "swissroll", "checkerboard", "scurve", "circles", "digits", "digits-cond"]

    /// The bytes of shipped checkpoint `name`.
    static func shipped(_ name: String) throws -> Data {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try Data(contentsOf: root.appendingPathComponent("Models/Resources/\(name).safetensors"))
    }

    /// The config text of a checkpoint's `__metadata__`.
    static func config(of file: Data) throws -> String {
        let (header, _) = try split(file)
        let metadata = header["__metadata__"] as! [String: Any]
        return metadata["config"] as! String
    }

    /// The checkpoint with its config text replaced (the tensors and their offsets unchanged).
    static func replacingConfig(_ file: Data, with config: String) throws -> Data {
        var (header, data) = try split(file)
        var metadata = header["__metadata__"] as! [String: Any]
        metadata["config"] = config
        header["__metadata__"] = metadata
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: Array(repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var out = Data((0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * $0)) })
        out.append(json)
        out.append(data)
        return out
    }

    /// The checkpoint with its config (a JSON object) edited.
    static func editingConfig(_ file: Data, _ edit: (inout [String: Any]) -> Void) throws -> Data {
        var object = try JSONSerialization.jsonObject(with: Data(try config(of: file).utf8)) as! [String: Any]
        edit(&object)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        return try replacingConfig(file, with: text)
    }

    private static func split(_ file: Data) throws -> ([String: Any], Data) {
        let bytes = [UInt8](file.prefix(8))
        let length = Int(bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: file.subdata(in: 8..<(8 + length))) as! [String: Any]
        return (header, file.subdata(in: (8 + length)..<file.count))
    }

    /// A two-component 2-D mixture spec with `extra` appended inside the object.
    static func mixture(_ extra: String = "") -> String {
        #"{"kind":"gaussian-mixture","weights":[0.4,0.6],"means":[[-2,0],[2,1]],"stds":[[0.5,0.5],[1,0.7]]\#(extra)}"#
    }
}
