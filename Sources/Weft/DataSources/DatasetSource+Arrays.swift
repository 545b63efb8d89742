extension DatasetSource {
    /// The array layouts: `cifar10` and `cifar100` (the binary version's files in `directory`)
    /// and `npz` (`file`, or `train` and `test`), each split fitted to `shape` afterwards.
    func loadArrays() throws -> Loaded {
        var train: ImageDataset, test: ImageDataset?
        let sources: [DatasetSplit: String]
        var warnings: [String] = []
        switch config.dataset {
        case "cifar10", "cifar100":
            let folder = directory ?? "."
            let variant: CIFARBinary.Variant =
                config.dataset == "cifar10" ? .cifar10 : .cifar100(coarse: config.coarseLabels)
            (train, test) = try CIFARBinary.load(directory: folder, variant: variant)
            sources = [.train: folder, .test: folder]
            if let names = config.classNames {
                guard names.count == train.classCount else {
                    throw WeftError(
                        "\(configSource): data.classNames: \(names.count) names for the \(train.classCount) classes of \(folder)'s class-name file; give one name per class or remove classNames"
                    )
                }
                train = try train.renamingClasses(names)
                test = try test?.renamingClasses(names)
            }
        default:
            let file = config.file.map(resolve), trainFile = config.train.map(resolve)
            let testFile = config.test.map(resolve)
            (train, test) = try NPZDataset.load(
                file: file, train: trainFile, test: testFile, classNames: config.classNames)
            sources = [.train: file ?? trainFile ?? "", .test: file ?? testFile ?? ""]
            if test == nil {
                let why = file.map { "\($0) holds no x_test and y_test" } ?? "data.test is not set"
                warnings.append(
                    "warning: \(configSource): \(why), so only the validation split is evaluated; give a test .npz file for a test accuracy"
                )
            }
        }
        var loaded = Loaded(train: train)
        for (split, dataset) in [(DatasetSplit.train, train), (.test, test)] {
            guard let dataset else { continue }
            let (fitted, resized) = try dataset.fitted(to: shape, resize: config.resize, name: configSource)
            let from = "\(dataset.channels)×\(dataset.height)×\(dataset.width)"
            let to = "\(fitted.channels)×\(fitted.height)×\(fitted.width)"
            loaded.notes.append(
                "\(split.rawValue): \(dataset.count) images of \(sources[split] ?? "") at \(from)"
                    + (from == to ? "" : ", fitted to \(to) (\(resized) resized)"))
            if split == .train { loaded.train = fitted } else { loaded.test = fitted }
        }
        loaded.notes += warnings
        return loaded
    }
}

extension ImageDataset {
    /// The same images and labels under other class names (as many as there are classes).
    func renamingClasses(_ names: [String]) throws -> ImageDataset {
        try ImageDataset(
            images: images, labels: labels, channels: channels, height: height, width: width, classNames: names)
    }
}
