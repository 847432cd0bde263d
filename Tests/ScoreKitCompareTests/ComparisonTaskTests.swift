import Foundation
import Testing
import ScoreKit
@testable import ScoreKitCompare

/// The comparison's tasks: class-conditional generation (labels cycled, guidance) and inpainting.
@Suite("compare: class-conditional generation and the inpainting task")
struct ComparisonTaskTests {
    private func plan(_ model: String, _ out: URL, samplers: [String] = ["ddim"], count: Int = 40) -> ComparisonPlan {
        ComparisonPlan(model: model, samplers: samplers, budgets: [10], count: count, seed: 1, output: out,
                       referenceSolver: nil, trajectoryFrames: 0)
    }

    @Test("Inpainting keeps the known upper half to the bit and reports agreement with the originals")
    func inpaintingTask() throws {
        let out = CompareTestSupport.scratch()
        defer { try? FileManager.default.removeItem(at: out) }
        var p = plan("digits", out, samplers: ["ddim", "heun"])
        p.task = .inpaint
        let results = try Comparison(plan: p).run()
        #expect(results.metrics.map(\.name).prefix(2) == ["inpaint_agreement", "known_error"])
        let floor = try #require(results.metrics.first { $0.name == "inpaint_agreement" }?.noiseFloor)
        #expect(floor > 0.9)                                     // the classifier on the originals themselves
        for cell in results.cells {
            #expect(cell.status == .ok)
            #expect(cell.metrics["known_error"] == 0)
            #expect((cell.metrics["inpaint_agreement"] ?? 0) > 0.2)   // 40 samples; 10 % by chance, 0.3–0.5 measured
        }
        // --guidance on the inpainting task is reconstruction guidance: its own cells.
        p.samplers = ["ddim"]
        p.guidance = 8
        let guided = try Comparison(plan: p).run()
        #expect(guided.cells.first?.status == .ok && guided.cells.first?.metrics["known_error"] == 0)
        #expect(guided.cells.first?.key != results.cells.first?.key)
        #expect(guided.command.contains("--guidance 8.0"))
    }

    @Test("A class-conditional model samples one class per sample and is measured class by class")
    func conditionalTask() throws {
        let out = CompareTestSupport.scratch()
        defer { try? FileManager.default.removeItem(at: out) }
        let conditional = try Comparison(plan: plan("digits-cond", out)).run()
        let names = conditional.metrics.map(\.name)
        #expect(names.contains("label_agreement") && names.contains("fd_digits_class"))
        let agreement = try #require(conditional.cells.first?.metrics["label_agreement"])
        #expect(agreement >= 0.8)
        // The unconditional run of the same model shares the folder but not the cells.
        var p = plan("digits-cond", out)
        p.unconditional = true
        let unconditional = try Comparison(plan: p).run()
        #expect(!unconditional.metrics.map(\.name).contains("label_agreement"))
        #expect(unconditional.cells.first?.key != conditional.cells.first?.key)
        // Guidance is a third set of cells.
        p.unconditional = false
        p.guidance = 2
        let guided = try Comparison(plan: p).run()
        #expect(guided.cells.first?.key != conditional.cells.first?.key)
        #expect(guided.command.contains("--guidance 2.0"))
    }

    @Test("Guidance and inpainting are refused, before any work, where they do not apply")
    func refusals() throws {
        let out = CompareTestSupport.scratch()
        var p = plan("gmm2d", out)
        p.guidance = 1
        #expect { try Comparison(plan: p) } throws: { error in
            String(describing: error).hasPrefix("--guidance 1.0: gmm2d is not a class-conditional model")
        }
        p.guidance = nil
        p.task = .inpaint
        #expect { try Comparison(plan: p) } throws: { error in
            String(describing: error).hasPrefix("--task inpaint is not available for gmm2d")
        }
        var q = plan("digits-cond", out)
        q.guidance = -1
        #expect { try Comparison(plan: q) } throws: { error in String(describing: error).contains("finite number ≥ 0") }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("The inpainting mask knows the top half of every channel")
    func mask() {
        let m = TaskSetup.upperHalfKnown([2, 4, 3])
        #expect(m.shape == [1, 2, 4, 3])
        #expect(m.scalars == Array(repeating: [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0] as [Float], count: 2).flatMap { $0 })
    }
}
