/// Which dataset, where, and how it is split, normalised and augmented.
public struct DataConfig: Equatable, Sendable {
    /// `fashion-mnist` (the standard file names) or `idx` (file names in `files`).
    public var dataset: String
    /// The folder holding the files; nil means the dataset's default
    /// (`/usr/share/datasets/fashion-mnist` for Fashion-MNIST).
    public var directory: String?
    /// For `idx`: file names, relative to `directory`.
    public var files: IDXFileNames?
    /// Optional class names (Fashion-MNIST's are built in).
    public var classNames: [String]?
    /// The stratified share of the training split held out for validation, in `[0, 1)`.
    public var validationFraction: Float
    /// Train on at most this many images (a stratified subset), for quick runs.
    public var trainLimit: Int?
    /// Evaluate on at most this many test images.
    public var testLimit: Int?
    /// Pixel mean and std (pixel/255) to normalise with, one value for every channel; nil computes
    /// them from the training split.
    public var normalization: Normalization?
    public var augment: AugmentConfig

    public struct IDXFileNames: Equatable, Sendable {
        public var trainImages: String, trainLabels: String, testImages: String, testLabels: String
    }

    /// Random crop with zero padding, horizontal flip, random erasing.
    public struct AugmentConfig: Equatable, Sendable {
        public var randomCropPadding: Int?
        public var horizontalFlip: Bool
        public var randomErasingProbability: Float?

        public var isEnabled: Bool { randomCropPadding != nil || horizontalFlip || randomErasingProbability != nil }
    }

    init(_ object: ConfigObject) throws {
        let datasetNode = try object.required("dataset", "\"fashion-mnist\" or \"idx\"")
        dataset = try datasetNode.string(oneOf: ["fashion-mnist", "idx"])
        directory = try object.optional("directory")?.string()
        if let filesNode = object.optional("files") {
            let files = try filesNode.object()
            self.files = IDXFileNames(
                trainImages: try files.required("trainImages", "the training images' IDX file").string(),
                trainLabels: try files.required("trainLabels", "the training labels' IDX file").string(),
                testImages: try files.required("testImages", "the test images' IDX file").string(),
                testLabels: try files.required("testLabels", "the test labels' IDX file").string())
            try files.finish()
        } else if dataset == "idx" {
            throw object.node.error(
                "missing \"files\" (trainImages, trainLabels, testImages, testLabels), needed for the \"idx\" dataset")
        }
        classNames = try object.optional("classNames")?.array(minimumCount: 2, maximumCount: 100_000).map {
            try $0.string()
        }
        validationFraction = try object.optional("validationFraction")?.float(0...1, openAbove: true) ?? 0.1
        trainLimit = try object.optional("trainLimit")?.int(1...1 << 40)
        testLimit = try object.optional("testLimit")?.int(1...1 << 40)
        if let node = object.optional("normalization") {
            let normalization = try node.object()
            self.normalization = Normalization(
                mean: try normalization.required("mean", "pixel mean in [0, 1]").float(0...1),
                standardDeviation: try normalization.required("std", "pixel std in (0, 1]").float(1e-6...1))
            try normalization.finish()
        }
        augment = AugmentConfig(randomCropPadding: nil, horizontalFlip: false, randomErasingProbability: nil)
        if let node = object.optional("augment") {
            let augmentObject = try node.object()
            if let crop = augmentObject.optional("randomCrop") {
                let cropObject = try crop.object()
                augment.randomCropPadding = try cropObject.required("padding", "zero padding in pixels").int(1...64)
                try cropObject.finish()
            }
            augment.horizontalFlip = try augmentObject.optional("horizontalFlip")?.bool() ?? false
            if let erasing = augmentObject.optional("randomErasing") {
                let erasingObject = try erasing.object()
                augment.randomErasingProbability = try erasingObject.required("probability", "in [0, 1]").float(0...1)
                try erasingObject.finish()
            }
            try augmentObject.finish()
        }
        try object.finish()
    }

    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [("dataset", .string(dataset))]
        if let directory { members.append(("directory", .string(directory))) }
        if let files {
            members.append(
                (
                    "files",
                    .object([
                        ("trainImages", .string(files.trainImages)), ("trainLabels", .string(files.trainLabels)),
                        ("testImages", .string(files.testImages)), ("testLabels", .string(files.testLabels))
                    ])
                ))
        }
        if let classNames { members.append(("classNames", .array(classNames.map { .string($0) }))) }
        members.append(("validationFraction", .float(validationFraction)))
        if let trainLimit { members.append(("trainLimit", .number(Double(trainLimit)))) }
        if let testLimit { members.append(("testLimit", .number(Double(testLimit)))) }
        if let normalization {
            members.append(
                (
                    "normalization",
                    .object([
                        ("mean", .float(normalization.mean[0])),
                        ("std", .float(normalization.standardDeviation[0]))
                    ])
                ))
        }
        var augmentMembers: [(key: String, value: JSONValue)] = []
        if let padding = augment.randomCropPadding {
            augmentMembers.append(("randomCrop", .object([("padding", .number(Double(padding)))])))
        }
        augmentMembers.append(("horizontalFlip", .bool(augment.horizontalFlip)))
        if let probability = augment.randomErasingProbability {
            augmentMembers.append(("randomErasing", .object([("probability", .float(probability))])))
        }
        members.append(("augment", .object(augmentMembers)))
        return .object(members)
    }
}
