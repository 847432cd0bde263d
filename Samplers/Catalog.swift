import ScoreKitCore

extension SamplerCatalog {
    /// Every sampler ScoreKit ships, in the order `scorekit samplers` lists them.
    public static let standard = SamplerCatalog([
        DDPM.self,
        DDIM.self,
        Euler.self,
        Heun.self,
        HeunChurn.self,
        DPMSolverPlusPlus.self,
        RK45.self,
        EulerMaruyama.self,
        ReverseDiffusion.self,
        AncestralSampling.self,
        PredictorCorrector.self,
        AnnealedLangevin.self,
        DLG.self,
    ])
}
