import ScoreKitCore

/// The σ range a sampler uses where the user gives none: the model's `sigmaRange` where that
/// is a finite range above 0, else EDM's 0.002 … 80 (`NoiseSchedule.defaultRange`). Checkpoints
/// record the range they were trained on; exact mixtures derive one from their scale.
func modelSigmaRange(_ model: any Denoiser) -> ClosedRange<Double> {
    let schedule = NoiseSchedule.ve().resolved(modelRange: model.sigmaRange)
    return schedule.sigmaMin!...schedule.sigmaMax!
}
