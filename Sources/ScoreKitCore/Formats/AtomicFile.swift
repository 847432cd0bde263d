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

    /// A fresh hidden temporary file name in `url`'s folder (`.NAME.HOST.PID.RANDOM.tmp`), for
    /// writing `url` piece by piece before `moveIntoPlace`. Temporaries of `url` that a killed
    /// writer left behind are removed first (see `removeStaleTemporaries(of:)`).
    public static func temporaryURL(for url: URL) throws -> URL {
        let folder = try existingFolder(of: url)
        removeStaleTemporaries(of: url)
        let name = TemporaryName(target: url.lastPathComponent, host: TemporaryName.localHost,
                                 pid: ProcessInfo.processInfo.processIdentifier, token: UInt32.random(in: 0...UInt32.max))
        return folder.appendingPathComponent(name.fileName)
    }

    /// Removes the temporary files of `url` whose writer is gone: those named by this host
    /// with the id of a process that no longer exists (a run killed by SIGKILL, or inside
    /// the rename window, cannot remove its own). Temporaries of live processes, of other
    /// hosts (a shared file system) and of other targets are left alone. Returns the names
    /// removed.
    @discardableResult
    public static func removeStaleTemporaries(of url: URL) -> [String] {
        let folder = url.deletingLastPathComponent()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        let target = url.lastPathComponent, host = TemporaryName.localHost
        return names.filter { name in
            guard let parsed = TemporaryName(parsing: name, target: target), parsed.host == host,
                  !processExists(parsed.pid) else { return false }
            return unlink(folder.appendingPathComponent(name).path) == 0
        }
    }

    /// Whether a process with id `pid` exists (signal 0 probes without sending anything;
    /// EPERM means it exists but belongs to someone else).
    private static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
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
    /// long work can fail before it starts. Also removes temporaries of `url` left by killed
    /// writers, so a free-space check made next sees the space they held.
    public static func checkWritable(_ url: URL) throws {
        let folder = try existingFolder(of: url)
        removeStaleTemporaries(of: url)
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

/// The name of a temporary file: `.TARGET.HOST.PID.TOKEN.tmp`, with the writer's short host
/// name and process id, so a later run can tell a dead writer's leftover from a live one's.
struct TemporaryName: Equatable {
    let target: String, host: String
    let pid: Int32, token: UInt32

    /// This machine's host name up to the first dot, reduced to letters, digits and '-' (at
    /// most 32), or "host" when it has none.
    static let localHost: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "host" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let name = String(decoding: bytes, as: UTF8.self).prefix { $0 != "." }
        let kept = String(name.unicodeScalars.filter { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }.prefix(32))
        return kept.isEmpty ? "host" : kept
    }()

    init(target: String, host: String, pid: Int32, token: UInt32) {
        (self.target, self.host, self.pid, self.token) = (target, host, pid, token)
    }

    /// Parses `name` as a temporary of `target`; nil for any other file.
    init?(parsing name: String, target: String) {
        let prefix = ".\(target).", suffix = ".tmp"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        let parts = name.dropFirst(prefix.count).dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let pid = Int32(parts[1]), pid > 0, let token = UInt32(parts[2]) else { return nil }
        self.init(target: target, host: String(parts[0]), pid: pid, token: token)
    }

    /// The file name.
    var fileName: String { ".\(target).\(host).\(pid).\(token).tmp" }
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
