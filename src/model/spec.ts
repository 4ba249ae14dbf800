/**
 * The YAML-facing schema of the `model` section (a CNN) and of the compile settings
 * (optimizer, loss, metrics), plus a shape check of a CNN spec against an input shape.
 *
 * Keys are camelCase in YAML, exactly as here (`kernelSize`, `batchNorm`), so a zod issue path
 * is the YAML path below `model`. Every object is `.strict()`: unknown keys are rejected.
 * Sizes accept `3` or `[3, 5]` ([height, width]); the parsed (resolved) spec always holds pairs.
 * Every union of names comes from one `as const` list below, so schema, types and messages
 * cannot drift.
 *
 * Input layout: `[height, width, channels]` = `[nMels, nFrames, 1]` from preprocessing, so the
 * height is the frequency axis and the width the time axis.
 *
 * The seed network in YAML (test/model/spec.test.ts parses this text):
 *
 *   model:
 *     type: cnn
 *     blocks:
 *       - { type: conv2d, filters: 32, kernelSize: 3, activation: relu, pool: { type: max, size: 2 }, batchNorm: true }
 *       - { type: conv2d, filters: 32, kernelSize: 3, activation: relu, pool: { type: max, size: 2 }, batchNorm: true }
 *       - { type: conv2d, filters: 32, kernelSize: 3, activation: relu, pool: { type: max, size: 2 }, batchNorm: true }
 *     dense:
 *       - { units: 64, activation: relu, dropout: 0.3 }
 *   training:
 *     optimizer: { type: rmsprop, learningRate: 0.001 }
 *     loss: sparseCategoricalCrossentropy
 *     metrics: [accuracy]
 */
import { z } from 'zod';
import type * as tf from '@tensorflow/tfjs';
import { ModelSpecError } from '../errors';

type ActivationIdentifier = NonNullable<Parameters<typeof tf.layers.conv2d>[0]['activation']>;

/** Model architectures known to the schema; each has a factory in `defaultModelRegistry()`. */
export const MODEL_TYPES = ['cnn'] as const;
/** Feature-extraction block types of a CNN. */
export const BLOCK_TYPES = ['conv2d'] as const;
/** Hidden-layer activations tfjs 4.22 implements (softmax is reserved for the output layer). */
export const ACTIVATIONS = [
  'relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'hardSigmoid',
  'softplus', 'softsign', 'linear', 'swish', 'mish', 'gelu',
] as const satisfies readonly ActivationIdentifier[];
export const PADDINGS = ['same', 'valid'] as const;
export const POOL_TYPES = ['max', 'avg'] as const;
/** Global pooling after the last block (instead of flatten). */
export const GLOBAL_POOLS = ['avg', 'max'] as const;
/**
 * Where batch normalisation sits in a block:
 * `afterPool` Conv(act) -> Pool -> BN (the seed network);
 * `afterActivation` Conv(act) -> BN -> Pool;
 * `beforeActivation` Conv(linear) -> BN -> Activation -> Pool.
 */
export const BATCH_NORM_POSITIONS = ['afterPool', 'afterActivation', 'beforeActivation'] as const;
/** Optimizers tfjs 4.22 has (no AdamW). */
export const OPTIMIZER_TYPES = ['adam', 'adamax', 'rmsprop', 'sgd', 'adagrad', 'adadelta'] as const;
/**
 * `sparseCategoricalCrossentropy`: labels are class indices (shape [batch] or [batch, 1]);
 * `categoricalCrossentropy`: labels are one-hot rows (shape [batch, nClasses]).
 */
export const LOSSES = ['sparseCategoricalCrossentropy', 'categoricalCrossentropy'] as const;
export const METRICS = ['accuracy', 'crossentropy'] as const;

const positiveInt = z.number().int().min(1);
/** `3` or `[3, 5]` ([height, width]), resolved to a pair. */
const pair = z
  .union([positiveInt, z.tuple([positiveInt, positiveInt])], {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union' ? { message: 'expected an integer >= 1 or [height, width]' } : { message: ctx.defaultError },
  })
  .transform((v): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]));
/** A dropout rate in [0, 1); 0 means no dropout layer. */
const dropoutRate = z.number().min(0).lt(1, { message: 'dropout must be in [0, 1) (1 would drop every unit)' });

export const PoolSchema = z
  .object({
    /** `max` or `avg`. */
    type: z.enum(POOL_TYPES),
    /** Window, int or [height, width]. */
    size: pair,
    /** Step, int or [height, width]. Default: the size. */
    strides: pair.optional(),
    /** `valid` floors (as PyTorch), `same` rounds up. Default `valid`. */
    padding: z.enum(PADDINGS).default('valid'),
  })
  .strict()
  .transform((p) => ({ ...p, strides: p.strides ?? p.size }));

export const ConvBlockSchema = z
  .object({
    /** Block type; the only one so far is `conv2d`. */
    type: z.literal(BLOCK_TYPES[0]),
    /** Output channels. */
    filters: positiveInt,
    /** Kernel, int or [height, width]. */
    kernelSize: pair,
    /** Step, int or [height, width]. Default 1. */
    strides: pair.default(1),
    /** Default `same` (output size = ceil(input / stride)). */
    padding: z.enum(PADDINGS).default('same'),
    /** Default `relu`. */
    activation: z.enum(ACTIVATIONS).default('relu'),
    /** Pooling after the convolution, or null for none. Default null. */
    pool: PoolSchema.nullable().default(null),
    /** Batch normalisation (Keras defaults: momentum 0.99, epsilon 1e-3). Default false. */
    batchNorm: z.boolean().default(false),
    /** Where the batch norm goes, see BATCH_NORM_POSITIONS. Default `afterPool` (the seed network). */
    batchNormPosition: z.enum(BATCH_NORM_POSITIONS).default('afterPool'),
    /**
     * Weight of the old value in the batch-norm moving mean/variance. Default 0.99 (Keras);
     * PyTorch's default momentum 0.1 is 0.9 here, which settles ten times faster.
     */
    batchNormMomentum: z.number().gt(0).lt(1).default(0.99),
    /** Dropout rate at the end of the block, in [0, 1). Default 0 (none). */
    dropout: dropoutRate.default(0),
  })
  .strict();

/** Block union, keyed by `type`; add new block schemas here. */
export const BlockSchema = z.discriminatedUnion('type', [ConvBlockSchema]);

export const DenseSchema = z
  .object({
    /** Optional; the only hidden layer type is `dense`. */
    type: z.literal('dense').default('dense'),
    /** Output units. */
    units: positiveInt,
    /** Default `relu`. */
    activation: z.enum(ACTIVATIONS).default('relu'),
    /** Dropout rate after the layer, in [0, 1). Default 0 (none). */
    dropout: dropoutRate.default(0),
  })
  .strict();

export const CnnSpecSchema = z
  .object({
    /** Architecture key in the model registry. */
    type: z.literal(MODEL_TYPES[0]),
    /** Feature blocks, in order. May be empty (a dense network on the flattened input). */
    blocks: z.array(BlockSchema).default([]),
    /** `avg` or `max` global pooling after the blocks, or null to flatten. Default null (flatten). */
    globalPool: z.enum(GLOBAL_POOLS).nullable().default(null),
    /** Hidden dense layers after flatten/pooling. The output Dense(nClasses, softmax) is always added. */
    dense: z.array(DenseSchema).default([]),
  })
  .strict();

/** The `model` section: one schema per architecture, keyed by `type`. */
export const ModelSpecSchema = z.discriminatedUnion('type', [CnnSpecSchema]);

const epsilon = z.number().positive().optional();
const learningRate = (fallback: number) => z.number().positive().default(fallback);

/**
 * One schema per optimizer, keyed by `type`. Defaults are Keras's; an omitted `epsilon` is the
 * backend's (1e-7 on cpu/wasm/tensorflow).
 */
export const OptimizerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('adam'),
    /** Default 0.001. */
    learningRate: learningRate(0.001),
    /** Default 0.9. */
    beta1: z.number().min(0).lt(1).default(0.9),
    /** Default 0.999. */
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon,
  }).strict(),
  z.object({
    type: z.literal('adamax'),
    /** Default 0.002. */
    learningRate: learningRate(0.002),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon,
    /** Learning-rate decay per step. Default 0. */
    decay: z.number().min(0).default(0),
  }).strict(),
  z.object({
    type: z.literal('rmsprop'),
    /** Default 0.001. */
    learningRate: learningRate(0.001),
    /** Discount of the squared-gradient average (tfjs calls it `decay`). Default 0.9. */
    rho: z.number().min(0).lt(1).default(0.9),
    /** Default 0. */
    momentum: z.number().min(0).lt(1).default(0),
    epsilon,
    /** Normalise by the centred second moment. Default false. */
    centered: z.boolean().default(false),
  }).strict(),
  z.object({
    type: z.literal('sgd'),
    /** Default 0.01. */
    learningRate: learningRate(0.01),
    /** Default 0 (plain SGD). */
    momentum: z.number().min(0).lt(1).default(0),
    /** Nesterov momentum (needs momentum > 0). Default false. */
    nesterov: z.boolean().default(false),
  }).strict(),
  z.object({
    type: z.literal('adagrad'),
    /** Default 0.001. */
    learningRate: learningRate(0.001),
    /** Default 0.1. */
    initialAccumulatorValue: z.number().positive().default(0.1),
  }).strict(),
  z.object({
    type: z.literal('adadelta'),
    /** Default 0.001. */
    learningRate: learningRate(0.001),
    /** Default 0.95. */
    rho: z.number().min(0).lt(1).default(0.95),
    epsilon,
  }).strict(),
]);

/** How a built model is compiled. Strict; may be `.extend()`ed by the training config. */
export const CompileSchema = z
  .object({
    /** Default `{ type: rmsprop }` (as the seed network). */
    optimizer: OptimizerSchema.default({ type: 'rmsprop' }),
    /** Default `sparseCategoricalCrossentropy` (integer labels). */
    loss: z.enum(LOSSES).default('sparseCategoricalCrossentropy'),
    /** Default `[accuracy]`. */
    metrics: z.array(z.enum(METRICS)).default(['accuracy']),
  })
  .strict();

// Checks that each discriminated union lists exactly the names of its `as const` list.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
// eslint-disable-next-line @typescript-eslint/no-unused-vars
type SchemaListsMatch = [
  Assert<Same<z.infer<typeof OptimizerSchema>['type'], (typeof OPTIMIZER_TYPES)[number]>>,
  Assert<Same<z.infer<typeof BlockSchema>['type'], (typeof BLOCK_TYPES)[number]>>,
  Assert<Same<z.infer<typeof ModelSpecSchema>['type'], (typeof MODEL_TYPES)[number]>>,
];

/** A parsed (defaults resolved, sizes as pairs) CNN spec; what the builder takes. */
export type CnnSpec = z.output<typeof CnnSpecSchema>;
/** A CNN spec as written in YAML or a notebook. */
export type CnnSpecInput = z.input<typeof CnnSpecSchema>;
export type ConvBlockSpec = z.output<typeof ConvBlockSchema>;
export type BlockSpec = z.output<typeof BlockSchema>;
export type PoolSpec = z.output<typeof PoolSchema>;
export type DenseSpec = z.output<typeof DenseSchema>;
export type ModelSpec = z.output<typeof ModelSpecSchema>;
export type ModelSpecInput = z.input<typeof ModelSpecSchema>;
export type OptimizerSpec = z.output<typeof OptimizerSchema>;
export type OptimizerSpecInput = z.input<typeof OptimizerSchema>;
export type CompileSpec = z.output<typeof CompileSchema>;
export type CompileSpecInput = z.input<typeof CompileSchema>;

/**
 * Parses `input` with `schema`, or throws ModelSpecError naming the first bad field as
 * `model.blocks[2].kernelSize` (`prefix` is the first segment). For notebooks that pass
 * objects directly; the config loader reports YAML problems as ConfigError itself.
 */
export function parseSpec<S extends z.ZodTypeAny>(schema: S, input: unknown, prefix = 'model'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const path = formatSpecPath(prefix, [...issue.path, ...keys.slice(0, 1)]);
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => JSON.stringify(k)).join(', ')} (check the spelling)`
      : `${issue.message} (got ${formatValue(valueAt(input, issue.path))})`;
  throw new ModelSpecError(path, message);
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `formatSpecPath('model', ['blocks', 2, 'kernelSize'])` is `model.blocks[2].kernelSize`. */
export function formatSpecPath(prefix: string, path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${key}` : key),
    prefix,
  );
}

/** Shapes seen while walking a CNN spec over an input, without creating a tensor. */
export interface CnnShapeTrace {
  /** Per block: `[height, width, channels]` after the whole block. */
  blockOutputShapes: [number, number, number][];
  /** Length of the vector fed to the dense layers (after flatten or global pooling). */
  featureSize: number;
}

/**
 * Walks the shapes of `spec` over `inputShape` ([height, width, channels] = [nMels, nFrames, 1])
 * and throws ModelSpecError, naming the block and field, when a kernel is larger than its input
 * or pooling shrinks an axis to 0. Output sizes follow TensorFlow: `same` ceil(in / stride),
 * `valid` floor((in - window) / stride) + 1. A kernel larger than its input is rejected for
 * both paddings (with `same` most of it would see only padding).
 */
export function validateCnnSpecForInput(
  spec: CnnSpec,
  inputShape: readonly number[],
  nClasses: number,
  prefix = 'model',
): CnnShapeTrace {
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ModelSpecError('inputShape', `got ${JSON.stringify(inputShape)}; expected [height, width, channels] of positive integers, e.g. [64, 63, 1]`);
  }
  if (!Number.isInteger(nClasses) || nClasses < 2) {
    throw new ModelSpecError('nClasses', `got ${nClasses}; a softmax classifier needs an integer number of classes >= 2`);
  }
  let [h, w, c] = inputShape as [number, number, number];
  const blockOutputShapes: [number, number, number][] = [];
  spec.blocks.forEach((block, i) => {
    const at = (field: string) => formatSpecPath(prefix, ['blocks', i, field]);
    const where = i === 0 ? 'the input' : `the output of ${formatSpecPath(prefix, ['blocks', i - 1])}`;
    const [kh, kw] = block.kernelSize;
    if (kh > h || kw > w) {
      throw new ModelSpecError(
        at('kernelSize'),
        `kernel ${kh}x${kw} is larger than its input ${h}x${w} (${where}); use a smaller kernelSize or pool less in earlier blocks`,
      );
    }
    [h, w] = [outputSize(h, kh, block.strides[0], block.padding), outputSize(w, kw, block.strides[1], block.padding)];
    c = block.filters;
    if (block.pool) {
      const { size, strides, padding } = block.pool;
      const ph = outputSize(h, size[0], strides[0], padding);
      const pw = outputSize(w, size[1], strides[1], padding);
      if (ph < 1 || pw < 1) {
        const axis = ph < 1 ? `frequency axis (height) from ${h}` : `time axis (width) from ${w}`;
        throw new ModelSpecError(
          formatSpecPath(prefix, ['blocks', i, 'pool', 'size']),
          `pool ${size[0]}x${size[1]} (strides ${strides[0]}x${strides[1]}, padding '${padding}') reduces the ${axis} to 0; ` +
            `use a smaller pool.size, padding 'same', or fewer pooling blocks`,
        );
      }
      [h, w] = [ph, pw];
    }
    blockOutputShapes.push([h, w, c]);
  });
  const featureSize = spec.globalPool ? c : h * w * c;
  return { blockOutputShapes, featureSize };
}

/** TensorFlow's output length of a window sliding over `size` cells. 0 means nothing fits. */
function outputSize(size: number, window: number, stride: number, padding: (typeof PADDINGS)[number]): number {
  if (padding === 'same') return Math.ceil(size / stride);
  return size < window ? 0 : Math.floor((size - window) / stride) + 1;
}
