/// Independent seeds derived from one: the data pipeline draws its validation split, its subset,
/// each epoch's order and each epoch's augmentation from separate generators, so that changing
/// one use never shifts the numbers another sees, and a resumed run can recreate any of them
/// from the run's seed alone.
public enum SeedDerivation {
    /// Purposes with their own stream of seeds.
    public enum Purpose: UInt64, Sendable {
        case validationSplit = 1
        case subset = 2
        case epochOrder = 3
        case augmentation = 4
        case sampleGrid = 5
        case initialization = 6
        case dropout = 7
        case crossValidationFolds = 8
        case searchTrials = 9
        case alternatingFlip = 10
    }

    /// A seed for `purpose` and `index` (an epoch, say), derived from `base` by hashing.
    ///
    /// Distinct `(purpose, index)` pairs give unrelated seeds: the inputs are mixed with the
    /// MurmurHash3/SplitMix64 finaliser rather than added, because `RandomGenerator(seed:)` seeds
    /// from consecutive SplitMix64 steps and seeds one golden-ratio step apart would overlap.
    public static func seed(_ base: UInt64, purpose: Purpose, index: UInt64 = 0) -> UInt64 {
        var value = mix(base ^ 0x5DEE_CE66_D1CE_4E5B)
        value = mix(value ^ (purpose.rawValue &* 0x9E37_79B9_7F4A_7C15))
        return mix(value ^ (index &* 0xD1B5_4A32_D192_ED03))
    }

    /// The seed of rank `replica`'s stream of a data-parallel run (dropout, augmentation), derived
    /// from a seed the ranks share: rank 0 keeps `seed` itself, so a one-rank run draws exactly
    /// the numbers of a run without MPI; other ranks get unrelated streams.
    public static func seed(_ seed: UInt64, replica: Int) -> UInt64 {
        replica == 0 ? seed : mix(mix(seed ^ 0x2545_F491_4F6C_DD1D) ^ (UInt64(replica) &* 0x9E37_79B9_7F4A_7C15))
    }

    private static func mix(_ input: UInt64) -> UInt64 {
        var z = input
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
