import Foundation

/// Writes files so that a reader never sees half of one: the bytes go to a temporary file in
/// the same folder, which is then renamed into place (atomic on POSIX file systems).
public enum AtomicFile {
    /// Writes `data` to `url` atomically. Fails with a clear message when the folder does not
    /// exist or cannot be written; nothing is left behind on failure.
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = try temporaryURL(for: url)
        guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
            throw FileFormatError.cannotWrite(url.path, reason: "folder \(temporary.deletingLastPathComponent().path) is not writable")
        }
        try moveIntoPlace(temporary, url)
    }

    /// A fresh hidden temporary file name in `url`'s folder (`.NAME.PID.RANDOM.tmp`), for
    /// writing `url` piece by piece before `moveIntoPlace`.
    public static func temporaryURL(for url: URL) throws -> URL {
        let folder = try existingFolder(of: url)
        return folder.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
    }

    /// Renames the finished `temporary` to `url` (atomic on POSIX file systems); on failure
    /// removes `temporary` and throws.
    public static func moveIntoPlace(_ temporary: URL, _ url: URL) throws {
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw FileFormatError.cannotWrite(url.path, reason: reason)
        }
    }

    /// Checks up front that `url` could be written (its folder exists and is writable), so
    /// long work can fail before it starts.
    public static func checkWritable(_ url: URL) throws {
        let folder = try existingFolder(of: url)
        var isDirectory: ObjCBool = false
        guard FileManager.default.isWritableFile(atPath: folder.path) else {
            throw FileFormatError.cannotWrite(url.path, reason: "folder \(folder.path) is not writable")
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw FileFormatError.cannotWrite(url.path, reason: "it is a folder")
        }
    }
}

extension AtomicFile {
    /// The folder `url` would be written into, or an error saying why it cannot be.
    private static func existingFolder(of url: URL) throws -> URL {
        let folder = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            throw FileFormatError.cannotWrite(url.path, reason: "folder \(folder.path) does not exist")
        }
        guard isDirectory.boolValue else {
            throw FileFormatError.cannotWrite(url.path, reason: "\(folder.path) is not a folder")
        }
        return folder
    }
}

/// Errors reading or writing array files.
public enum FileFormatError: Error, Equatable, CustomStringConvertible {
    case cannotRead(String, reason: String)
    case cannotWrite(String, reason: String)
    case malformed(String, reason: String)
    case unsupportedExtension(String, valid: [String])

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .cannotRead(path, _), let .cannotWrite(path, _), let .malformed(path, _), let .unsupportedExtension(path, _): path
        }
    }

    /// The message without the file's name, for callers that name the file themselves.
    public var reason: String {
        switch self {
        case let .cannotRead(_, reason): "cannot be read: \(reason)"
        case let .cannotWrite(_, reason): "cannot be written: \(reason)"
        case let .malformed(_, reason): "is malformed: \(reason)"
        case let .unsupportedExtension(_, valid): "unsupported file type; use one of \(valid.map { "." + $0 }.joined(separator: ", "))"
        }
    }

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): "cannot read \(path): \(reason)"
        case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
        case let .malformed(path, reason): "\(path) is malformed: \(reason)"
        case let .unsupportedExtension(path, valid):
            "\(path): unsupported file type; use one of \(valid.map { "." + $0 }.joined(separator: ", "))"
        }
    }
}
