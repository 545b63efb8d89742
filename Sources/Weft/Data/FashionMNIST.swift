/// Zalando's Fashion-MNIST: 60,000 training and 10,000 test grayscale images of 28×28 pixels in
/// 10 classes, 6,000 training and 1,000 test images per class.
///
/// Debian ships it as the package `dataset-fashion-mnist`, installed in `defaultDirectory`.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// The class names, indexed by label, as Zalando publishes them.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
    ]

    /// The training split's pixel mean and standard deviation (pixel/255), as commonly used with
    /// `torchvision.transforms.Normalize((0.2860,), (0.3530,))`.
    public static let normalization = Normalization(mean: 0.2860, standardDeviation: 0.3530)

    /// The dataset in `directory` with the standard file names (packed `.gz` or unpacked).
    public static func dataset(directory: String = defaultDirectory) -> IDXDataset {
        IDXDataset(
            name: "Fashion-MNIST",
            directory: directory,
            trainImages: "train-images-idx3-ubyte.gz",
            trainLabels: "train-labels-idx1-ubyte.gz",
            testImages: "t10k-images-idx3-ubyte.gz",
            testLabels: "t10k-labels-idx1-ubyte.gz",
            classNames: classNames,
            installAdvice:
                "install Debian's dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist) or pass --data-dir with the directory that holds the files"
        )
    }

    /// Loads one split from `directory`.
    ///
    /// - Throws: `WeftError` when the directory or a file is missing or damaged.
    public static func load(_ split: DatasetSplit, directory: String = defaultDirectory) throws -> ImageDataset {
        try dataset(directory: directory).load(split)
    }
}
