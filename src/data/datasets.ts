/**
 * The datasets `nn train NAME` knows: three 28×28 greyscale, 10-class IDX datasets published as the same
 * four gzipped files. Each entry says where the files come from, how each is verified (the checksums
 * their publishers give, cited below), the environment variables that point at a local copy, and what the
 * ten classes are called.
 *
 *   mnist          LeCun, Cortes & Burges. SHA-256 of the decompressed files, as this project has always
 *                  checked them; mirrors: Google's CVDF bucket, then PyTorch's ossci-datasets bucket.
 *   fashion-mnist  Xiao, Rasul & Vollgraf (Zalando Research), https://github.com/zalandoresearch/fashion-mnist:
 *                  the MD5 of each .gz is in the README's "Get the data" table (also torchvision's
 *                  FashionMNIST.resources). Mirrors: the project's S3 website, then the same files in the
 *                  GitHub repository (data/fashion/).
 *   kmnist         Clanuwat et al. (ROIS-DS CODH), https://github.com/rois-codh/kmnist: the MD5 of each .gz as
 *                  in torchvision's KMNIST.resources. The files are published only by CODH, so the fallback is
 *                  the same host over plain HTTP (an HTTPS failure, e.g. an intercepting proxy, still
 *                  downloads; the MD5 guards the content either way).
 */
import type { FileCheck } from './download';

export interface DatasetFile {
  /** The name without .gz (a local copy may be gzipped or raw). */
  readonly name: string;
  readonly check: FileCheck;
}

export interface IdxDatasetFiles {
  readonly trainImages: DatasetFile;
  readonly trainLabels: DatasetFile;
  readonly testImages: DatasetFile;
  readonly testLabels: DatasetFile;
}

export type IdxFileKey = keyof IdxDatasetFiles;
export const IDX_FILE_KEYS: readonly IdxFileKey[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

export interface IdxDatasetSpec {
  /** The name on the command line and of the cache directory. */
  readonly name: string;
  /** The name in messages: "Fashion-MNIST". */
  readonly title: string;
  readonly description: string;
  readonly files: IdxDatasetFiles;
  /** Base URLs serving `<base>/<name>.gz`, tried in order. */
  readonly mirrors: readonly string[];
  /** The environment variable naming a directory that holds the files. */
  readonly dirEnv: string;
  /** The environment variable overriding the mirror list (base URLs separated by commas or spaces). */
  readonly mirrorsEnv: string;
  /** Class index → name. */
  readonly classNames: readonly string[];
  /** What a label is called in messages ("digit", "class"). */
  readonly labelNoun: string;
  readonly trainCount: number;
  readonly testCount: number;
  readonly rows: number;
  readonly cols: number;
  /** Where the checksums are published. */
  readonly checksumSource: string;
}

const STANDARD_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The four standard file names, each with the digest of `algorithm` over `of`. */
function standardFiles(algorithm: FileCheck['algorithm'], of: FileCheck['of'], digests: Record<IdxFileKey, string>): IdxDatasetFiles {
  const entry = (key: IdxFileKey): DatasetFile => ({ name: STANDARD_NAMES[key], check: { algorithm, of, digest: digests[key] } });
  return { trainImages: entry('trainImages'), trainLabels: entry('trainLabels'), testImages: entry('testImages'), testLabels: entry('testLabels') };
}

export const MNIST: IdxDatasetSpec = {
  name: 'mnist',
  title: 'MNIST',
  description: 'handwritten digits 0–9 (LeCun, Cortes & Burges)',
  files: standardFiles('sha256', 'content', {
    trainImages: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
    trainLabels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
    testImages: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
    testLabels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
  }),
  mirrors: ['https://storage.googleapis.com/cvdf-datasets/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'],
  dirEnv: 'NN_DATA_DIR',
  mirrorsEnv: 'NN_MNIST_MIRRORS',
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  labelNoun: 'digit',
  trainCount: 60000,
  testCount: 10000,
  rows: 28,
  cols: 28,
  checksumSource: 'SHA-256 of the decompressed files as distributed by LeCun et al.',
};

export const FASHION_MNIST: IdxDatasetSpec = {
  name: 'fashion-mnist',
  title: 'Fashion-MNIST',
  description: 'Zalando article images in 10 classes (Xiao, Rasul & Vollgraf)',
  files: standardFiles('md5', 'download', {
    trainImages: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    trainLabels: '25c81989df183df01b3e8a0aad5dffbe',
    testImages: 'bef4ecab320f06d8554ea6380940ec79',
    testLabels: 'bb300cfdad3c16e7a12a480ee83cd310',
  }),
  mirrors: [
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
  ],
  dirEnv: 'NN_FASHION_MNIST_DIR',
  mirrorsEnv: 'NN_FASHION_MNIST_MIRRORS',
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  labelNoun: 'class',
  trainCount: 60000,
  testCount: 10000,
  rows: 28,
  cols: 28,
  checksumSource: 'MD5 of the .gz files, github.com/zalandoresearch/fashion-mnist README',
};

export const KMNIST: IdxDatasetSpec = {
  name: 'kmnist',
  title: 'KMNIST',
  description: 'Kuzushiji-MNIST: 10 cursive Japanese hiragana (Clanuwat et al., ROIS-DS CODH)',
  files: standardFiles('md5', 'download', {
    trainImages: 'bdb82020997e1d708af4cf47b453dcf7',
    trainLabels: 'e144d726b3acfaa3e44228e80efcd344',
    testImages: '5c965bf0a639b31b8f53240b1b52f4d7',
    testLabels: '7320c461ea6c1c855c0b718fb2a4b134',
  }),
  mirrors: ['https://codh.rois.ac.jp/kmnist/dataset/kmnist/', 'http://codh.rois.ac.jp/kmnist/dataset/kmnist/'],
  dirEnv: 'NN_KMNIST_DIR',
  mirrorsEnv: 'NN_KMNIST_MIRRORS',
  classNames: ['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo'],
  labelNoun: 'class',
  trainCount: 60000,
  testCount: 10000,
  rows: 28,
  cols: 28,
  checksumSource: 'MD5 of the .gz files as in torchvision\'s KMNIST (github.com/rois-codh/kmnist)',
};

export const DATASETS: readonly IdxDatasetSpec[] = [MNIST, FASHION_MNIST, KMNIST];
export const DATASET_NAMES: readonly string[] = DATASETS.map((d) => d.name);

/** The catalogue entry of a name, or undefined. */
export function findDataset(name: string): IdxDatasetSpec | undefined {
  return DATASETS.find((d) => d.name === name);
}
