import ScoreKitCore

extension SamplerCatalog {
    /// Every sampler ScoreKit ships, in the order `scorekit samplers` lists them. Registering
    /// a sampler means adding its type here; a type with several presets (`EDMSampler`:
    /// euler, heun, heun-churn) lists them all.
    public static let standard = SamplerCatalog([
        DDPM.self,
        DDIM.self,
        EDMSampler.self,
        DPMSolverPlusPlus.self,
        UniPC.self,
        DEIS.self,
        IPNDM.self,
        AncestralSampler.self,
        RK45.self,
        DPMAdaptive.self,
        Restart.self,
        ReverseSDESampler.self,
        AnnealedLangevin.self,
        DLG.self,
    ])
}
