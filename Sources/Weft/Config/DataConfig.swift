/// Which dataset, where, and how it is split, normalised and augmented.
///
/// The layouts (`dataset`): `fashion-mnist` and `idx` (IDX files in `directory`), `imageFolder`
/// (one subfolder per class under `train` and `test`), `csv` (`path,label` lists), `cifar10` and
/// `cifar100` (the binary version's files in `directory`) and `npz` (NumPy arrays in `file`, or in
/// `train` and `test`). Relative `train`, `test` and `file` paths are taken from `directory` when
/// it is given (or `--data-dir`), else from the working directory.
public struct DataConfig: Equatable, Sendable {
    /// The layouts `dataset` may name.
    public static let datasets = ["fashion-mnist", "idx", "imageFolder", "csv", "cifar10", "cifar100", "npz"]

    /// One of `datasets`.
    public var dataset: String
    /// The folder holding the files; nil means the dataset's default
    /// (`/usr/share/datasets/fashion-mnist` for Fashion-MNIST).
    public var directory: String?
    /// For `idx`: file names, relative to `directory`.
    public var files: IDXFileNames?
    /// For `imageFolder` and `csv` (and `npz` with a file per split): the training split's folder
    /// or file.
    public var train: String?
    /// The test split's folder or file; nil evaluates the validation split only.
    public var test: String?
    /// For `npz`: one file holding `x_train, y_train, x_test, y_test`.
    public var file: String?
    /// For `cifar100`: the 20 superclasses (`"coarse"`) instead of the 100 classes (`"fine"`).
    public var coarseLabels: Bool
    /// How images whose size differs from `model.input` are fitted: `stretch` (resize only) or
    /// `centerCrop` (crop to the target's aspect ratio first).
    public var resize: ResizeMode
    /// Skip (and count) images that cannot be decoded instead of stopping at the first.
    public var skipUnreadable: Bool
    /// Optional class names (Fashion-MNIST's are built in; other layouts discover theirs).
    public var classNames: [String]?
    /// The stratified share of the training split held out for validation, in `[0, 1)`.
    public var validationFraction: Float
    /// Train on at most this many images (a stratified subset), for quick runs.
    public var trainLimit: Int?
    /// Evaluate on at most this many test images.
    public var testLimit: Int?
    /// Pixel mean and std (pixel/255) to normalise with, one value for every channel or one per
    /// channel; nil computes them from the training split.
    public var normalization: Normalization?
    public var augment: AugmentConfig

    /// How an image is fitted to the model's input size.
    public enum ResizeMode: String, CaseIterable, Equatable, Sendable {
        case stretch
        case centerCrop
    }

    public struct IDXFileNames: Equatable, Sendable {
        public var trainImages: String, trainLabels: String, testImages: String, testLabels: String
    }

    /// Random crop with zero padding, horizontal flip, random erasing.
    public struct AugmentConfig: Equatable, Sendable {
        public var randomCropPadding: Int?
        /// `"horizontalFlip": true`: mirror at random.
        public var horizontalFlip: Bool
        /// `"horizontalFlip": "alternate"`: mirror every image on alternate epochs.
        public var alternatingFlip: Bool = false
        public var randomErasingProbability: Float?

        public var isEnabled: Bool {
            randomCropPadding != nil || horizontalFlip || alternatingFlip || randomErasingProbability != nil
        }
    }

    init(_ object: ConfigObject) throws {
        let datasetNode = try object.required(
            "dataset", DataConfig.datasets.map { "\"\($0)\"" }.joined(separator: ", "))
        dataset = try datasetNode.string(oneOf: DataConfig.datasets)
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
        train = try object.optional("train")?.string()
        test = try object.optional("test")?.string()
        file = try object.optional("file")?.string()
        coarseLabels = try object.optional("labels")?.string(oneOf: ["fine", "coarse"]) == "coarse"
        resize =
            ResizeMode(rawValue: try object.optional("resize")?.string(oneOf: ["stretch", "centerCrop"]) ?? "")
            ?? .stretch
        skipUnreadable = try object.optional("skipUnreadable")?.bool() ?? false
        classNames = try object.optional("classNames")?.array(minimumCount: 2, maximumCount: 100_000).map {
            try $0.string()
        }
        validationFraction = try object.optional("validationFraction")?.float(0...1, openAbove: true) ?? 0.1
        trainLimit = try object.optional("trainLimit")?.int(1...1 << 40)
        testLimit = try object.optional("testLimit")?.int(1...1 << 40)
        if let node = object.optional("normalization") {
            let normalization = try node.object()
            let mean = try DataConfig.channelValues(
                try normalization.required("mean", "pixel mean in [0, 1], one or one per channel"), range: 0...1)
            let deviation = try DataConfig.channelValues(
                try normalization.required("std", "pixel std in (0, 1], one or one per channel"), range: 1e-6...1)
            guard mean.count == deviation.count else {
                throw node.error("\(mean.count) means for \(deviation.count) deviations; give as many of each")
            }
            self.normalization = Normalization(mean: mean, standardDeviation: deviation)
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
            if let flip = augmentObject.optional("horizontalFlip") {
                if case .string(let text) = flip.value {
                    guard text == "alternate" else {
                        throw flip.error("must be true, false or \"alternate\", got \"\(text)\"")
                    }
                    augment.alternatingFlip = true
                } else {
                    augment.horizontalFlip = try flip.bool()
                }
            }
            if let erasing = augmentObject.optional("randomErasing") {
                let erasingObject = try erasing.object()
                augment.randomErasingProbability = try erasingObject.required("probability", "in [0, 1]").float(0...1)
                try erasingObject.finish()
            }
            try augmentObject.finish()
        }
        try checkLayoutKeys(object)
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
        if let train { members.append(("train", .string(train))) }
        if let test { members.append(("test", .string(test))) }
        if let file { members.append(("file", .string(file))) }
        if dataset == "cifar100" { members.append(("labels", .string(coarseLabels ? "coarse" : "fine"))) }
        if DataConfig.decodedDatasets.contains(dataset) || resize != .stretch {
            members.append(("resize", .string(resize.rawValue)))
        }
        if skipUnreadable { members.append(("skipUnreadable", .bool(true))) }
        if let classNames { members.append(("classNames", .array(classNames.map { .string($0) }))) }
        members.append(("validationFraction", .float(validationFraction)))
        if let trainLimit { members.append(("trainLimit", .number(Double(trainLimit)))) }
        if let testLimit { members.append(("testLimit", .number(Double(testLimit)))) }
        if let normalization {
            members.append(
                (
                    "normalization",
                    .object([
                        ("mean", DataConfig.channelJSON(normalization.mean)),
                        ("std", DataConfig.channelJSON(normalization.standardDeviation))
                    ])
                ))
        }
        var augmentMembers: [(key: String, value: JSONValue)] = []
        if let padding = augment.randomCropPadding {
            augmentMembers.append(("randomCrop", .object([("padding", .number(Double(padding)))])))
        }
        augmentMembers.append(
            ("horizontalFlip", augment.alternatingFlip ? .string("alternate") : .bool(augment.horizontalFlip)))
        if let probability = augment.randomErasingProbability {
            augmentMembers.append(("randomErasing", .object([("probability", .float(probability))])))
        }
        members.append(("augment", .object(augmentMembers)))
        return .object(members)
    }

    /// The layouts whose images are decoded from image files (and cached).
    static let decodedDatasets: Set<String> = ["imageFolder", "csv"]

    /// Which of `train`, `test`, `file`, `directory`, `labels` each layout takes; a key another
    /// layout takes is an error naming the right layout.
    private func checkLayoutKeys(_ object: ConfigObject) throws {
        func refuse(_ key: String, _ why: String) throws {
            if let node = object.optional(key) { throw node.error(why) }
        }
        switch dataset {
        case "imageFolder", "csv":
            if train == nil {
                throw object.node.error(
                    "missing \"train\" (the training \(dataset == "csv" ? "CSV file" : "folder with a subfolder per class")), needed for the \"\(dataset)\" dataset"
                )
            }
            try refuse("file", "only the \"npz\" dataset takes \"file\"; use \"train\" and \"test\"")
        case "npz":
            if (file == nil) == (train == nil) {
                throw object.node.error(
                    "give either \"file\" (one .npz holding x_train, y_train, x_test, y_test) or \"train\" and \"test\" (.npz files holding x and y) for the \"npz\" dataset"
                )
            }
            if file != nil {
                try refuse(
                    "test", "\"file\" holds the test arrays already; remove \"test\" or use \"train\" and \"test\"")
            }
        default:
            let takes = "\"train\" and \"test\" belong to the imageFolder, csv and npz datasets"
            try refuse("train", takes)
            try refuse("test", takes)
            try refuse("file", "only the \"npz\" dataset takes \"file\"")
        }
        if dataset != "cifar100" {
            try refuse("labels", "only the \"cifar100\" dataset takes \"labels\" (\"fine\" or \"coarse\")")
        }
        if dataset == "fashion-mnist" || dataset == "idx" {
            try refuse(
                "resize",
                "IDX images are used at their own size, so \"resize\" belongs to the image-file, CIFAR and npz datasets; set model.input to the images' shape"
            )
        }
        if dataset != "imageFolder" && dataset != "csv" {
            try refuse("skipUnreadable", "only the \"imageFolder\" and \"csv\" datasets read image files to skip")
        }
    }

    /// A number, or an array of 1 to 4 numbers (one per channel), each in `range`.
    private static func channelValues(_ node: ConfigNode, range: ClosedRange<Double>) throws -> [Float] {
        if case .array = node.value {
            return try node.array(minimumCount: 1, maximumCount: 4).map { try $0.float(range) }
        }
        return [try node.float(range)]
    }

    private static func channelJSON(_ values: [Float]) -> JSONValue {
        values.count == 1 ? .float(values[0]) : .array(values.map { .float($0) })
    }
}
