import Foundation
import ScoreKitCore

/// Finds the files shipped with ScoreKitModels (the trained checkpoints and the digits data)
/// without ever stopping the process.
///
/// SwiftPM copies them into a resource bundle beside the products it builds
/// (`ScoreKit_ScoreKitModels.resources` on Linux, `ScoreKit_ScoreKitModels.bundle` on Apple
/// platforms). Its generated `Bundle.module` traps when the bundle is not where the build left
/// it, which made a `scorekit` copied elsewhere crash on any model. ScoreKit looks for the
/// bundle itself instead, in this order:
///
/// 1. `$SCOREKIT_RESOURCES`: the bundle itself, or a folder that holds it;
/// 2. the folder of the running executable, symbolic links resolved (`/proc/self/exe` on Linux),
///    and the folder of the path it was started by, as typed;
/// 3. the main bundle (an app's resources) and the folders of the loaded bundles (a test bundle).
///
/// When the bundle is nowhere, the exact models still work and asking for a shipped file
/// throws a `MissingResourceError` that names the bundle and every place looked.
/// SwiftPM's absolute build path is deliberately not searched: a copied binary would then work
/// on the machine that built it and fail on the one it was shipped to.
public struct ModelResources: Sendable {
    /// The resource bundle's file name on this platform.
    #if canImport(Darwin)
    public static let bundleName = "ScoreKit_ScoreKitModels.bundle"
    #else
    public static let bundleName = "ScoreKit_ScoreKitModels.resources"
    #endif
    /// The environment variable naming the bundle or a folder that holds it.
    public static let environmentVariable = "SCOREKIT_RESOURCES"
    /// The folder inside the bundle that holds the files (the package's `Models/Resources`).
    static let subdirectory = "Resources"

    /// The bundle's location, or nil when it was not found.
    public let bundleURL: URL?
    /// The bundle paths looked at, in order (the found one last).
    public let searched: [String]

    /// The resources of this process, located once, on first use.
    public static let current = ModelResources(environment: ProcessInfo.processInfo.environment)

    /// Looks for the bundle in `$SCOREKIT_RESOURCES` (from `environment`), then beside the
    /// executable, then in the main and loaded bundles.
    public init(environment: [String: String]) {
        self.init(candidates: Self.candidateBundles(environment: environment))
    }

    /// Takes the first of `candidates` (bundle paths) that is a folder.
    init(candidates: [URL]) {
        var searched: [String] = []
        var found: URL?
        for url in candidates where !searched.contains(url.path) {
            searched.append(url.path)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
                found = url
                break
            }
        }
        bundleURL = found
        self.searched = searched
    }

    /// The shipped file `name.ext`, or a `MissingResourceError` naming what is missing and where
    /// ScoreKit looked.
    public func url(forResource name: String, withExtension ext: String) throws -> URL {
        let file = "\(name).\(ext)"
        guard let bundleURL else { throw MissingResourceError(file: file, bundle: Self.bundleName, searched: searched) }
        let candidates = [bundleURL.appendingPathComponent(Self.subdirectory).appendingPathComponent(file),
                          // Apple bundles built by SwiftPM keep their files under Contents/Resources.
                          bundleURL.appendingPathComponent("Contents/Resources/\(Self.subdirectory)/\(file)")]
        if let url = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0.path) }) { return url }
        throw MissingResourceError(file: file, bundle: Self.bundleName, searched: [bundleURL.path], bundleFound: true)
    }

    /// The bundle paths to try, in order.
    static func candidateBundles(environment: [String: String]) -> [URL] {
        var bundles: [URL] = []
        if let value = environment[environmentVariable], !value.isEmpty {
            let url = URL(fileURLWithPath: value)
            bundles.append(url.lastPathComponent == bundleName ? url : url.appendingPathComponent(bundleName))
        }
        var folders = executableFolders()
        folders.append(Bundle.main.bundleURL)
        if let resources = Bundle.main.resourceURL { folders.append(resources) }
        folders += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        bundles += folders.map { $0.appendingPathComponent(bundleName) }
        return bundles
    }

    /// The folder of the running executable with links resolved, and the folder of the path it
    /// was started by (which differs when it was started through a symbolic link).
    static func executableFolders() -> [URL] {
        var executables: [URL] = []
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            executables.append(URL(fileURLWithPath: path))
        }
        #endif
        if let url = Bundle.main.executableURL { executables.append(url.resolvingSymlinksInPath()) }
        if let first = CommandLine.arguments.first, first.contains("/") {
            let typed = URL(fileURLWithPath: first)
            executables += [typed.resolvingSymlinksInPath(), typed]
        }
        return executables.map { $0.deletingLastPathComponent() }
    }
}

/// A file shipped with ScoreKitModels could not be found: its resource bundle is not beside the
/// executable (or not where `SCOREKIT_RESOURCES` points), or the bundle lacks the file.
public struct MissingResourceError: Error, Equatable, CustomStringConvertible {
    /// The file wanted (`digits.safetensors`).
    public let file: String
    /// The resource bundle it ships in.
    public let bundle: String
    /// The bundle paths looked at.
    public let searched: [String]
    /// Whether the bundle was found (and lacked the file).
    public let bundleFound: Bool

    /// The error for `file`, missing from `bundle` (found or not), after looking in `searched`.
    public init(file: String, bundle: String, searched: [String], bundleFound: Bool = false) {
        self.file = file
        self.bundle = bundle
        self.searched = searched
        self.bundleFound = bundleFound
    }

    /// One line: what is missing, where ScoreKit looked, and how to point it at the bundle.
    public var description: String {
        if bundleFound {
            return "\(file) is missing from the resource bundle \(searched.joined(separator: ", ")); the bundle is incomplete"
        }
        return "\(file) ships in the resource bundle \(bundle), which was not found (looked for "
            + "\(searched.joined(separator: ", "))); copy it beside the executable or set "
            + "\(ModelResources.environmentVariable) to the folder holding it"
    }
}
