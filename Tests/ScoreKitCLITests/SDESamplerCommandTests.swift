import Foundation
import ScoreKit
@testable import scorekit
import Testing

/// `scorekit sample` with the Langevin and reverse-SDE samplers: `--nfe` fits their steps and
/// the written file records the spec that ran, defaults filled in.
@Suite("scorekit sample with Langevin and score-SDE samplers")
struct SDESamplerCommandTests {
    // Langevin's unset σ's and ε follow NCSNv2's rules for gmm2d (σ_1 its data diameter, σ_L a
    // tenth of its std, ε Technique 4's); VP shows no VE σ range.
    @Test("--nfe fits the steps and the output records the full spec", arguments: [
        ("langevin:levels=2,denoise=true", 9,
         "langevin:sigma_max=18.52549754420499,sigma_min=0.1,levels=2,steps=4,eps=0.01651713662870275,convention=paper,init=uniform,denoise=true"),
        ("pc:sde=vp,correctors=2", 31, "pc:sde=vp,steps=10,eps=0.001,beta_min=0.1,beta_max=20,predictor=reverse-diffusion,correctors=2,corrector=ald,snr=0.16"),
    ])
    func fitsAndRecords(spec: String, nfe: Int, ran: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scorekit-sde-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.safetensors")
        let command = try SampleCommand.parse(["--model", "gmm2d", "--sampler", spec, "--nfe", String(nfe),
                                               "--count", "6", "--out", out.path])
        try command.run()
        let file = try Safetensors(data: Data(contentsOf: out))
        #expect(file.metadata["sampler"] == ran)
        #expect(try ArrayFile.read(out).shape == [6, 2])
    }

    @Test("every new sampler is listed by name")
    func listed() {
        for name in ["langevin", "euler-maruyama", "reverse-diffusion", "ancestral", "pc"] {
            #expect(SamplerCatalog.standard.names.contains(name))
        }
    }
}
