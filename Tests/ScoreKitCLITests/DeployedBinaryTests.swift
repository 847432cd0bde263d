import Foundation
import ScoreKit
import Testing

/// `scorekit` copied out of the build folder, as docs/deploy.md ships it: with its resource
/// bundle every model works; without it the exact models still work and a shipped checkpoint
/// fails with one line naming the bundle — never a trap.
@Suite("A copied scorekit binary")
struct DeployedBinaryTests {
    /// The resource bundle the build put beside the binary.
    static var builtBundle: URL {
        CLI.binary.deletingLastPathComponent().appendingPathComponent(ModelResources.bundleName)
    }

    /// A fresh folder holding a copy of the binary (and, if asked, of the bundle).
    static func install(withBundle: Bool) throws -> URL {
        let folder = try CLI.temporaryFolder()
        try FileManager.default.copyItem(at: CLI.binary, to: folder.appendingPathComponent("scorekit"))
        if withBundle {
            try FileManager.default.copyItem(at: builtBundle, to: folder.appendingPathComponent(ModelResources.bundleName))
        }
        return folder
    }

    /// Runs `executable arguments…` in `folder` with `SCOREKIT_RESOURCES` set to `resources`
    /// (or removed from the environment).
    static func run(_ executable: URL, _ arguments: [String], in folder: URL, resources: String? = nil) throws -> CLI.Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment[ModelResources.environmentVariable] = resources
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self), stdoutData: outData)
    }

    static let exact = ["sample", "--model", "gmm2d", "--sampler", "ddim", "--nfe", "5", "--count", "8", "--out", "g.npy"]
    static let shipped = ["sample", "--model", "digits", "--sampler", "ddim", "--nfe", "2", "--count", "2", "--out", "d.npy"]

    @Test("Without the bundle: gmm2d samples, digits fails with one line naming the bundle and where it looked")
    func withoutBundle() throws {
        let folder = try Self.install(withBundle: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = folder.appendingPathComponent("scorekit")

        let exact = try Self.run(binary, Self.exact, in: folder)
        #expect(exact.status == 0, "\(exact.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("g.npy").path))

        let shipped = try Self.run(binary, Self.shipped, in: folder)
        #expect(shipped.status == 1)
        let lines = shipped.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(shipped.stderr)")
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("Error: digits.safetensors"))
        #expect(line.contains(ModelResources.bundleName))
        #expect(line.contains(folder.appendingPathComponent(ModelResources.bundleName).path), "names where it looked")
        #expect(!shipped.stderr.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("d.npy").path))

        // `scorekit models` still lists the shipped models, saying why they are unavailable.
        let models = try Self.run(binary, ["models"], in: folder)
        #expect(models.status == 0)
        #expect(models.stdout.contains("gmm2d") && models.stdout.contains("unavailable: \(ModelResources.bundleName) not found"))
    }

    @Test("With the bundle beside it, or named by SCOREKIT_RESOURCES, or through a symbolic link: digits samples")
    func withBundle() throws {
        let folder = try Self.install(withBundle: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = folder.appendingPathComponent("scorekit")
        let beside = try Self.run(binary, Self.shipped, in: folder)
        #expect(beside.status == 0, "\(beside.stderr)")

        // A link from another folder (as in /usr/local/bin): the bundle is found beside the target.
        let bin = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: bin) }
        let link = bin.appendingPathComponent("scorekit")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: binary)
        let linked = try Self.run(link, Self.shipped, in: bin)
        #expect(linked.status == 0, "\(linked.stderr)")

        // A binary alone, pointed at the bundle's folder by the environment.
        let alone = try Self.install(withBundle: false)
        defer { try? FileManager.default.removeItem(at: alone) }
        let named = try Self.run(alone.appendingPathComponent("scorekit"), Self.shipped, in: alone, resources: folder.path)
        #expect(named.status == 0, "\(named.stderr)")
    }
}
