import Foundation
import Testing
@testable import ScoreKitModels

/// Where the shipped files are looked for, and what a missing bundle or file says.
@Suite("Model resources")
struct ModelResourcesTests {
    /// A fresh folder, removed by the caller.
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scorekit-resources-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A bundle folder holding `Resources/<files>` inside `folder`.
    static func makeBundle(in folder: URL, files: [String]) throws -> URL {
        let bundle = folder.appendingPathComponent(ModelResources.bundleName)
        let resources = bundle.appendingPathComponent("Resources")
        try FileManager.default.createDirectory(at: resources, withIntermediateDirectories: true)
        for file in files { try Data("x".utf8).write(to: resources.appendingPathComponent(file)) }
        return bundle
    }

    @Test("SCOREKIT_RESOURCES is looked at first, as a folder holding the bundle or as the bundle itself")
    func environmentFirst() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundle = try Self.makeBundle(in: folder, files: ["digits.csv"])
        for value in [folder.path, bundle.path] {
            let resources = ModelResources(environment: [ModelResources.environmentVariable: value])
            #expect(resources.bundleURL?.path == bundle.path)
            #expect(resources.searched == [bundle.path])
            #expect(try resources.url(forResource: "digits", withExtension: "csv").lastPathComponent == "digits.csv")
        }
    }

    @Test("Without the bundle anywhere, the error names the file, the bundle and every place looked")
    func missingBundle() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let candidates = [folder.appendingPathComponent("a/\(ModelResources.bundleName)"),
                          folder.appendingPathComponent("b/\(ModelResources.bundleName)")]
        let resources = ModelResources(candidates: candidates + [candidates[0]])
        #expect(resources.bundleURL == nil)
        #expect(resources.searched == candidates.map(\.path), "each place once, in order")
        let error = #expect(throws: MissingResourceError.self) {
            try resources.url(forResource: "digits", withExtension: "safetensors")
        }
        let message = error?.description ?? ""
        #expect(error?.bundleFound == false)
        #expect(message.hasPrefix("digits.safetensors ships in the resource bundle \(ModelResources.bundleName)"))
        #expect(candidates.allSatisfy { message.contains($0.path) })
        #expect(message.contains(ModelResources.environmentVariable))
        #expect(!message.contains("\n"))
    }

    @Test("The first existing candidate wins; a file missing from it is an incomplete bundle")
    func firstFoundAndIncomplete() throws {
        let folder = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try Self.makeBundle(in: folder.appendingPathComponent("first"), files: ["moons.safetensors"])
        let second = try Self.makeBundle(in: folder.appendingPathComponent("second"), files: ["digits.csv"])
        let resources = ModelResources(candidates: [folder.appendingPathComponent("none"), first, second])
        #expect(resources.bundleURL?.path == first.path)
        #expect(try resources.url(forResource: "moons", withExtension: "safetensors").path.hasPrefix(first.path))
        let error = #expect(throws: MissingResourceError.self) { try resources.url(forResource: "digits", withExtension: "csv") }
        #expect(error?.bundleFound == true)
        #expect(error?.description.contains("missing from the resource bundle \(first.path)") == true)
    }

    @Test("The test runner finds the bundle the build put beside it, so the shipped models load")
    func builtBundleIsFound() throws {
        #expect(ModelResources.current.bundleURL != nil, "looked in \(ModelResources.current.searched)")
        #expect(BuiltinModels.trainedNames.allSatisfy { name in
            BuiltinModels.entry(name).map { !$0.summary.hasPrefix("unavailable") } ?? false
        })
    }
}
